#!/usr/bin/env python3
"""Config generator of the differential suite (tests/differential/README.md).

From a base config (`runc spec`, or `rrun spec`; `--rootless` for the
rootless user) it makes configs that vary the fields the OCI spec defines:
case i < len(MUTATORS) applies mutator i alone (each field singly), later
cases apply 2-4 mutators picked by a random.Random(seed + i) (combinations).
A case is reproducible from (seed, index, mode) alone.

Each mutator edits the config in place and returns a short description of
what it set, printed with every difference.  A config may hold "@BUNDLE@",
replaced by the runner with the bundle's path (bind sources), and a case may
ask the runner to chown the rootfs (meta["rootfs_owner"], for a user
namespace of root's).

  gen.py --base CONFIG.json [--rootless --subuid START] --count N --seed S --out DIR
writes DIR/NNNN/config.json and DIR/NNNN/meta.json (to look at or replay by hand).
"""
import argparse
import copy
import json
import os
import random
import resource

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "fixtures", "podman-default-seccomp.json")

# sysctls the probe reads back (its arguments); all namespaced ones.
SYSCTLS = {
    "net.ipv4.ip_forward": ["1", "0"],
    "net.ipv4.ping_group_range": ["0 2147483647", "1 0"],
    "net.core.somaxconn": ["256", "1024"],
    "kernel.shmmax": ["1000000", "68719476736"],
    "kernel.msgmax": ["16384"],
    "fs.mqueue.msg_max": ["20"],
    # kernel.hostname/domainname: runc checks them against the UTS namespace
    "kernel.hostname": ["sysctl-host"],
    "kernel.domainname": ["sysctl-domain"],
}
PROBE_ARGS = ["/probe", "lines"] + sorted(SYSCTLS)

CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT",
        "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP", "CAP_SYS_ADMIN", "CAP_NET_ADMIN",
        "CAP_SYS_PTRACE", "CAP_IPC_LOCK", "CAP_SYS_RESOURCE", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"]

# calls a pre-2020 profile does not list (issue #16, point 1)
MODERN_CALLS = {"close_range", "clone3", "openat2", "faccessat2", "execveat", "memfd_create",
                "pidfd_open", "pidfd_getfd", "pidfd_send_signal", "epoll_pwait2", "process_madvise"}


def _old_allowlist():
    p = json.load(open(FIXTURE))
    names = set()
    for s in p["syscalls"]:
        if s["action"] == "SCMP_ACT_ALLOW" and not s.get("args") and not s.get("includes"):
            names.update(s["names"])
    return sorted(names - MODERN_CALLS)


class Ctx:
    def __init__(self, rng, rootless, mapped_ids):
        self.rng = rng
        self.rootless = rootless
        self.mapped_ids = mapped_ids  # a rootless config with a subuid range maps 0-65536
        self.meta = {}

    def pick(self, seq):
        return self.rng.choice(seq)

    def subset(self, seq, p=0.5):
        return [x for x in seq if self.rng.random() < p]


def ns_types(c):
    return [n["type"] for n in c["linux"].get("namespaces", [])]


def has_ns(c, t):
    return t in ns_types(c)


# ---- mutators: each returns a description ---------------------------------

def m_user(c, x):
    ids = [0, 1000, 1234, 65534] if (not x.rootless or x.mapped_ids) else [0, 0, 1000]
    u = {"uid": x.pick(ids), "gid": x.pick([0, 1000, 100, 1234])}
    if x.rng.random() < 0.6:
        u["additionalGids"] = x.pick([[], [10], [10, 1000], [0], [1000, 1000]])
    c["process"]["user"] = u
    return "user=%s" % json.dumps(u, separators=(",", ":"))


def m_umask(c, x):
    v = x.pick([0, 0o22, 0o77, 0o2, 0o27, 0o777])
    c["process"]["user"]["umask"] = v
    return "umask=%04o" % v


def m_env(c, x):
    env = []
    choice = []
    if x.rng.random() < 0.5:
        env.append("PATH=/usr/local/bin:/usr/bin:/bin")
        choice.append("PATH")
    if x.rng.random() < 0.4:
        env.append("HOME=/custom")
        choice.append("HOME")
    if x.rng.random() < 0.5:
        env.append("TERM=xterm")
    if x.rng.random() < 0.3:
        env += ["DUP=1", "DUP=2"]
        choice.append("DUP")
    if x.rng.random() < 0.3:
        env.append("EMPTY=")
    if x.rng.random() < 0.2:
        env.append("A=b=c")
    c["process"]["env"] = env
    return "env=" + ",".join(e.split("=")[0] for e in env) if env else "env=[]"


