#!/usr/bin/env python3
"""Differential runner: each generated config runs under runc and under rrun,
the probe's report of both is normalised and compared; one line a difference.
Started by run.sh (which makes the rootless user and installs runc); see README.md.
"""
import argparse
import collections
import concurrent.futures
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402

PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
          "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
          "u:x:1000:1000:u:/home/u:/bin/sh\n"
          "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
# uid 1000 is also a member of group 10 by name (runc 1.1.5 does not add it: the runtimes must agree)
GROUP = "root:x:0:\nwheel:x:10:u\nusers:x:100:\nu:x:1000:\nnogroup:x:65534:\n"
KEEP = os.environ.get("DIFF_KEEP")  # a directory: bundles are left there to replay by hand
HOST_NS = {n: os.readlink("/proc/self/ns/" + n) for n in os.listdir("/proc/self/ns") if "for_children" not in n}


def walk_one_fs(top):
    """(path, lstat) of TOP and everything under it on TOP's filesystem: a chown never
    crosses into a mount left there (a bind of the host's /dev/null would be chowned)."""
    st = os.lstat(top)
    dev = st.st_dev
    yield top, st
    for root, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(root, n)
            st = os.lstat(p)
            if st.st_dev == dev:
                yield p, st
        dirs[:] = [d for d in dirs if os.lstat(os.path.join(root, d)).st_dev == dev]


def make_rootfs(dst, probe, owner=None):
    """A tiny rootfs: the static probe, passwd/group and the usual dirs (no shell is needed)."""
    for d in ["proc", "sys", "dev", "tmp", "etc", "root", "home/u", "mnt", "bin"]:
        os.makedirs(os.path.join(dst, d), exist_ok=True)
    os.chmod(os.path.join(dst, "tmp"), 0o1777)
    shutil.copy(probe, os.path.join(dst, "probe"))
    os.chmod(os.path.join(dst, "probe"), 0o755)
    open(os.path.join(dst, "etc/passwd"), "w").write(PASSWD)
    open(os.path.join(dst, "etc/group"), "w").write(GROUP)
    os.chown(os.path.join(dst, "home/u"), 1000, 1000)
    if owner is not None:
        for p, st in walk_one_fs(dst):
            os.lchown(p, owner[0] + (st.st_uid if st.st_uid < 65536 else 0),
                      owner[1] + (st.st_gid if st.st_gid < 65536 else 0))


# ---- normalisation: what may differ between two runs of the same config --------------

def norm_mount(line, bundle, cid):
    """mountinfo line -> (mount point, 'fstype opts propagation root=... super'): ids, parent ids,
    device numbers and peer-group numbers change every run; the bundle's path differs per runtime."""
    f = line.split(" ")
    if "-" not in f:
        return "?", line  # "!errno": no /proc
    sep = f.index("-")
    root, mp, opts, optional = f[3], f[4], f[5], f[6:sep]
    fstype, source, sup = f[sep + 1], f[sep + 2], " ".join(f[sep + 3:])
    prop = sorted({o.split(":")[0] for o in optional if not o.startswith("propagate_from")}) or ["private"]
    root = root.replace(bundle, "@BUNDLE@").replace(cid, "@ID@")
    source = source.replace(bundle, "@BUNDLE@")
    if fstype in ("cgroup", "cgroup2"):
        source = "-"  # any name: runc 1.1.5 names a v1 mount by its controller, rrun "cgroup"
    return mp, "%s %s %s root=%s src=%s %s" % (fstype, opts, ",".join(prop), root, source, sup)


def normalise(out, bundle, cid):
    """probe lines -> {field: value}; multi-valued fields are sorted lists."""
    r = {}
    multi = collections.defaultdict(list)
    for line in out.splitlines():
        k, _, v = line.partition(" ")
        if k == "env":
            name, _, val = v.partition("=")
            multi["env." + name].append(val)
        elif k.startswith("ns."):
            # inode numbers differ per run: only whether it is the host's
            r[k] = v if v.startswith("!") else ("host" if HOST_NS.get(k[3:]) == v else "new")
        elif k == "pid":
            r[k] = "1" if v == "1" else "not 1"  # a host pid without a pid namespace
        elif k == "mount":
            mp, desc = norm_mount(v, bundle, cid)
            multi["mount " + mp].append(desc)
        elif k in ("dev", "mp"):
            p, _, rest = v.partition(" ")
            r[k + " " + p] = rest
        elif k == "net":
            n, _, state = v.partition(" ")
            r["net " + n] = state
        elif k in ("uid_map", "gid_map"):
            multi[k].append(" ".join(v.split()))
        elif k == "end":
            r["end"] = "yes"
        else:
            multi[k].append(v)
    for k, v in multi.items():
        r[k] = " | ".join(sorted(v)) if len(v) > 1 else v[0]
    return r


