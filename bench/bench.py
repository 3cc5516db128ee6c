#!/usr/bin/env python3
"""rrun against crun and runc: start latency, engine cycle, exec, memory, scale.

Run by bench/run (which builds rrun in Release mode and installs the peers).
As root it measures three sections, each in a child process of its own:

  host      the machine as it is (crun refuses hybrid cgroups: n/a there)
  ns        a private mount namespace with /sys/fs/cgroup/unified unmounted,
            where all three run (ENVIRONMENT.md); the table the goals are read on
  rootless  the same namespace, as an unprivileged user

Every figure is measured interleaved: iteration i runs each runtime once, in
each order in turn, so that a load change on the machine hits all alike.
The benchmark reports; it never fails on a figure.
"""
import argparse
import contextlib
import itertools
import json
import os
import platform
import pwd
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SECCOMP_PROFILE = os.path.join(REPO, "tests", "fixtures", "podman-default-seccomp.json")
PEERS = {"crun": "/usr/bin/crun", "runc": "/usr/sbin/runc"}
ROOTLESS_USER = "rrun-test"  # the integration tests' user (tests/integration/lib.sh)

DEVNULL = os.open(os.devnull, os.O_RDWR)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---- running one command and timing it

class Failed(Exception):
    def __init__(self, what, stderr=""):
        super().__init__(what + (": " + stderr if stderr else ""))
        self.stderr = stderr


class Usage:
    def __init__(self, numbers):
        code, us, rss, user, sys_, faults = numbers
        self.code, self.ms, self.rss_kb, self.cpu_ms = code, us / 1000, rss, (user + sys_) / 1000
        self.faults = faults


SPAWN = [None]  # the compiled bench/spawn.c


