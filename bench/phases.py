#!/usr/bin/env python3
"""Where a root `rrun run` spends its time above the floor (issue #21): the
same `run` of /bin/true with one part of the work taken away at a time, all
variants interleaved (each iteration runs every one, in each order in turn),
timed by bench/spawn.c like bench.py's figures. The difference of a
variant's median from the full run's is what that part costs on this machine.

    bench/phases.py --rrun build-bench/rrun [--n 100]     (as root)

Variants: the default `spec` as bench.py runs it; without the mounts (and
masked/read-only paths); without the masked/read-only paths only; without
cgroups (--cgroup-manager disabled); without cgroups and with --no-pivot
(MS_MOVE + chroot instead of pivot_root and the unmount of the old root);
without the network namespace; and the floor (`unshare -rmpfiunC
--mount-proc true`). Run it in the namespace bench.py's first section uses
(bench/run does not call it): `unshare -m --propagation private` with
/sys/fs/cgroup/unified unmounted, or on the host as it is.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (its rootfs, bundle, spawn helper and statistics)


def variants(rrun, work, rootfs):
    """(name, argv) for each variant; bundles made from bench.py's."""
    base = bench.make_bundle(rrun, os.path.join(work, "full"), rootfs, ["/bin/true"], False)
    with open(os.path.join(base, "config.json")) as f:
        cfg = json.load(f)

    def bundle(name, change):
        c = json.loads(json.dumps(cfg))
        change(c)
        os.makedirs(os.path.join(work, name))
        with open(os.path.join(work, name, "config.json"), "w") as f:
            json.dump(c, f)
        return os.path.join(work, name)

    def no_paths(c):
        c["linux"].pop("maskedPaths", None)
        c["linux"].pop("readonlyPaths", None)

    def no_mounts(c):
        no_paths(c)
        c["mounts"] = []

    def no_net(c):
        c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]

    run = [rrun, "--root", os.path.join(work, "state")]
    nocg = run[:1] + ["--cgroup-manager", "disabled"] + run[1:]
    return [
        ("full (bench.py's `run`)", run + ["run", "-b", base]),
        ("without the mounts", run + ["run", "-b", bundle("nomounts", no_mounts)]),
        ("without masked/read-only paths", run + ["run", "-b", bundle("nopaths", no_paths)]),
        ("without cgroups", nocg + ["run", "-b", base]),
        ("without cgroups, --no-pivot", nocg + ["run", "--no-pivot", "-b", base]),
        ("without the network namespace", run + ["run", "-b", bundle("nonet", no_net)]),
        ("floor: unshare -rmpfiunC --mount-proc true",
         ["/usr/bin/unshare", "-rmpfiunC", "--mount-proc", os.path.join(rootfs, "bin", "true")]),
    ]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rrun", required=True)
    p.add_argument("--n", type=int, default=100)
    a = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("phases: run as root")
    work = tempfile.mkdtemp(prefix="rrun-phases.", dir="/tmp")
    try:
        with bench.state_tmpfs(os.path.join(work, "state")):
            rootfs = os.path.join(work, "rootfs")
            bench.make_rootfs(rootfs)
            os.makedirs(os.path.join(work, "bin"))
            bench.SPAWN[0] = bench.build_spawn_helper(os.path.join(work, "bin"))
            vs = variants(os.path.abspath(a.rrun), work, rootfs)
            times = {name: [] for name, _ in vs}
            for i in range(a.n):
                for name, argv in bench.rotate(vs, i):
                    ident = ["p%d" % i] if argv[0] != "/usr/bin/unshare" else []
                    times[name].append(bench.spawn(argv + ident).ms)
            full = bench.summary(times[vs[0][0]])["median"]
            print("| `run` of /bin/true, N=%d interleaved | median (ms) | p90 (ms) | full minus this (ms) |" % a.n)
            print("|---|---:|---:|---:|")
            for name, _ in vs:
                s = bench.summary(times[name])
                print("| %s | %s | %s | %s |" % (name, bench.fmt(s["median"]), bench.fmt(s["p90"]),
                                               "" if name == vs[0][0] else "%.2f" % (full - s["median"])))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