def hook_reports(bundle, cid):
    """What the hooks of gen.m_hooks recorded: their environment, and the state on stdin."""
    r = {}
    for k in gen.HOOKS:
        env = os.path.join(bundle, "hook-%s.env" % k)
        if os.path.exists(env):
            for line in open(env, errors="replace").read().splitlines():
                name, _, val = line.partition("=")
                r["hook.%s.env.%s" % (k, name)] = val.replace(bundle, "@BUNDLE@")
        st = os.path.join(bundle, "hook-%s.state" % k)
        if os.path.exists(st):
            try:
                j = json.load(open(st))
            except ValueError:
                r["hook.%s.state" % k] = "not JSON"
                continue
            # ociVersion is each runtime's own; the pid differs per run
            r["hook.%s.state.keys" % k] = " ".join(sorted(j))
            for f in ("status", "annotations"):
                r["hook.%s.state.%s" % (k, f)] = json.dumps(j.get(f), sort_keys=True)
            r["hook.%s.state.id" % k] = "ok" if j.get("id") == cid else repr(j.get("id"))
            r["hook.%s.state.bundle" % k] = "ok" if j.get("bundle") == bundle else repr(j.get("bundle"))
            r["hook.%s.state.pid" % k] = "positive" if isinstance(j.get("pid"), int) and j["pid"] > 0 else repr(j.get("pid"))
    return r


# ---- running ---------------------------------------------------------------------------

class Runtime:
    def __init__(self, name, binary, root_dir, user):
        self.name, self.binary, self.root_dir, self.user = name, binary, root_dir, user

    def run(self, bundle, cid, env, private_mounts):
        kw = {}
        if self.user:
            kw = dict(user=self.user.pw_uid, group=self.user.pw_gid, extra_groups=[])
        cmd = [self.binary, "--root", self.root_dir, "run", "-b", bundle, cid]
        if private_mounts:
            # a config without a mount namespace: its mounts would land in the host's
            cmd = ["unshare", "-m", "--propagation", "private"] + cmd
        try:
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
                               timeout=20, env=env, cwd=bundle, **kw)
            rc, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            rc, out, err = "timeout", (e.stdout or b"").decode(errors="replace"), "timeout"
        subprocess.run([self.binary, "--root", self.root_dir, "delete", "-f", cid], capture_output=True,
                       env=env, **kw)
        return rc, out, err


def run_case(mode, idx, desc, config, meta, runtimes, work, probe, env, owner):
    res = {}
    for rt in runtimes:
        bundle = os.path.join(work, "%s-%04d-%s" % (mode, idx, rt.name))
        os.makedirs(os.path.join(bundle, "hostdir"))
        open(os.path.join(bundle, "hostdir", "file"), "w").write("data\n")
        # a passwd line: it is also bound over /etc/passwd (HOME comes from it then)
        open(os.path.join(bundle, "hostfile"), "w").write("root:x:0:0:hostfile:/hostroot:/bin/sh\n")
        ro = meta.get("rootfs_owner")
        make_rootfs(os.path.join(bundle, "rootfs"), probe, (ro, ro) if ro is not None else None)
        open(os.path.join(bundle, "config.json"), "w").write(json.dumps(config).replace("@BUNDLE@", bundle))
        if owner:
            for p, _ in walk_one_fs(bundle):
                os.lchown(p, *owner)
        cid = "df-%s-%d-%s" % (mode[:2], idx, rt.name)
        no_mntns = not any(n["type"] == "mount" for n in config["linux"].get("namespaces", []))
        rc, out, err = rt.run(bundle, cid, env, no_mntns and not owner)
        n = normalise(out, bundle, cid)
        n.update(hook_reports(bundle, cid))
        ran = rc == 0 and n.get("end") == "yes"
        res[rt.name] = (ran, rc, n, error_line(err) or "exit %s, %d lines of output" % (rc, len(out.splitlines())))
        if not KEEP:
            shutil.rmtree(bundle, ignore_errors=True)
    diffs, known = [], []
    for d in compare(res):
        why = intentional(*d, config)
        (known if why else diffs).append(d + ((why,) if why else ()))
    both_failed = not res["runc"][0] and not res["rrun"][0]
    return diffs, known, (res["runc"][3], res["rrun"][3]) if both_failed else None


