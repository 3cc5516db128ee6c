#!/bin/bash
# Regenerates runtime/symbol-order.txt: the functions an engine's calls run,
# which the linker (lld) places together at the start of rrun's text.
#
# Why: every page fault on these machines costs ~15-25 us (bench/README.md),
# and the kernel maps text 64 KiB around each fault. Startup code scattered
# over 2 MiB of text took ~30 faults per rrun process; packed, ~10.
#
#   scripts/symbol-order.sh [BUILD_DIR]     as root; needs valgrind
#
# What runs in rrun's own process is recorded by callgrind (create, start,
# state, list, exec, kill, delete). The init's side cannot be: valgrind does
# not know openat2, so the init fails there. Its functions are taken from the
# object files whose code runs between clone and exec, with the C library
# functions they call.
# A stale list costs speed, never correctness: lld skips names it lacks.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "symbol-order.sh: run as root" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "symbol-order.sh: valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
BUILD_DIR=${1:-build-bench}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$BUILD_DIR" rrun >&2
RRUN=$(realpath "$BUILD_DIR/rrun")

work=$(mktemp -d)
trap 'for c in p0 p1; do "$RRUN" --root "$work/state" delete -f $c >/dev/null 2>&1 || true; done; rm -rf "$work"' EXIT
mkdir -p "$work/b/rootfs/bin" "$work/out"
cp /bin/busybox "$work/b/rootfs/bin/"
for c in sh true sleep; do ln -s busybox "$work/b/rootfs/bin/$c"; done
sleeping_config() {  # DIR: no terminal, sleep 30
    python3 - "$1/config.json" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["process"]["terminal"] = False
cfg["process"]["args"] = ["sleep", "30"]
json.dump(cfg, open(sys.argv[1], "w"))
PY
}
"$RRUN" spec --bundle "$work/b"
sleeping_config "$work/b"

wrap=()
state=$work/state
profile() {  # NAME RRUN-ARGS...: what a command runs in rrun's own process (under ${wrap[@]}, with --root $state)
    local name=$1
    shift
    "${wrap[@]}" valgrind -q --tool=callgrind --demangle=no --callgrind-out-file="$work/out/$name" \
        "$RRUN" --root "$state" "$@" </dev/null >/dev/null 2>&1 || true
}
# Under valgrind the init fails at its first openat2: create is profiled up to
# there, and the container the other commands act on is made without it.
profile create create -b "$work/b" p0
"$RRUN" --root "$work/state" delete -f p0 >/dev/null 2>&1 || true
# Where every hierarchy is v1 the parent makes the cgroups after the clone
# (cgroup_make_deferred): on a hybrid host create is profiled once more
# without its cgroup2 mount, in a mount namespace of its own.
v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
if [ -n "$v2" ] && grep -qE '^[^ ]+ /sys/fs/cgroup/[^ ]+ cgroup ' /proc/self/mounts; then
    wrap=(unshare -m --propagation private sh -c 'umount "$0" && exec "$@"' "$v2")
    profile create-v1 create -b "$work/b" p0
    wrap=()
    "$RRUN" --root "$work/state" delete -f p0 >/dev/null 2>&1 || true
fi
"$RRUN" --root "$work/state" create -b "$work/b" p1 </dev/null >/dev/null
# Rootless (the integration tests' user): the parent writes the id maps,
# looks for a delegated cgroup, uses its runtime dir; none of it runs as root.
if id rrun-test >/dev/null 2>&1 || useradd -m rrun-test 2>/dev/null; then
    mkdir "$work/rb" "$work/xdg"
    cp -a "$work/b/rootfs" "$work/rb/"
    "$RRUN" spec --rootless --bundle "$work/rb"
    sleeping_config "$work/rb"
    chown -R rrun-test "$work/rb" "$work/xdg" "$work/out"
    chmod 755 "$work"
    wrap=(setpriv --reuid rrun-test --regid rrun-test --clear-groups env XDG_RUNTIME_DIR="$work/xdg")
    state=$work/xdg/state
    profile create-rootless create -b "$work/rb" r0
    "${wrap[@]}" "$RRUN" --root "$state" delete -f r0 >/dev/null 2>&1 || true
    wrap=()
    state=$work/state
fi
profile start start p1
profile state state p1
profile list list
profile exec exec p1 /bin/true
profile kill kill p1 KILL
sleep 0.2
profile delete delete p1

# The init's side (our objects that run between clone and exec) and the
# parent's after the init is ready (container, state), whole.
child_objects=(init process rootfs mount_fd procfs security namespaces network passwd sync signals fs terminal exec container state)
objs=()
for o in "${child_objects[@]}"; do objs+=("$BUILD_DIR/CMakeFiles/libcontainer.dir/libcontainer/$o.cpp.o"); done
objs+=("$BUILD_DIR/CMakeFiles/rrun_seccomp.dir/seccomp/"*.cpp.o)

nm --defined-only "${objs[@]}" 2>/dev/null | awk '$2 ~ /^[tTwW]$/ {print $3}' > "$work/child-defined"
nm --undefined-only "${objs[@]}" 2>/dev/null | awk '{print $2}' > "$work/child-undefined"
nm "$RRUN" | awk '$2 ~ /^[tTwWiI]$/ {print $3}' > "$work/all"
python3 - "$work" > runtime/symbol-order.txt <<'PY'
import collections, os, re, sys
work = sys.argv[1]
lines = lambda name: [l.strip() for l in open(os.path.join(work, name)) if l.strip()]
# Functions that more commands run come first: startup code is shared by all.
# Ties by name, so that the list changes only when the code does.
uses = collections.Counter()
for f in sorted(os.listdir(os.path.join(work, "out"))):
    seen = set()
    for l in open(os.path.join(work, "out", f)):
        m = re.match(r"c?fn=\(\d+\) (.*)", l)
        if not m:
            continue
        name = m.group(1).split("'")[0]
        if name.startswith("0x") or name == "(below main)" or name in seen:
            continue
        seen.add(name)
        uses[name] += 1
# Run by every command but not named by callgrind: before main, or taken
# only when the process is not valgrind's.
startup = ["_start", "__libc_start_main", "__libc_start_call_main", "__libc_early_init", "__libc_init_first",
           "__libc_setup_tls", "_dl_relocate_static_pie", "pthread_mutex_lock", "pthread_mutex_unlock",
           "frame_dummy", "register_tm_clones", "deregister_tm_clones", "__do_global_dtors_aux"]
order = startup + sorted(uses, key=lambda n: (-uses[n], n))
# The init's side; of what it calls, the C library's functions (C++ ones are
# our templates, already among the defined).
order += lines("child-defined") + [n for n in lines("child-undefined") if not n.startswith("_Z")]
# Run between clone and exec from an object that is otherwise the parent's.
order += [n for n in lines("all") if "cgroup_join_self" in n]
# valgrind's CPU picks other string function variants than the machine's
# (__memmove_avx_unaligned_erms for __memmove_avx512_unaligned_erms): keep all.
variant = re.compile(r"^(__\w+?)_(sse2|ssse3|sse4|avx|evex)")
family = collections.defaultdict(list)
for n in lines("all"):
    m = variant.match(n)
    if m:
        family[m.group(1)].append(n)
out = []
for n in order:
    m = variant.match(n)
    out += family[m.group(1)] if m else [n]
print("\n".join(dict.fromkeys(out)))
PY
echo "runtime/symbol-order.txt: $(wc -l < runtime/symbol-order.txt) functions" >&2