def helper(args):
    """Runs bench/spawn.c with ARGS; returns the numbers it reports and its stderr file."""
    err = tempfile.TemporaryFile()
    r, w = os.pipe()
    actions = [(os.POSIX_SPAWN_DUP2, DEVNULL, 0), (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
               (os.POSIX_SPAWN_DUP2, w, 3)]
    pid = os.posix_spawn(SPAWN[0], [SPAWN[0]] + args, os.environ, file_actions=actions)
    os.close(w)
    _, status = os.waitpid(pid, 0)
    line = os.read(r, 200).decode()
    os.close(r)
    if os.waitstatus_to_exitcode(status) != 0 or not line:
        raise Failed("bench spawn helper failed on %s" % " ".join(args))
    return [int(x) for x in line.split()], err


def failed(what, code, err):
    err.seek(0)
    return Failed("%s: exit %d" % (what, code), err.read().decode(errors="replace").strip())


def spawn(argv, wait=True):
    """Runs ARGV through bench/spawn.c (stdin and stdout on /dev/null, stderr
    kept for errors); returns its Usage: time from spawn to reaped, peak RSS,
    CPU time, page faults. With wait=False: starts ARGV directly and returns
    (pid, stderr file)."""
    if not wait:
        err = tempfile.TemporaryFile()
        actions = [(os.POSIX_SPAWN_DUP2, DEVNULL, 0), (os.POSIX_SPAWN_DUP2, DEVNULL, 1),
                   (os.POSIX_SPAWN_DUP2, err.fileno(), 2)]
        return os.posix_spawn(argv[0], argv, os.environ, file_actions=actions), err
    numbers, err = helper(argv)
    u = Usage(numbers)
    if u.code != 0:
        raise failed(" ".join(argv), u.code, err)
    return u


def build_spawn_helper(directory):
    out = os.path.join(directory, "spawn")
    src = os.path.join(HERE, "spawn.c")
    r = subprocess.run(["cc", "-O2", "-static", "-o", out, src], capture_output=True, text=True)
    if r.returncode != 0:  # no static libc: dynamic still measures time, RSS a little high
        subprocess.run(["cc", "-O2", "-o", out, src], check=True)
    os.chmod(directory, 0o755)
    return out


def quiet(argv):
    subprocess.run(argv, stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL)


def pct(values, p):
    v = sorted(values)
    if not v:
        return None
    k = (len(v) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def summary(values):
    return {"median": pct(values, 50), "p90": pct(values, 90), "n": len(values)} if values else None


# ---- bundles

def make_rootfs(path):
    busybox = shutil.which("busybox") or "/bin/busybox"
    for d in ("bin", "etc", "proc", "sys", "dev", "tmp"):
        os.makedirs(os.path.join(path, d), exist_ok=True)
    shutil.copy(busybox, os.path.join(path, "bin", "busybox"))
    names = subprocess.run([busybox, "--list"], capture_output=True, text=True, check=True).stdout.split()
    for name in names:
        link = os.path.join(path, "bin", name)
        if name != "busybox" and not os.path.lexists(link):
            os.symlink("busybox", link)
    with open(os.path.join(path, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n")
    with open(os.path.join(path, "etc", "group"), "w") as f:
        f.write("root:x:0:\n")


def make_bundle(rrun, path, rootfs, args, rootless, seccomp=False):
    """rrun's default `spec` (all namespaces, cgroups on), args replaced."""
    os.makedirs(path)
    cmd = [rrun, "spec", "--bundle", path] + (["--rootless"] if rootless else [])
    subprocess.run(cmd, check=True)
    cfg_path = os.path.join(path, "config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    # crun 1.8.1 refuses any ociVersion but 1.0.x ("unknown version specified").
    cfg["ociVersion"] = "1.0.2"
    cfg["root"]["path"] = rootfs
    cfg["process"]["terminal"] = False
    cfg["process"]["args"] = args
    if seccomp:
        with open(SECCOMP_PROFILE) as f:
            cfg["linux"]["seccomp"] = json.load(f)
    with open(cfg_path, "w") as f:
        json.dump(cfg, f, indent=1)
    return path


# ---- the runtimes

class Runtime:
    def __init__(self, name, path, state_root):
        self.name, self.path = name, path
        self.root = os.path.join(state_root, name)
        os.makedirs(self.root, exist_ok=True)

    def cmd(self, *args):
        return [self.path, "--root", self.root] + list(args)

    def cleanup(self, ids):
        for i in ids:
            quiet(self.cmd("delete", "-f", i))


def usable(rt, bundle):
    """Runs /bin/true once; None if it works, else why not."""
    try:
        spawn(rt.cmd("run", "-b", bundle, "probe-%d" % os.getpid()))
        return None
    except Failed as e:
        rt.cleanup(["probe-%d" % os.getpid()])
        return (e.stderr.splitlines() or [str(e)])[-1][-160:]


def rotate(items, i):
    """Iteration I's order: each permutation in turn, so that every runtime
    follows every other equally often. A rotation (a b c, b c a, c a b) has
    each one always after the same one, and a runtime's create is cheaper
    when the one before it wrote a pid to a cgroup.procs just before: the
    kernel's cgroup_threadgroup_rwsem stays writable without an RCU grace
    period for ~one grace period after a writer (bench/README.md). crun,
    always after rrun, was measured with rrun's write just before its own."""
    perms = list(itertools.permutations(items))
    return list(perms[i % len(perms)])


def measure_run(rts, bundle, n, floor_argv, seccomp_bundle=None):
    """`run` of /bin/true, sequential, interleaved; the floor alongside."""
    res = {rt.name: {"ms": [], "cpu_ms": [], "rss_kb": [], "faults": []} for rt in rts}
    sec = {rt.name: [] for rt in rts}
    floor = []
    for i in range(n):
        for rt in rotate(rts, i):
            u = spawn(rt.cmd("run", "-b", bundle, "r%d" % i))
            res[rt.name]["ms"].append(u.ms)
            res[rt.name]["cpu_ms"].append(u.cpu_ms)
            res[rt.name]["rss_kb"].append(u.rss_kb)
            res[rt.name]["faults"].append(u.faults)
            if seccomp_bundle and i % 2 == 0:
                sec[rt.name].append(spawn(rt.cmd("run", "-b", seccomp_bundle, "s%d" % i)).ms)
        if floor_argv:
            floor.append(spawn(floor_argv).ms)
    out = {name: {"run": summary(r["ms"]), "run_cpu": summary(r["cpu_ms"]), "rss_run": summary(r["rss_kb"]),
                  "run_faults": summary(r["faults"])}
           for name, r in res.items()}
    if seccomp_bundle:
        for name, v in sec.items():
            out[name]["run_seccomp"] = summary(v)
    return out, summary(floor)


def measure_cycle(rts, bundle, n, work, floor_argv):
    """create + start + wait + delete, as conmon and containerd's shim do:
    bench/spawn.c --cycle runs the three commands, reads the init's pid from
    --pid-file and waits for it as its subreaper, and times it all in C.
    The floor again alongside: the cycle's goal is against the floor measured
    in the same minutes, not in the `run` loop before it."""
    res = {rt.name: {"cycle": [], "create": [], "start": [], "delete": [], "rss": [], "cpu": []} for rt in rts}
    pidfile = os.path.join(work, "cycle.pid")
    floor = []
    for i in range(n):
        if floor_argv:
            floor.append(spawn(floor_argv).ms)
        for rt in rotate(rts, i):
            cid = "c%d" % i
            if os.path.exists(pidfile):
                os.unlink(pidfile)
            numbers, err = helper(["--cycle", pidfile, "--"] + rt.cmd("create", "-b", bundle, "--pid-file", pidfile, cid)
                                  + ["--"] + rt.cmd("start", cid) + ["--"] + rt.cmd("delete", cid))
            code, total, create, start, delete, rss, cpu = numbers
            if code != 0:
                rt.cleanup([cid])
                raise failed("%s create/start/delete %s" % (rt.name, cid), code, err)
            r = res[rt.name]
            for key, v in (("cycle", total), ("create", create), ("start", start), ("delete", delete), ("cpu", cpu)):
                r[key].append(v / 1000)
            r["rss"].append(rss)
    return {name: {"cycle": summary(r["cycle"]), "create": summary(r["create"]), "start": summary(r["start"]),
                   "delete": summary(r["delete"]), "rss_create": summary(r["rss"]), "cycle_cpu": summary(r["cpu"])}
            for name, r in res.items()}, summary(floor)


def measure_sequential(rts, bundle, n, floor_argv):
    """`run` of /bin/true with hyperfine -N, one runtime at a time (N runs back
    to back, then the next runtime): the way issue #21's faster figures were
    taken, which the interleaved loop cannot reproduce (a runtime's previous
    container is its only neighbour). None where hyperfine is missing."""
    hf = shutil.which("hyperfine")
    if not hf:
        return {}, None

    def times(argv):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            quiet([hf, "-N", "--style", "none", "--warmup", "3", "--runs", str(n), "--export-json", out.name,
                   " ".join(shlex.quote(x) for x in argv)])
            with open(out.name) as f:
                return summary([t * 1000 for t in json.load(f)["results"][0]["times"]])
    res = {rt.name: {"run_seq": times(rt.cmd("run", "-b", bundle, "seq"))} for rt in rts}
    return res, times(floor_argv) if floor_argv else None


def measure_exec(rts, bundle, n):
    res = {}
    for rt in rts:
        spawn(rt.cmd("run", "-d", "-b", bundle, "exec-target"))
    try:
        times = {rt.name: [] for rt in rts}
        for i in range(n):
            for rt in rotate(rts, i):
                times[rt.name].append(spawn(rt.cmd("exec", "exec-target", "/bin/true")).ms)
        res = {name: {"exec": summary(t)} for name, t in times.items()}
    finally:
        for rt in rts:
            rt.cleanup(["exec-target"])
    return res


def cgroup_leftovers(ids):
    left = []
    for base in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory", "/sys/fs/cgroup"):
        if os.path.isdir(base):
            for dirpath, dirnames, _ in os.walk(base):
                left += [os.path.join(dirpath, d) for d in dirnames if d in ids]
                if dirpath.count("/") > 6:
                    dirnames.clear()
            break
    return left


def measure_scale(rt, bundle, count):
    """COUNT containers run detached at once, then list, state, delete all."""
    ids = ["scale%d" % i for i in range(count)]
    out = {}
    t0 = time.perf_counter_ns()
    procs = [spawn(rt.cmd("run", "-d", "-b", bundle, cid), wait=False) for cid in ids]
    failures = 0
    for pid, err in procs:
        _, status = os.waitpid(pid, 0)
        failures += os.waitstatus_to_exitcode(status) != 0
    out["start_all_s"] = (time.perf_counter_ns() - t0) / 1e9
    out["start_failures"] = failures
    try:
        out["list_ms"] = summary([spawn(rt.cmd("list")).ms for _ in range(5)])
        out["state_ms"] = summary([spawn(rt.cmd("state", cid)).ms for cid in ids[:20]])
        pids = []
        for cid in ids:
            try:
                pids.append(json.loads(subprocess.run(rt.cmd("state", cid), capture_output=True, text=True).stdout)["pid"])
            except (ValueError, KeyError):
                pass
    finally:
        t0 = time.perf_counter_ns()
        procs = [spawn(rt.cmd("delete", "-f", cid), wait=False) for cid in ids]
        for pid, err in procs:
            os.waitpid(pid, 0)
        out["delete_all_s"] = (time.perf_counter_ns() - t0) / 1e9
    listed = subprocess.run(rt.cmd("list", "-q"), capture_output=True, text=True).stdout.split()
    alive = [p for p in pids if p and os.path.exists("/proc/%d" % p) and
             open("/proc/%d/stat" % p).read().split(") ")[-1][0] not in "ZX"]
    out["left_containers"] = len(listed)
    out["left_processes"] = len(alive)
    out["left_cgroups"] = len(cgroup_leftovers(set(ids)))
    return out


def callgrind_counts(rrun, work, bundle, seccomp_bundle):
    """rrun's user-space instructions per command (callgrind: stable on a noisy
    machine). Run from a read-only bind mount of the binary, where rrun has no
    reason to re-execute itself (exe_seal.cpp), which valgrind cannot follow."""
    if not shutil.which("valgrind") or os.geteuid() != 0:
        return {}
    image = os.path.join(work, "rrun-ro")
    shutil.copy(rrun, image)
    if subprocess.run(["mount", "--bind", image, image]).returncode != 0:
        return {}
    subprocess.run(["mount", "-o", "remount,ro,bind", image], check=True)
    rt = Runtime("rrun", image, os.path.join(work, "state-callgrind"))
    steps = [("create", ["create", "-b", bundle, "cg"]), ("start", ["start", "cg"]),
             ("state", ["state", "cg"]), ("delete", ["delete", "-f", "cg"]),
             ("create, podman's seccomp profile, first", ["create", "-b", seccomp_bundle, "cs1"]),
             ("create, podman's seccomp profile, cached", ["create", "-b", seccomp_bundle, "cs2"])]
    counts = {}
    for step, args in steps:
        r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + rt.cmd(*args),
                           capture_output=True, text=True)
        for line in r.stderr.splitlines():
            if "Collected :" in line:
                counts[step] = int(line.split(":")[-1].strip().replace(",", ""))
    rt.cleanup(["cg", "cs1", "cs2"])
    subprocess.run(["umount", image])
    return counts


def measure_first_cpuset(n):
    """mkdir of a v1 cpuset cgroup on a host with no other: the kernel turns
    its cpuset static keys on (and off again after the rmdir), which every
    runtime's create pays here and no host with another cpuset cgroup does."""
    top = "/sys/fs/cgroup/cpuset"
    if os.geteuid() != 0 or not os.path.exists(os.path.join(top, "cpuset.cpus")):
        return None
    if any(os.path.isdir(os.path.join(top, e)) for e in os.listdir(top)):
        return None  # another cpuset cgroup exists: nobody pays it
    probe, times = os.path.join(top, "rrun-bench-probe"), []
    for _ in range(n):
        time.sleep(0.3)  # as far apart as the runtimes' creates are from their deletes' rmdir
        t = time.perf_counter()
        os.mkdir(probe)
        times.append((time.perf_counter() - t) * 1000)
        os.rmdir(probe)
    return summary(times)


def with_libraries(path):
    """The binary and the shared libraries it loads, in bytes."""
    total = os.path.getsize(path)
    r = subprocess.run(["ldd", path], capture_output=True, text=True)
    for line in r.stdout.splitlines():
        parts = line.split("=>")
        lib = (parts[1] if len(parts) > 1 else parts[0]).split("(")[0].strip()
        if lib.startswith("/") and os.path.exists(lib):
            total += os.path.getsize(os.path.realpath(lib))
    return total


# ---- one section, run in the context it is named after

def run_section(a):
    work = tempfile.mkdtemp(prefix="rrun-bench.", dir="/tmp")
    os.chmod(work, 0o755)
    rootless = a.section == "rootless"
    try:
        rootfs = os.path.join(a.rootfs)
        true_b = make_bundle(a.rrun, os.path.join(work, "true"), rootfs, ["/bin/true"], rootless)
        sleep_b = make_bundle(a.rrun, os.path.join(work, "sleep"), rootfs, ["sleep", "1000"], rootless)
        sec_b = make_bundle(a.rrun, os.path.join(work, "seccomp"), rootfs, ["/bin/true"], rootless, seccomp=True)
        SPAWN[0] = a.spawn
        state = os.path.join(a.state_tmpfs, a.section) if a.state_tmpfs else os.path.join(work, "state")
        rts = [Runtime("rrun", a.rrun, state)] + [Runtime(n, p, state) for n, p in PEERS.items() if os.path.exists(p)]
        rts += [Runtime(n, p, state) for n, p in (x.split("=", 1) for x in a.also)]
        result = {"section": a.section, "unusable": {}, "runtimes": {}}
        for rt in list(rts):
            why = usable(rt, true_b)
            if why:
                result["unusable"][rt.name] = why
                rts.remove(rt)
        for rt in rts:
            result["runtimes"][rt.name] = {"binary_bytes": os.path.getsize(rt.path),
                                           "binary_with_libs_bytes": with_libraries(rt.path)}
        floor = ["/usr/bin/unshare", "-rmpfiunC", "--mount-proc", os.path.join(rootfs, "bin", "true")]
        n = a.n if a.section == "ns" else max(10, a.n // 4)
        small = max(10, a.n // 4)

        def merge(part):
            for name, v in part.items():
                result["runtimes"].setdefault(name, {}).update(v)

        log("[%s] run x%d (+ seccomp x%d)" % (a.section, n, (n + 1) // 2 if a.section == "ns" else 0))
        part, result["floor"] = measure_run(rts, true_b, n, floor, sec_b if a.section == "ns" else None)
        merge(part)
        log("[%s] run x%d, one runtime at a time (hyperfine -N)" % (a.section, n))
        part, result["floor_seq"] = measure_sequential(rts, true_b, n, floor)
        merge(part)
        log("[%s] create/start/wait/delete x%d" % (a.section, n))
        # The --pid-file beside the state, as conmon and containerd's shim keep theirs in /run.
        part, result["floor_cycle"] = measure_cycle(rts, true_b, n, state, floor)
        merge(part)
        if not rootless:
            result["first_cpuset"] = measure_first_cpuset(small)
        log("[%s] exec x%d" % (a.section, small))
        merge(measure_exec(rts, sleep_b, small))
        if a.section in ("ns", "rootless") and a.scale:
            for rt in [r for r in rts if r.name in ("rrun", "crun", "runc")]:
                log("[%s] scale: %d containers, %s" % (a.section, a.scale, rt.name))
                result["runtimes"][rt.name]["scale"] = measure_scale(rt, sleep_b, a.scale)
        if a.section == "ns" and a.callgrind:
            result["instructions"] = callgrind_counts(a.rrun, work, true_b, sec_b)
        with open(a.out, "w") as f:
            json.dump(result, f)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- the report

ROWS = [  # (label, key, field, unit)
    ("run /bin/true, median", "run", "median", "ms"),
    ("run /bin/true, p90", "run", "p90", "ms"),
    ("run /bin/true, one runtime at a time (hyperfine -N), median", "run_seq", "median", "ms"),
    ("run /bin/true, one runtime at a time (hyperfine -N), p90", "run_seq", "p90", "ms"),
    ("create+start+wait+delete, median", "cycle", "median", "ms"),
    ("create+start+wait+delete, p90", "cycle", "p90", "ms"),
    ("  create, median", "create", "median", "ms"),
    ("  start, median", "start", "median", "ms"),
    ("  delete, median", "delete", "median", "ms"),
    ("exec /bin/true, median", "exec", "median", "ms"),
    ("run with podman's seccomp profile, median", "run_seccomp", "median", "ms"),
    ("CPU time of run (user+sys), median", "run_cpu", "median", "ms"),
    ("page faults of run (runtime + container)", "run_faults", "median", "n"),
    ("peak RSS of create", "rss_create", "median", "KiB"),
    ("peak RSS of run", "rss_run", "median", "KiB"),
    ("binary size", "binary_bytes", None, "KiB"),
    ("binary with the shared libraries it loads", "binary_with_libs_bytes", None, "KiB"),
]


def value(rt, key, field):
    v = rt.get(key)
    if v is None:
        return None
    if field is None:
        return v / 1024 if key.startswith("binary") else v
    return v.get(field)


def fmt(v, unit="ms"):
    if v is None:
        return "-"
    if unit in ("KiB", "n"):
        return "%.0f" % v
    return "%.1f" % v if v >= 10 else "%.2f" % v


def ratio(a, b):
    return "%.2f" % (a / b) if a is not None and b else "-"


def table(section, title):
    rts = section["runtimes"]
    extra = [n for n in rts if n not in ("rrun", "crun", "runc")]  # --also
    names = ["rrun", "crun", "runc"] + extra
    lines = ["### " + title, ""]
    lines.append("| | " + " | ".join(names) + " | rrun/crun | rrun/runc |")
    lines.append("|---|" + "---:|" * (len(names) + 2))
    for label, key, field, unit in ROWS:
        vals = [value(rts[n], key, field) if n in rts else None for n in names]
        if all(v is None for v in vals):
            continue
        lines.append("| %s (%s) | %s | %s | %s |" % (
            label, unit, " | ".join(fmt(v, unit) for v in vals), ratio(vals[0], vals[1]), ratio(vals[0], vals[2])))
    for key, when in (("floor", "beside `run`"), ("floor_seq", "by hyperfine -N"), ("floor_cycle", "beside the cycle")):
        fl = section.get(key)
        if fl:
            lines.append("| floor: `unshare -rmpfiunC --mount-proc true`, %s, median (ms) | %s |%s" % (
                when, fmt(fl["median"]), " |" * (len(names) + 1)))
    fc = section.get("first_cpuset")
    if fc:
        lines.append("| kernel alone: mkdir of the only v1 cpuset cgroup (part of every runtime's create), median (ms) | %s |%s" % (
            fmt(fc["median"]), " |" * (len(names) + 1)))
    for name, why in section.get("unusable", {}).items():
        lines.append("")
        lines.append("%s: n/a here (%s)" % (name, why))
    scale = {n: rts[n]["scale"] for n in names if n in rts and "scale" in rts[n]}
    if scale:
        lines += ["", "Scale: %s containers run detached at once, then list, state, delete -f of all" % SCALE_COUNT[0], "",
                  "| | " + " | ".join(scale) + " |", "|---|" + "---:|" * len(scale)]
        for label, key, conv in [("start all (s)", "start_all_s", lambda v: "%.2f" % v),
                                 ("list, median (ms)", "list_ms", lambda v: fmt(v["median"])),
                                 ("state, median (ms)", "state_ms", lambda v: fmt(v["median"])),
                                 ("delete all (s)", "delete_all_s", lambda v: "%.2f" % v),
                                 ("failed starts", "start_failures", str),
                                 ("left: containers / processes / cgroups", None, None)]:
            if key:
                cells = [conv(s[key]) if s.get(key) is not None else "-" for s in scale.values()]
            else:
                cells = ["%d / %d / %d" % (s["left_containers"], s["left_processes"], s["left_cgroups"])
                         for s in scale.values()]
            lines.append("| %s | %s |" % (label, " | ".join(cells)))
    ins = section.get("instructions")
    if ins:
        lines += ["", "| rrun command (callgrind) | user-space instructions (millions) |", "|---|---:|"]
        lines += ["| %s | %.2f |" % (step, v / 1e6) for step, v in ins.items()]
    return "\n".join(lines)


SCALE_COUNT = [100]


def goals(sections):
    """Issue #21's goals, on every section measured: run and create at most
    0.6 x crun (median and p90), the cycle at most 0.5 x crun, run at most 2 x
    the floor as root and 1.6 x rootless; the cases that must not get slower
    (exec, seccomp, RSS, scale) as ratios to crun, to hold against the last
    README's."""
    out = ["### Goals (issue #21)", ""]

    def line(what, v, limit, text):
        if v is None or limit is None:
            out.append("- %s: not measured" % what)
        else:
            out.append("- %s: %s %s %s -> %s" % (what, fmt(v), "<=" if v <= limit else ">", text,
                                                 "met" if v <= limit else "MISSED"))
    for name, sec in sections.items():
        rts = sec["runtimes"]
        r, c = rts.get("rrun", {}), rts.get("crun")
        if c is None:
            out.append("- %s: crun n/a (%s): no ratio goals" % (name, sec.get("unusable", {}).get("crun", "not run")))
        for key, field, times in () if c is None else (("run", "median", 0.6), ("run", "p90", 0.6),
                                                       ("run_seq", "median", 0.6), ("run_seq", "p90", 0.6),
                                                       ("create", "median", 0.6), ("create", "p90", 0.6),
                                                       ("cycle", "median", 0.5)):
            cv = value(c, key, field) if c else None
            limit = cv * times if cv else None
            line("%s: %s %s vs %.1f x crun" % (name, key, field, times), value(r, key, field), limit,
                 "%.1f x crun = %s" % (times, fmt(limit)))
        times = 1.6 if name == "rootless" else 2.0
        for floor_key, key, how in (("floor", "run", "run"), ("floor_seq", "run_seq", "run (hyperfine -N)")):
            fl = (sec.get(floor_key) or {}).get("median")
            limit = fl * times if fl else None
            line("%s: %s median vs %.1f x its floor" % (name, how, times), value(r, key, "median"), limit,
                 "%.1f x floor = %s" % (times, fmt(limit)))
        kept = []
        for key in ("exec", "run_seccomp", "rss_create", "rss_run"):
            v, cv = value(r, key, "median"), value(c, key, "median") if c else None
            if v is not None and cv:
                kept.append("%s %.2f" % (key, v / cv))
        sr, sc = r.get("scale"), (c or {}).get("scale")
        if sr and sc and sc.get("start_all_s"):
            kept.append("scale start-all %.2f" % (sr["start_all_s"] / sc["start_all_s"]))
        if kept:
            out.append("- %s, kept as they were (rrun/crun): %s" % (name, ", ".join(kept)))
    fc = (sections.get("ns", {}).get("first_cpuset") or {}).get("median")
    if fc:
        out.append("- (%s ms of every runtime's create is the kernel's mkdir of the first v1 cpuset cgroup on this "
                   "host, where no other exists; see bench/README.md)" % fmt(fc))
    return "\n".join(out)


def machine():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return "%s, %d cpus, kernel %s, load %.1f" % (cpu, os.cpu_count(), platform.release(), os.getloadavg()[0])


def versions(rrun):
    out = {}
    for name, path in [("rrun", rrun)] + list(PEERS.items()):
        if os.path.exists(path):
            r = subprocess.run([path, "--version"], capture_output=True, text=True)
            out[name] = r.stdout.splitlines()[0] if r.stdout else "?"
    return out


def in_cgroup_ns_wrapper(cmd):
    """A private mount namespace where the hybrid host looks legacy-v1."""
    umount = "if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi; "
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", umount + 'exec "$@"', "sh"] + cmd


@contextlib.contextmanager
def state_tmpfs(path):
    """The runtimes' state (--root, --pid-file, and XDG_RUNTIME_DIR rootless)
    goes on a tmpfs, as on the hosts engines run on (/run, /run/user/UID): on
    this VM's ext4 making and removing a container's state dir and fifos costs
    every runtime ~0.8 ms of each `run` (bench/README.md), which no engine's
    user pays."""
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "rrun-bench-run", path], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", path])


def ensure_user():
    try:
        return pwd.getpwnam(ROOTLESS_USER)
    except KeyError:
        subprocess.run(["flock", "/tmp/rrun-test-useradd.lock", "sh", "-c",
                        "id %s >/dev/null 2>&1 || useradd -m %s" % (ROOTLESS_USER, ROOTLESS_USER)], check=True)
        return pwd.getpwnam(ROOTLESS_USER)


def owned_dirs(u, *paths):
    """PATHS made (if missing) and given to user U (a pwd entry)."""
    for path in paths:
        os.makedirs(path, exist_ok=True)
        os.chown(path, u.pw_uid, u.pw_gid)


def as_user(u, xdg, cmd):
    """CMD as user U with XDG_RUNTIME_DIR=XDG and its HOME, none of our environment."""
    return ["setpriv", "--reuid", str(u.pw_uid), "--regid", str(u.pw_gid), "--init-groups", "--reset-env", "env",
            "XDG_RUNTIME_DIR=" + xdg, "HOME=" + u.pw_dir] + cmd


def main_report(a):
    if os.geteuid() != 0:
        sys.exit("bench: run as root (bench/run); it measures rootless as user %s itself" % ROOTLESS_USER)
    SCALE_COUNT[0] = a.scale
    started = time.time()
    tmp = tempfile.mkdtemp(prefix="rrun-bench-rootfs.", dir="/tmp")
    os.chmod(tmp, 0o755)
    rootfs = os.path.join(tmp, "rootfs")
    make_rootfs(rootfs)
    os.makedirs(os.path.join(tmp, "bin"))
    spawn_helper = build_spawn_helper(os.path.join(tmp, "bin"))
    # /usr/bin/python3: the user of the rootless section may not reach another.
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    me = [python, os.path.abspath(__file__), "--rrun", os.path.abspath(a.rrun), "--n", str(a.n),
          "--scale", str(a.scale), "--rootfs", rootfs, "--spawn", spawn_helper] + ([] if a.callgrind else ["--no-callgrind"])
    me += ["--also=" + n + "=" + os.path.abspath(p) for n, p in (x.split("=", 1) for x in a.also)]
    sections = {}
    try:
        with state_tmpfs(os.path.join(tmp, "run")) as run_dir:
            me += ["--state-tmpfs", run_dir]
            plan = [("ns", in_cgroup_ns_wrapper), ("host", lambda c: c)]
            if not a.no_rootless:
                plan.append(("rootless", None))
            for name, wrap in plan:
                out = os.path.join(tmp, name + ".json")
                cmd = me + ["--section", name, "--out", out]
                if name == "rootless":
                    u = ensure_user()
                    os.chmod(out.rsplit("/", 1)[0], 0o777)
                    xdg = os.path.join(run_dir, "xdg")
                    owned_dirs(u, xdg, os.path.join(run_dir, name))  # XDG_RUNTIME_DIR, the --root
                    cmd = in_cgroup_ns_wrapper(as_user(u, xdg, cmd))
                else:
                    cmd = wrap(cmd)
                r = subprocess.run(cmd)
                if r.returncode == 0 and os.path.exists(out):
                    with open(out) as f:
                        sections[name] = json.load(f)
                else:
                    log("bench: section %s failed (exit %d)" % (name, r.returncode))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "machine": machine(), "n": a.n,
              "versions": versions(a.rrun), "seconds": round(time.time() - started), "sections": sections}
    titles = {"ns": "Root, private mount namespace with /sys/fs/cgroup/unified unmounted (all three)",
              "host": "Root, the hybrid-cgroup host as it is",
              "rootless": "Rootless (user %s), same namespace" % ROOTLESS_USER}
    text = ["## rrun benchmark, %s" % report["date"], "", "Machine: " + report["machine"],
            "Versions: " + "; ".join("%s" % v for v in report["versions"].values()),
            "Runs per figure: %d in the namespace section, %d in the others and for exec. Lower is better; "
            "ratios are rrun/peer." % (a.n, max(10, a.n // 4)), ""]
    for name in ("ns", "host", "rootless"):
        if name in sections:
            text += [table(sections[name], titles[name]), ""]
    if sections:
        text += [goals(sections), ""]
    text.append("(%d s in all)" % report["seconds"])
    print("\n".join(text))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rrun", required=True, help="the rrun binary to measure")
    p.add_argument("--n", type=int, default=200, help="runs per figure (default 200)")
    p.add_argument("--scale", type=int, default=100, help="containers in the scale test (0: skip)")
    p.add_argument("--json", help="also write the figures to this file")
    p.add_argument("--no-callgrind", dest="callgrind", action="store_false",
                   help="skip counting rrun's instructions per command (valgrind)")
    p.add_argument("--no-rootless", action="store_true", help="skip the rootless section")
    p.add_argument("--also", action="append", default=[], metavar="NAME=PATH",
                   help="measure another runtime binary alongside (e.g. an older rrun build)")
    p.add_argument("--section", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--rootfs", help=argparse.SUPPRESS)
    p.add_argument("--spawn", help=argparse.SUPPRESS)
    p.add_argument("--state-tmpfs", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.section:
        run_section(a)
    else:
        main_report(a)


if __name__ == "__main__":
    main()