def m_cwd(c, x):
    v = x.pick(["/", "/tmp", "/etc", "/home/u", "/missing", "/missing/deep/er", "/etc/passwd", "/proc"])
    c["process"]["cwd"] = v
    return "cwd=" + v


def m_caps(c, x):
    caps = {}
    if x.rng.random() < 0.25:
        # any sets: the kernel refuses some (ambient outside permitted, ...)
        for s in ["bounding", "effective", "permitted", "inheritable", "ambient"]:
            if x.rng.random() < 0.8:
                caps[s] = x.subset(CAPS, 0.3)
    else:
        # consistent sets: bounding >= permitted >= effective, ambient in permitted and inheritable
        caps["bounding"] = x.subset(CAPS, 0.5)
        caps["permitted"] = x.subset(caps["bounding"], 0.7)
        caps["effective"] = x.subset(caps["permitted"], 0.8)
        caps["inheritable"] = x.subset(caps["bounding"], 0.4)
        caps["ambient"] = [k for k in caps["permitted"] if k in caps["inheritable"] and x.rng.random() < 0.7]
        for s in list(caps):
            if x.rng.random() < 0.1:
                del caps[s]
    c["process"]["capabilities"] = caps
    return "caps=" + ",".join("%s:%d" % (k[:3], len(v)) for k, v in caps.items())


def m_nnp(c, x):
    v = x.pick([True, False])
    c["process"]["noNewPrivileges"] = v
    return "noNewPrivileges=%s" % v


