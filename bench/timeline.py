#!/usr/bin/env python3
"""A `rrun run` of /bin/true cut into its phases by the kernel's tracepoints
(issue #21): N runs, one after another, under bpftrace, which stamps a
handful of system calls and scheduler events of rrun, its init and the
container's program; the medians of the gaps between them are printed.

    bench/run --timeline [--n 200] [--section ns|host|rootless]   (as root)

bench/run installs bpftrace and builds rrun first. Only the named syscall
tracepoints are enabled (not raw_syscalls), so each run pays a few
microseconds of tracing, not one per system call. Runs are sequential:
nothing else may run rrun meanwhile. Sections as in bench.py: `ns` is
root in a private mount namespace with /sys/fs/cgroup/unified unmounted,
`host` root on the host as it is, `rootless` the ns section as user
rrun-test.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (its rootfs, bundle, namespace and state tmpfs)

# One probe per tracepoint: this bpftrace (Debian 12's 0.17) cannot load two
# on the same one. @par is rrun, @ini its init (later the program, same pid).
SCRIPT = r"""
BEGIN { printf("ready\n"); }
tracepoint:sched:sched_process_exec /comm == "COMM" && pid != @ini/ {
  @par = pid; @ini = 0; @t0 = nsecs; @tls = 0; @tc = 0; @tcr = 0; @go = 0; @pw = 0; @nw = 0; @same = 0;
  @run = 0; @rv = 0; @pv = 0; @rd = 0; @ex = 0; @xg = 0; @rp = 0;
}
tracepoint:syscalls:sys_enter_arch_prctl /pid == @par && @tls == 0/ { @tls = nsecs; }
tracepoint:syscalls:sys_enter_clone3 /pid == @par && @tc == 0/ { @tc = nsecs; }
tracepoint:syscalls:sys_exit_clone3 /pid == @par && args->ret > 0 && @tcr == 0/ { @tcr = nsecs; @ini = args->ret; }
tracepoint:sched:sched_wakeup_new /pid == @par && @nw == 0/ { @nw = args->pid; @same = args->target_cpu == cpu ? 1 : 2; }
tracepoint:sched:sched_switch /@nw != 0 && args->next_pid == @nw && @run == 0/ { @run = nsecs; }
tracepoint:syscalls:sys_enter_sendmsg {
  if (pid == @par && @go == 0) { @go = nsecs; }
  if (@nw != 0 && pid == @nw) { @rd = nsecs; }
}
tracepoint:syscalls:sys_enter_recvmsg /pid == @par && @go != 0 && @pw == 0/ { @pw = nsecs; }
tracepoint:syscalls:sys_exit_recvmsg /@nw != 0 && pid == @nw && @rv == 0/ { @rv = nsecs; }
tracepoint:syscalls:sys_enter_pivot_root /@nw != 0 && pid == @nw/ { @pv = nsecs; }
tracepoint:syscalls:sys_enter_execve /@nw != 0 && pid == @nw && @ex == 0/ { @ex = nsecs; }
tracepoint:syscalls:sys_enter_execveat /@nw != 0 && pid == @nw && @ex == 0/ { @ex = nsecs; }
tracepoint:syscalls:sys_enter_exit_group /@nw != 0 && pid == @nw/ { @xg = nsecs; }
tracepoint:syscalls:sys_exit_wait4 /pid == @par && @ini != 0 && args->ret == @ini/ { @rp = nsecs; }
tracepoint:sched:sched_process_exit /pid == @par && @par != 0/ {
  printf("R %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld\n", @t0, @tls, @tc, @tcr,
         @go, @pw, @run, @rv, @pv, @rd, @ex, @xg, @rp, nsecs, @same, @ini);
  @par = 0;
}
"""

FIELDS = ["t0", "tls", "tc", "tcr", "go", "pw", "run", "rv", "pv", "rd", "ex", "xg", "rp", "end"]

# (what, who, from, to): the init's rows overlap the parent's (two processes).
PHASES = [
    ("execve of rrun -> glibc's start done (TLS set: relocations, CPU features)", "rrun", "t0", "tls"),
    ("-> clone3 (config read and checked, cgroups before the clone, state dir)", "rrun", "tls", "tc"),
    ("clone3 (the new namespaces)", "rrun", "tc", "tcr"),
    ("clone3 returned -> go sent (id maps, cgroup join)", "rrun", "tcr", "go"),
    ("go sent -> waits for the init (v1 cgroups when deferred, state.json)", "rrun", "go", "pw"),
    ("clone3 returned -> the init first on a CPU", "init", "tcr", "run"),
    ("the init on a CPU -> go received (lo up where a network namespace is new; the wait for the parent)", "init", "run", "rv"),
    ("go received -> pivot_root (the mounts)", "init", "rv", "pv"),
    ("pivot_root -> ready sent (paths, devices, capabilities, rlimits)", "init", "pv", "rd"),
    ("ready sent -> the init's first execve (start: the fifo)", "both", "rd", "ex"),
    ("first execve -> the program's exit_group (rrun-exec where root, the program)", "program", "ex", "xg"),
    ("exit_group -> reaped by rrun (the namespaces taken down)", "rrun", "xg", "rp"),
    ("reaped -> rrun's exit (cgroups and state dir removed)", "rrun", "rp", "end"),
    ("total: execve of rrun -> its exit", "", "t0", "end"),
]


def summarize(lines, n_asked):
    runs = []
    for line in lines:
        if not line.startswith("R "):
            continue
        v = [int(x) for x in line.split()[1:]]
        runs.append((dict(zip(FIELDS, v[:len(FIELDS)])), v[len(FIELDS)]))
    out = ["| phase (N=%d of %d traced) | process | median (us) | p10 | p90 |" % (len(runs), n_asked),
           "|---|---|---:|---:|---:|"]
    for what, who, a, b in PHASES:
        d = sorted((r[b] - r[a]) / 1000 for r, _ in runs if r[a] and r[b])
        if not d:
            out.append("| %s | %s | - | - | - |" % (what, who))
            continue
        out.append("| %s | %s | %.0f | %.0f | %.0f |" % (what, who, statistics.median(d), bench.pct(d, 10),
                                                          bench.pct(d, 90)))
    same = sum(1 for _, s in runs if s == 1)
    waits = {1: [], 2: []}
    for r, s in runs:
        if s in waits and r["run"] and r["tcr"]:
            waits[s].append((r["run"] - r["tcr"]) / 1000)
    out.append("")
    out.append("The init was put on rrun's own CPU at the clone in %d of %d runs (it first ran %s us after clone3 "
               "returned, median), on another CPU in %d (%s us)." %
               (same, len(runs), fmt_median(waits[1]), len(waits[2]), fmt_median(waits[2])))
    return "\n".join(out)


def fmt_median(v):
    return "%.0f" % statistics.median(v) if v else "-"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rrun", required=True)
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--section", choices=("ns", "host", "rootless"), default="ns")
    a = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("timeline: run as root (bench/run --timeline)")
    bpftrace = shutil.which("bpftrace")
    if not bpftrace:
        sys.exit("timeline: needs bpftrace (bench/run --timeline installs it)")
    rrun = os.path.abspath(a.rrun)
    rootless = a.section == "rootless"
    work = tempfile.mkdtemp(prefix="rrun-timeline.", dir="/tmp")
    os.chmod(work, 0o755)
    try:
        with bench.state_tmpfs(os.path.join(work, "state")) as state:
            rootfs = os.path.join(work, "rootfs")
            bench.make_rootfs(rootfs)
            bundle = bench.make_bundle(rrun, os.path.join(work, "true"), rootfs, ["/bin/true"], rootless)
            loop = 'i=0; while [ $i -lt %d ]; do "$0" --root "$1" run -b "$2" t$i || exit 1; i=$((i+1)); done' % a.n
            argv = ["sh", "-c", loop, rrun, os.path.join(state, "root"), bundle]
            env = None
            if rootless:
                u = bench.ensure_user()
                with open(os.path.join(bundle, "config.json")) as f:
                    cfg = json.load(f)
                for m, own in (("uidMappings", u.pw_uid), ("gidMappings", u.pw_gid)):
                    cfg["linux"][m] = [{"containerID": 0, "hostID": own, "size": 1}]
                with open(os.path.join(bundle, "config.json"), "w") as f:
                    json.dump(cfg, f)
                bench.owned_dirs(u, os.path.join(state, "root"), os.path.join(state, "xdg"))
                argv = bench.as_user(u, os.path.join(state, "xdg"), argv)
            if a.section != "host":
                argv = bench.in_cgroup_ns_wrapper(argv)
            script = os.path.join(work, "timeline.bt")
            with open(script, "w") as f:
                f.write(SCRIPT.replace("COMM", os.path.basename(rrun)[:15]))
            out_path, err_path = os.path.join(work, "trace.out"), os.path.join(work, "trace.err")
            with open(out_path, "w") as out, open(err_path, "w") as err:
                tracer = subprocess.Popen([bpftrace, script], stdout=out, stderr=err)
            try:
                deadline = time.time() + 60
                while "ready" not in open(out_path).read():
                    if tracer.poll() is not None or time.time() > deadline:
                        sys.exit("timeline: bpftrace did not start:\n" + open(err_path).read()[-2000:])
                    time.sleep(0.2)
                r = subprocess.run(argv, stdin=bench.DEVNULL, stdout=bench.DEVNULL)
                if r.returncode != 0:
                    sys.exit("timeline: a run failed (exit %d)" % r.returncode)
                time.sleep(0.5)
            finally:
                tracer.send_signal(2)
                tracer.wait(timeout=30)
            print("## `rrun run` of /bin/true, section %s, %s\n" % (a.section, time.strftime("%Y-%m-%d %H:%M %Z")))
            print(summarize(open(out_path).read().splitlines(), a.n))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