def error_line(err):
    """The runtime's error: runc's level=error message (not a Go trace), rrun's first line."""
    lines = [l for l in err.splitlines() if l.strip()]
    for l in lines:
        m = re.search(r'level=error msg="(.*)"$', l)
        if m:
            return m.group(1).replace('\\"', '"')
    for l in lines:
        if l.startswith("panic:") or l.startswith("fatal error:"):
            return l
    return lines[0] if lines else ""


# Differences that are intentional or harmless (README.md lists each, with the reason):
# (name, predicate(field, runc value, rrun value, config)). They are counted, not failed.
def _masked(c, mp):
    return mp in c["linux"].get("maskedPaths", [])


def _ro_tmpfs(c, mp):
    return any(m["destination"] == mp and m.get("type") == "tmpfs" and "ro" in m.get("options", []) for m in c["mounts"])


INTENTIONAL = [
    # runc 1.1.5 predates the spec's "domainname" (v1.2.0): it ignores the field
    ("domainname: runc 1.1.5 ignores the field",
     lambda f, a, b, c: f in ("domainname", "sysctl.kernel.domainname") and a == "(none)" and b == c.get("domainname")),
    # runc closes its fds through /proc/self/fd of the container: without a /proc mount it fails
    ("runc needs /proc in the container",
     lambda f, a, b, c: f == "outcome" and "error closing exec fds" in a and b == "ran"),
    # rootless: runc 1.1.5 refuses any additionalGids; rrun sets them when the gid map came from
    # newgidmap (setgroups is then allowed), and fails as runc where it is not
    ("rootless additionalGids with a newgidmap range",
     lambda f, a, b, c: f == "outcome" and "cannot set any additional groups in a rootless container" in a
     and b == "ran" and len(c["linux"].get("gidMappings", [])) > 1),
    # rootless, no network namespace of its own: the kernel refuses a sysfs mount; rrun binds
    # the host's /sys instead (README.md of rrun: "sysfs (rootless fallback)"), runc fails
    ("rootless sysfs: bind fallback",
     lambda f, a, b, c: f == "outcome" and 'error mounting "sysfs"' in a and b == "ran"),
    # in a user namespace a device is a bind of a host node: runc binds the host's node at the
    # same path and fails where there is none; rrun falls back to the node /sys/dev names for
    # the numbers (rootfs.cpp host_device_node)
    ("userns device: the host node by its numbers",
     lambda f, a, b, c: f == "outcome" and "error creating device nodes: mount /dev/" in a
     and "no such file or directory" in a and b == "ran"),
    # runc 1.1.5 crashes (a nil pointer in its Go init) under a deny-list profile without
    # noNewPrivileges: there is no runc behaviour to compare with
    ("runc 1.1.5 panics", lambda f, a, b, c: f == "outcome" and a.startswith("failed: panic:")),
    # the state on a hook's stdin: the spec lets a runtime add properties (rrun: rootfs, created, owner)
    ("hook state: rrun's additional properties",
     lambda f, a, b, c: f.endswith(".state.keys") and set(a.split()) < set(b.split())),
    # poststart runs after the user's program started: rrun says "running" (the spec's word for
    # that), runc 1.1.5 still "created"
    ("poststart hook state: running",
     lambda f, a, b, c: f == "hook.poststart.state.status" and a == '"created"' and b == '"running"'),
    # cgroup v1 layout (hybrid hosts): the tmpfs holding the hierarchies is mounted with the
    # config's "ro"; runc 1.1.5 leaves it read-write and chmods it 0555 instead, which a
    # process with CAP_DAC_OVERRIDE can still write
    ("v1 cgroup tmpfs: read-only as the config asks",
     lambda f, a, b, c: (f == "mount /sys/fs/cgroup" and a.startswith("tmpfs rw,") and " src=tmpfs rw," in a
                         and b == a.replace("tmpfs rw,", "tmpfs ro,", 1).replace(" src=tmpfs rw,", " src=tmpfs ro,", 1))
     or (f == "mp /sys/fs/cgroup" and a.startswith("0555 ") and b.startswith("0755 "))),
    # hybrid host with a cgroup namespace: rrun mounts the host's cgroup2 tree at
    # /sys/fs/cgroup/unified, as systemd's hybrid layout has it (systemd in a container
    # looks for it there), with the cgroup mount's options; runc 1.1.5 leaves it out or rw
    ("hybrid cgroup2 at /sys/fs/cgroup/unified",
     lambda f, a, b, c: f in ("mount /sys/fs/cgroup/unified", "mp /sys/fs/cgroup/unified")),
    # no mount namespace: the spec's MUST for root.readonly cannot be met without making the
    # runtime's own mounts read-only, so rrun refuses it; runc 1.1.5 ignores the field
    ("root.readonly without a mount namespace: refused",
     lambda f, a, b, c: f == "outcome" and a == "ran" and "root.readonly: needs a mount namespace" in b),
    # no mount namespace: runc binds the rootfs onto itself in the runtime's namespace (for its
    # pivot that never comes) and leaves it there; rrun mounts nothing it was not asked to
    ("no mount namespace: no self-bind of the rootfs",
     lambda f, a, b, c: f in ("mount /", "mp /") and b == "<absent>"
     and not any(n["type"] == "mount" for n in c["linux"]["namespaces"])),
    # readonlyPaths or maskedPaths "/proc/self" without a pid namespace: the path is the
    # init's own /proc/PID, whose number differs between the two runs (not a difference)
    ("/proc/self as a path: the init's pid",
     lambda f, a, b, c: re.fullmatch(r"(mount|mp) /proc/[0-9]+", f) is not None and "<absent>" in (a, b)
     and "/proc/self" in c["linux"].get("readonlyPaths", []) + c["linux"].get("maskedPaths", [])),
    # linux.sysctl in a container without /proc (or without that file under it): runc writes
    # through the container's /proc and fails; rrun writes through a private procfs instance
    # of the container's namespaces (issue #22: a path the config can swap is never used)
    ("sysctl written without the container's /proc",
     lambda f, a, b, c: f == "outcome" and "open /proc/sys/" in a and "no such file or directory" in a
     and b == "ran" and bool(c["linux"].get("sysctl"))),
    ("tmpfs ro: read-only superblock",
     lambda f, a, b, c: f.startswith("mount ") and _ro_tmpfs(c, f[6:]) and a.replace("src=tmpfs rw", "src=tmpfs ro") == b),
]