def m_rlimits(c, x):
    out = []
    for name, res in [("RLIMIT_NOFILE", resource.RLIMIT_NOFILE), ("RLIMIT_NPROC", resource.RLIMIT_NPROC),
                      ("RLIMIT_CORE", resource.RLIMIT_CORE), ("RLIMIT_MEMLOCK", resource.RLIMIT_MEMLOCK),
                      ("RLIMIT_STACK", resource.RLIMIT_STACK), ("RLIMIT_MSGQUEUE", resource.RLIMIT_MSGQUEUE)]:
        if x.rng.random() < 0.5:
            continue
        hard_now = resource.getrlimit(res)[1]
        top = hard_now if hard_now != resource.RLIM_INFINITY else 1 << 24
        low = 1 << 20 if name == "RLIMIT_STACK" else 64  # a smaller stack only crashes the probe
        hard = x.pick([top, top // 2, low, max(low, 1024) if top >= 1024 else top])
        soft = x.pick([hard, hard // 2, 0 if name != "RLIMIT_STACK" else hard])
        if x.rng.random() < 0.05:
            soft = hard + 1  # invalid: soft above hard
        if x.rng.random() < 0.05 and hard_now != resource.RLIM_INFINITY:
            hard = hard_now + 1  # above the host's hard limit: EPERM without CAP_SYS_RESOURCE
        out.append({"type": name, "hard": hard, "soft": soft})
    c["process"]["rlimits"] = out
    return "rlimits=" + ",".join("%s:%d/%d" % (r["type"][7:], r["soft"], r["hard"]) for r in out)


def m_oom(c, x):
    now = int(open("/proc/self/oom_score_adj").read())
    v = x.pick([now, now + 1, 500, 1000])
    c["process"]["oomScoreAdj"] = v
    return "oomScoreAdj=%d" % v


def m_hostname(c, x):
    d = []
    for k in ["hostname", "domainname"]:
        r = x.rng.random()
        if r < 0.3:
            c.pop(k, None)
            d.append(k + "=unset")
        elif r < 0.5:
            c[k] = ""
            d.append(k + "=''")
        else:
            c[k] = x.pick(["probe-host", "a.b.c", "x" * 63])
            d.append("%s=%s" % (k, c[k][:12]))
    return " ".join(d)


def m_namespaces(c, x):
    ns = [n for n in c["linux"]["namespaces"]]
    changed = []
    for t in ["network", "uts", "ipc", "pid", "cgroup", "mount"]:
        present = any(n["type"] == t for n in ns)
        if x.rng.random() < 0.35:
            if present:
                ns = [n for n in ns if n["type"] != t]
                changed.append("-" + t)
            else:
                ns.append({"type": t})
                changed.append("+" + t)
    if "-mount" in changed and x.rng.random() < 0.8:
        # runc cannot mask or make read-only paths without a mount namespace
        c["linux"]["maskedPaths"], c["linux"]["readonlyPaths"] = [], []
    if "-uts" in changed and x.rng.random() < 0.8:
        c.pop("hostname", None)
        c.pop("domainname", None)
        changed.append("(no hostname)")
    c["linux"]["namespaces"] = ns
    return "namespaces " + " ".join(changed or ["unchanged"])


def m_userns_root(c, x):
    """root only: a user namespace with a 65536 range, the rootfs chowned to it."""
    if x.rootless or has_ns(c, "user"):
        return m_namespaces(c, x)
    c["linux"]["namespaces"].append({"type": "user"})
    c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    x.meta["rootfs_owner"] = 100000
    return "+user (0->100000 x65536)"


def _tmpfs_opts(x):
    o = x.subset(["nosuid", "nodev", "noexec", "strictatime", "noatime", "ro"], 0.3)
    o += x.subset([x.pick(["mode=1777", "mode=0700", "mode=755", "mode=0"]),
                   x.pick(["size=1m", "size=64k", "size=10%"]), "nr_inodes=1000", "uid=1000", "gid=1000"], 0.4)
    return o


def _mount(x):
    k = x.pick(["tmpfs", "tmpfs-copyup", "bind-dir", "bind-file", "proc", "sysfs", "mqueue", "nested",
                "typeless-bind", "relative-dest", "bind-missing-source"])
    if k == "tmpfs":
        return {"destination": x.pick(["/scratch", "/tmp", "/home/u"]), "type": "tmpfs", "source": "tmpfs",
                "options": _tmpfs_opts(x)}
    if k == "tmpfs-copyup":
        return {"destination": x.pick(["/etc", "/home"]), "type": "tmpfs", "source": "tmpfs",
                "options": _tmpfs_opts(x) + ["tmpcopyup"]}
    if k in ("bind-dir", "typeless-bind"):
        o = [x.pick(["bind", "rbind"]), x.pick(["ro", "rw"])] + x.subset(["nosuid", "nodev", "noexec"], 0.3)
        if x.rng.random() < 0.4:
            o.append(x.pick(["private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable"]))
        m = {"destination": x.pick(["/mnt/data", "/data", "/tmp"]), "source": "@BUNDLE@/hostdir", "options": o}
        if k == "bind-dir":
            m["type"] = x.pick(["bind", "none"])
        return m
    if k == "bind-file":
        return {"destination": x.pick(["/etc/hostfile", "/hostfile", "/etc/passwd"]), "type": "bind",
                "source": "@BUNDLE@/hostfile", "options": ["bind", x.pick(["ro", "rw"])]}
    if k == "bind-missing-source":
        return {"destination": "/mnt/x", "type": "bind", "source": "@BUNDLE@/no-such", "options": ["bind"]}
    if k == "proc":
        return {"destination": "/proc2", "type": "proc", "source": "proc",
                "options": x.subset(["nosuid", "nodev", "noexec"], 0.5)}
    if k == "sysfs":
        return {"destination": "/sys2", "type": "sysfs", "source": "sysfs",
                "options": x.subset(["nosuid", "nodev", "noexec", "ro"], 0.5)}
    if k == "mqueue":
        return {"destination": "/mq", "type": "mqueue", "source": "mqueue",
                "options": x.subset(["nosuid", "nodev", "noexec"], 0.5)}
    if k == "nested":
        return {"destination": "/a/b/c", "type": "tmpfs", "source": "tmpfs", "options": []}
    return {"destination": "reldir", "type": "tmpfs", "source": "tmpfs", "options": []}


def m_mounts(c, x):
    d = []
    for _ in range(x.pick([1, 1, 2, 3])):
        m = _mount(x)
        if any(o["destination"] == m["destination"] for o in c["mounts"]):
            continue  # stacked mounts: runc 1.1.5 applies a later mount's ro/flags by path (README)
        c["mounts"].append(m)
        d.append("%s:%s[%s]" % (m.get("type", "-"), m["destination"], ",".join(m.get("options", []))))
    return "mounts+ " + " ".join(d)


def m_default_mounts(c, x):
    d = []
    ms = c["mounts"]
    for m in ms:
        if m["destination"] == "/dev/pts" and x.rng.random() < 0.6:
            m["options"] = x.subset(["nosuid", "noexec", "newinstance"], 0.7) + x.subset(
                [x.pick(["ptmxmode=0666", "ptmxmode=0600", "ptmxmode=0000"]), x.pick(["mode=0620", "mode=0600"]),
                 x.pick(["gid=5", "gid=0"])], 0.6)
            d.append("devpts[%s]" % ",".join(m["options"]))
        if m["destination"] == "/sys/fs/cgroup" and x.rng.random() < 0.4:
            m["options"] = [o for o in m.get("options", []) if o != "ro"] + ["rw"]
            d.append("cgroup rw")
    drop = x.subset(["/dev/shm", "/dev/mqueue", "/sys/fs/cgroup", "/dev/pts", "/dev", "/sys", "/proc"], 0.12)
    if drop:
        c["mounts"] = [m for m in ms if m["destination"] not in drop]
        d.append("without " + ",".join(drop))
    return "default mounts " + (" ".join(d) or "unchanged")


def m_paths(c, x):
    masked = x.subset(c["linux"].get("maskedPaths", []), 0.6) + x.subset(
        ["/proc/kmsg", "/etc/passwd", "/etc", "/nonexistent", "/proc/sys", "/home/u"], 0.25)
    ro = x.subset(c["linux"].get("readonlyPaths", []), 0.6) + x.subset(
        ["/etc", "/tmp", "/nonexistent", "/proc/self", "/home"], 0.25)
    c["linux"]["maskedPaths"] = masked
    c["linux"]["readonlyPaths"] = ro
    return "masked=%s readonly=%s" % (",".join(masked[-3:]), ",".join(ro[-3:]))


def m_readonly_root(c, x):
    v = x.pick([True, False])
    c["root"]["readonly"] = v
    return "root.readonly=%s" % v


def m_devices(c, x):
    menu = [("/dev/fuse", "c", 10, 229), ("/dev/net/tun", "c", 10, 200), ("/dev/mynull", "c", 1, 3),
            ("/dev/loop0", "b", 7, 0), ("/dev/null", "c", 1, 3), ("/dev/sub/dir/zero", "c", 1, 5)]
    if x.rootless and x.rng.random() < 0.8:
        menu = menu[:2] + menu[3:5]  # a rootless runtime binds the host's node: one that exists
    devs = []
    for p, t, ma, mi in x.subset(menu, 0.4) or [menu[0]]:
        d = {"path": p, "type": t, "major": ma, "minor": mi}
        if x.rng.random() < 0.6:
            d["fileMode"] = x.pick([0o666, 0o600, 0o640, 0o20666])
        if x.rng.random() < 0.4:
            d["uid"] = x.pick([0, 1000])
        if x.rng.random() < 0.4:
            d["gid"] = x.pick([0, 1000])
        devs.append(d)
    c["linux"]["devices"] = devs
    if not x.rootless:
        # the device cgroup: allow what was added (runc adds the rules itself)
        c["linux"].setdefault("resources", {})["devices"] = [{"allow": False, "access": "rwm"}] + [
            {"allow": True, "type": d["type"], "major": d["major"], "minor": d["minor"], "access": "rwm"} for d in devs]
    return "devices=" + ",".join("%s%s" % (d["path"], "(u%s/g%s)" % (d.get("uid", "-"), d.get("gid", "-"))) for d in devs)


def m_sysctl(c, x):
    s = {}
    for k in x.subset(sorted(SYSCTLS), 0.3) or ["kernel.shmmax"]:
        if k.startswith("kernel.") and k.endswith("name") and x.rng.random() < 0.7:
            continue  # issue #16 point 10: keep it, but rarer
        s[k] = x.pick(SYSCTLS[k])
    if any(k.startswith("net.") for k in s) and not has_ns(c, "network") and x.rng.random() < 0.8:
        c["linux"]["namespaces"].append({"type": "network"})  # net.* needs one (rootless bases have none)
    c["linux"]["sysctl"] = s
    return "sysctl=" + ",".join("%s=%s" % kv for kv in s.items())


def m_resources(c, x):
    if x.rootless:
        return m_sysctl(c, x)
    r = c["linux"].setdefault("resources", {})
    d = []
    if x.rng.random() < 0.6:
        mem = {"limit": x.pick([64 << 20, 256 << 20, 10 << 20])}
        if x.rng.random() < 0.3:
            mem["reservation"] = 8 << 20
        r["memory"] = mem
        d.append("memory=%s" % mem)
    if x.rng.random() < 0.6:
        r["pids"] = {"limit": x.pick([100, 1000, -1])}
        d.append("pids=%d" % r["pids"]["limit"])
    if x.rng.random() < 0.6:
        cpu = {"shares": x.pick([512, 2048, 2])}
        if x.rng.random() < 0.4:
            cpu["quota"], cpu["period"] = 50000, 100000
        r["cpu"] = cpu
        d.append("cpu=%s" % cpu)
    return "resources " + (" ".join(d) or "none")


def m_seccomp(c, x):
    k = x.pick(["old-allowlist-eperm", "old-allowlist-enosys", "deny-some", "log-default"])
    arches = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    if k.startswith("old-allowlist"):
        prof = {"defaultAction": "SCMP_ACT_ERRNO", "architectures": arches,
                "syscalls": [{"names": _old_allowlist(), "action": "SCMP_ACT_ALLOW"}]}
        if k.endswith("enosys"):
            prof["defaultErrnoRet"] = 38
    elif k == "deny-some":
        prof = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": arches,
                "syscalls": [{"names": ["unshare", "mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
                             {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
    else:
        prof = {"defaultAction": "SCMP_ACT_LOG", "architectures": arches,
                "syscalls": [{"names": ["unshare"], "action": "SCMP_ACT_ERRNO"}]}
    c["linux"]["seccomp"] = prof
    if x.rng.random() < 0.5:
        # engines' default: the filter is then loaded before the runtime's last calls
        c["process"]["noNewPrivileges"] = False
        k += " noNewPrivileges=False"
    return "seccomp=" + k


HOOKS = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]


def m_hooks(c, x):
    """Hooks that record their environment and the state on stdin in the bundle (the runner
    reads hook-KIND.env / hook-KIND.state); startContainer runs in the container (the probe's rootfs
    has no shell: it runs /probe, which must just succeed)."""
    hooks = {}
    d = []
    for k in x.subset(HOOKS, 0.4) or ["prestart"]:
        if k in ("createContainer", "startContainer"):
            # these run in the container's mount namespace: the probe, which must just succeed
            h = {"path": "/probe", "args": ["probe", "sleep", "0"]}
        else:
            h = {"path": "/bin/sh", "args": ["sh", "-c", "env > @BUNDLE@/hook-%s.env; cat > @BUNDLE@/hook-%s.state" % (k, k)]}
        if x.rng.random() < 0.4:
            h["env"] = ["HOOKVAR=1"]
        hooks[k] = [h]
        d.append(k + ("(env)" if "env" in h else ""))
    c["hooks"] = hooks
    return "hooks=" + ",".join(d)


MUTATORS = [m_user, m_umask, m_env, m_cwd, m_caps, m_nnp, m_rlimits, m_oom, m_hostname, m_namespaces,
            m_userns_root, m_mounts, m_default_mounts, m_paths, m_readonly_root, m_devices, m_sysctl,
            m_resources, m_seccomp, m_hooks]


def prepare_base(base, rootless):
    c = copy.deepcopy(base)
    c["process"]["terminal"] = False
    c["process"]["args"] = list(PROBE_ARGS)
    c["root"]["path"] = "rootfs"
    c["hostname"] = c.get("hostname", "probe")
    if rootless:
        c["linux"].get("resources", {}).pop("devices", None)
    return c


def generate(base, rootless, seed, count, subuid=None):
    """Yields (index, description, config, meta)."""
    base = prepare_base(base, rootless)
    for i in range(count):
        rng = random.Random("%d-%d-%s" % (seed, i, "rootless" if rootless else "root"))
        c = copy.deepcopy(base)
        mapped = False
        if rootless and subuid is not None and rng.random() < 0.5:
            # the user's own id for 0, its subuid range for 1..65536 (newuidmap)
            own = c["linux"]["uidMappings"][0]["hostID"], c["linux"]["gidMappings"][0]["hostID"]
            c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": own[0], "size": 1},
                                         {"containerID": 1, "hostID": subuid[0], "size": 65536}]
            c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": own[1], "size": 1},
                                         {"containerID": 1, "hostID": subuid[1], "size": 65536}]
            mapped = True
        x = Ctx(rng, rootless, mapped)
        if i < len(MUTATORS):
            muts = [MUTATORS[i]]
        else:
            muts = rng.sample(MUTATORS, rng.choice([2, 2, 3, 4]))
        desc = ["idmap=range"] if mapped else []
        for m in muts:
            desc.append(m(c, x))
        yield i, "; ".join(desc), c, x.meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="base config.json (runc spec / rrun spec output)")
    ap.add_argument("--rootless", action="store_true")
    ap.add_argument("--subuid", help="UIDSTART:GIDSTART of the rootless user's subordinate ranges")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    sub = tuple(int(v) for v in a.subuid.split(":")) if a.subuid else None
    for i, desc, c, meta in generate(json.load(open(a.base)), a.rootless, a.seed, a.count, sub):
        d = os.path.join(a.out, "%04d" % i)
        os.makedirs(d, exist_ok=True)
        json.dump(c, open(os.path.join(d, "config.json"), "w"), indent=1)
        json.dump(dict(meta, description=desc), open(os.path.join(d, "meta.json"), "w"), indent=1)
        print("%04d %s" % (i, desc))


if __name__ == "__main__":
    main()