def intentional(field, a, b, config):
    for name, pred in INTENTIONAL:
        try:
            if pred(field, a, b, config):
                return name
        except (KeyError, TypeError, AttributeError):
            pass
    return None


def compare(res):
    """-> list of (field, runc value, rrun value)."""
    (a_ran, a_rc, a, a_err), (b_ran, b_rc, b, b_err) = res["runc"], res["rrun"]
    if not a_ran or not b_ran:
        if a_ran != b_ran:
            return [("outcome", "ran" if a_ran else "failed: " + a_err, "ran" if b_ran else "failed: " + b_err)]
        return []  # both failed: messages are not compared
    diffs = []
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            diffs.append((k, a.get(k, "<absent>"), b.get(k, "<absent>")))
    return diffs


def normalise_message(m):
    return re.sub(r"/tmp/\S+|df-\w+-\d+-\w+|\d+", "#", m)[:150]


# Differences that are the known points of issue #16 (being fixed): labelled in the summary.
def _copyup(c, mp):
    return any(m["destination"] == mp and "tmpcopyup" in m.get("options", []) for m in c["mounts"])


KNOWN = [
    ("#16.1 seccomp: close_range after the filter", lambda f, a, b, c: f == "outcome" and "close_range" in b),
    ("#16.2 loopback down", lambda f, a, b, c: f == "net lo"),
    ("#16.3 HOME", lambda f, a, b, c: f == "env.HOME"),
    ("#16.4 missing cwd", lambda f, a, b, c: f == "outcome" and "process.cwd" in b),
    ("#16.5 hooks' environment", lambda f, a, b, c: f.startswith("hook.") and ".env." in f),
    ("#16.6 tmpfs mode with tmpcopyup", lambda f, a, b, c: f.startswith("mp ") and _copyup(c, f[3:])),
    ("#16.9 no mount namespace", lambda f, a, b, c: f == "outcome" and "mount namespace" in b),
    ("#16.10 kernel.hostname/domainname sysctl",
     lambda f, a, b, c: f == "outcome" and re.search(r"kernel\.(host|domain)name", a)),
    ("#16.10 devices in a user namespace",
     lambda f, a, b, c: f == "outcome" and a == "ran" and "/dev/" in b and c["linux"].get("devices")),
]


def known_point(field, a, b, config):
    for name, pred in KNOWN:
        if pred(field, a, b, config):
            return name
    return None


def group_key(field, runc_v, rrun_v):
    """Differences grouped for the summary: outcome by rrun's message without ids and paths."""
    if field == "outcome":
        m = runc_v if runc_v.startswith("failed") else rrun_v
        who = "runc" if runc_v.startswith("failed") else "rrun"
        return "outcome: only %s failed: %s" % (who, normalise_message(m))
    return field


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rrun", required=True)
    ap.add_argument("--runc", default="/usr/sbin/runc")
    ap.add_argument("--probe", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--count", type=int, default=300, help="configs per mode")
    ap.add_argument("--rootless-count", type=int, help="configs as the rootless user (default: --count)")
    ap.add_argument("--modes", default="root,rootless")
    ap.add_argument("--rootless-user")
    ap.add_argument("--base", choices=["runc", "rrun"], default="runc", help="whose `spec` the configs start from")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", help="run only these case numbers (comma list)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every case's description")
    a = ap.parse_args()

    t0 = time.time()
    passed = failed = 0
    groups = collections.defaultdict(list)
    intended = collections.Counter()
    nfailed_both = 0
    both = collections.defaultdict(list)
    for mode in a.modes.split(","):
        user = pwd.getpwnam(a.rootless_user) if mode == "rootless" else None
        owner = (user.pw_uid, user.pw_gid) if user else None
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
        mdir = os.path.join(KEEP or a.work, mode)
        os.makedirs(mdir)
        if user:
            env["XDG_RUNTIME_DIR"] = os.path.join(mdir, "xdg")
            env["HOME"] = user.pw_dir
            os.makedirs(env["XDG_RUNTIME_DIR"], mode=0o700)
            for d in [mdir, env["XDG_RUNTIME_DIR"]]:
                os.chown(d, *owner)
        # the base config: `spec` of the chosen runtime, as the user who runs it
        specdir = os.path.join(mdir, "spec")
        os.makedirs(specdir)
        if owner:
            os.chown(specdir, *owner)
        binary = a.runc if a.base == "runc" else a.rrun
        kw = dict(user=user.pw_uid, group=user.pw_gid, extra_groups=[]) if user else {}
        subprocess.run([binary, "spec"] + (["--rootless"] if user else []), cwd=specdir, check=True, env=env, **kw)
        base = json.load(open(os.path.join(specdir, "config.json")))
        subuid = None
        if user:
            def sub(f):
                for line in open(f):
                    n, s, _ = line.strip().split(":")
                    if n == user.pw_name:
                        return int(s)
            subuid = (sub("/etc/subuid"), sub("/etc/subgid"))
        runtimes = []
        for name, b in [("runc", a.runc), ("rrun", a.rrun)]:
            sd = os.path.join(mdir, "state-" + name)
            os.makedirs(sd, mode=0o700)
            if owner:
                os.chown(sd, *owner)
            runtimes.append(Runtime(name, b, sd, user))
        count = a.rootless_count if (user and a.rootless_count is not None) else a.count
        only = {int(v) for v in a.only.split(",")} if a.only else None
        cases = [cs for cs in gen.generate(base, bool(user), a.seed, count, subuid) if only is None or cs[0] in only]
        with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
            futs = [(cs, ex.submit(run_case, mode, cs[0], cs[1], cs[2], cs[3], runtimes, mdir, a.probe, env, owner))
                    for cs in cases]
            for cs, f in futs:
                idx, desc = cs[0], cs[1]
                diffs, known, both_failed = f.result()
                tag = "%s seed=%d #%d" % (mode, a.seed, idx)
                if a.verbose or diffs:
                    print("case [%s] %s" % (tag, desc))
                if both_failed:
                    nfailed_both += 1
                    both[normalise_message(both_failed[0])].append(tag)
                    if a.verbose:
                        print("  both failed [%s]: runc: %s | rrun: %s" % ((tag,) + both_failed))
                for field, x, y in diffs:
                    point = known_point(field, x, y, cs[2])
                    print("  DIFF [%s] %s: runc=%s rrun=%s%s" % (tag, field, x, y, "  [%s]" % point if point else ""))
                    groups[("[%s] " % point if point else "") + group_key(field, x, y)].append(tag)
                for field, x, y, why in known:
                    if a.verbose:
                        print("  intentional [%s] %s (%s)" % (tag, field, why))
                    intended[why] += 1
                if diffs:
                    failed += 1
                else:
                    passed += 1
                sys.stdout.flush()
    print("\n# differences by field (cases):")
    for k, tags in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        print("#  %4d  %s   e.g. %s" % (len(tags), k, ", ".join(tags[:3])))
    for why, n in intended.most_common():
        print("#  %4d  intentional: %s" % (n, why))
    print("# %d configs failed under both runtimes (compared as equal), by runc's message:" % nfailed_both)
    for k, tags in sorted(both.items(), key=lambda kv: -len(kv[1])):
        print("#  %4d  %s   e.g. %s" % (len(tags), k, ", ".join(tags[:3])))
    print("# %.1f s for %d configs" % (time.time() - t0, passed + failed))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
