# config.md: root, mounts, process, hostname, domainname, annotations,
# extensibility.  (Hooks are in 4-hooks.sh.)

t_root_readonly() {
    local b
    b=$(bundle)
    cfg "$b" "c['root']['readonly'] = True"
    probe "$b" write /rofile
    [ "$(j "$b/out" 'd["errno"]')" = 30 ] || fail "writing / gave errno $(j "$b/out" 'd["errno"]'), not EROFS (30)"
    pass
}
t config.root.readonly "config.md#root" "root.readonly true: the root filesystem MUST be read-only in the container" t_root_readonly

t_root_writable() {
    local b
    b=$(bundle)
    probe "$b" write /rwfile
    [ "$(j "$b/out" 'd["errno"]')" = 0 ] || fail "writing / failed with errno $(j "$b/out" 'd["errno"]') although root.readonly is false"
    pass
}
t config.root.writable "config.md#root" "root.readonly defaults to false: the root filesystem is writable" t_root_writable

t_root_absolute() {
    local b
    b=$(bundle)
    cfg "$b" "c['root']['path'] = '$b/rootfs'"
    probe "$b"
    pass
}
t config.root.absolute "config.md#root" "root.path MAY be an absolute path" t_root_absolute

t_root_missing() {
    local b id
    b=$(bundle)
    cfg "$b" "c['root']['path'] = 'no-such-rootfs'"
    id=$(newid)
    if run_c "$b" "$id"; then fail "a missing root.path ran"; fi
    pass
}
t config.root.missing "config.md#root" "a directory MUST exist at root.path (else an error)" t_root_missing

t_mount_order() {
    local b
    b=$(bundle)
    mkdir -p "$TDIR/first" "$TDIR/second"
    echo first >"$TDIR/first/which"
    echo second >"$TDIR/second/which"
    cfg "$b" "c['mounts'] += [{'destination': '/data', 'type': 'bind', 'source': '$TDIR/first', 'options': ['bind']}, {'destination': '/data', 'type': 'bind', 'source': '$TDIR/second', 'options': ['bind']}]"
    probe "$b" read /data/which
    [ "$(j "$b/out" 'd["data"]')" = second ] || fail "/data shows [$(j "$b/out" 'd["data"]')]: mounts were not applied in the listed order"
    pass
}
t config.mounts.order "config.md#mounts" "the runtime MUST mount entries in the listed order" t_mount_order

t_mount_bind_relative() {
    local b
    b=$(bundle)
    mkdir -p "$b/volume"
    echo relative >"$b/volume/f"
    cfg "$b" "c['mounts'].append({'destination': '/data', 'type': 'none', 'source': 'volume', 'options': ['rbind']})"
    probe "$b" read /data/f
    [ "$(j "$b/out" 'd["data"]')" = relative ] || fail "/data/f: $(cat "$b/out")"
    pass
}
t config.mounts.bind-relative "config.md#mounts" "a bind mount source MAY be relative to the bundle" t_mount_bind_relative

t_mount_bind_notype() {
    local b
    b=$(bundle)
    mkdir -p "$TDIR/vol"
    echo notype >"$TDIR/vol/f"
    cfg "$b" "c['mounts'].append({'destination': '/data', 'source': '$TDIR/vol', 'options': ['bind']})"
    probe "$b" read /data/f
    [ "$(j "$b/out" 'd["data"]')" = notype ] || fail "/data/f: $(cat "$b/out")"
    pass
}
t config.mounts.type-optional "config.md#posix-platform-mounts" "mount type is OPTIONAL (a bind mount without one works)" t_mount_bind_notype

t_mount_ro() {
    local b
    b=$(bundle)
    mkdir -p "$TDIR/vol"
    cfg "$b" "c['mounts'].append({'destination': '/data', 'type': 'bind', 'source': '$TDIR/vol', 'options': ['rbind', 'ro']})"
    probe "$b" write /data/x
    [ "$(j "$b/out" 'd["errno"]')" = 30 ] || fail "write on a ro bind mount gave errno $(j "$b/out" 'd["errno"]')"
    [ ! -e "$TDIR/vol/x" ] || fail "the file reached the host"
    pass
}
t config.mounts.options-ro "config.md#mounts" "mount options (mount(8)) are applied: ro makes the mount read-only" t_mount_ro

t_mount_tmpfs() {
    local b
    b=$(bundle)
    cfg "$b" "c['mounts'].append({'destination': '/scratch', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['nosuid', 'nodev', 'mode=1770', 'size=1m']})"
    probe "$b"
    local line
    line=$(j "$b/out" '[l for l in d["mountinfo"] if l.split()[4] == "/scratch"]')
    [[ $line == *" - tmpfs "* ]] || fail "no tmpfs at /scratch: $line"
    [[ $line == *nosuid* && $line == *nodev* && $line == *mode=1770* ]] || fail "options not applied: $line"
    pass
}
t config.mounts.tmpfs "config.md#mounts" "a mount of a type from /proc/filesystems gets its options" t_mount_tmpfs

t_args_path() {
    local b
    b=$(bundle)
    cfg "$b" "c['process']['env'] = ['PATH=/bin:/']"
    args "$b" probe report one two
    local id
    id=$(newid)
    run_c "$b" "$id"
    json_ok "$b/out" || fail "args[0]=probe was not looked up in PATH: $(errtext "$b")"
    [ "$(j "$b/out" 'd["args"][1:]')" = '["report", "one", "two"]' ] || fail "argv: $(j "$b/out" 'd["args"]')"
    pass
}
t config.process.args "config.md#process" "args: executed with execvp semantics (PATH lookup, argv passed)" t_args_path

t_env() {
    local b
    b=$(bundle)
    cfg "$b" "c['process']['env'] = ['PATH=/bin', 'A=1', 'WITH_SPACE=a b', 'EMPTY=']"
    probe "$b"
    local miss
    miss=$(j "$b/out" '[e for e in ["PATH=/bin", "A=1", "WITH_SPACE=a b", "EMPTY="] if e not in d["env"]]')
    [ "$miss" = "[]" ] || fail "missing from the environment: $miss (got $(j "$b/out" 'd["env"]'))"
    pass
}
t config.process.env "config.md#process" "env: the process environment MUST hold the configured variables" t_env

t_cwd() {
    local b
    b=$(bundle)
    mkdir -p "$b/rootfs/work/dir"
    cfg "$b" "c['process']['cwd'] = '/work/dir'"
    probe "$b"
    [ "$(j "$b/out" 'd["cwd"]')" = /work/dir ] || fail "cwd is $(j "$b/out" 'd["cwd"]')"
    pass
}
t config.process.cwd "config.md#process" "cwd: the working directory is set for the executable" t_cwd

t_cwd_relative() {
    local b id
    b=$(bundle)
    cfg "$b" "c['process']['cwd'] = 'tmp'"
    id=$(newid)
    if run_c "$b" "$id"; then fail "a relative cwd was accepted (it MUST be absolute)"; fi
    pass
}
t config.process.cwd-absolute "config.md#valid-values" "cwd MUST be absolute; invalid values MUST generate an error" t_cwd_relative

t_user() {
    local b
    b=$(bundle)
    cfg "$b" "c['process']['user'] = {'uid': 1234, 'gid': 2345}"
    probe "$b"
    [ "$(j "$b/out" '[d["uid"], d["euid"], d["gid"], d["egid"]]')" = "[1234, 1234, 2345, 2345]" ] ||
        fail "uid/euid/gid/egid: $(j "$b/out" '[d["uid"], d["euid"], d["gid"], d["egid"]]')"
    pass
}
t config.process.user "config.md#posix-platform-user" "user.uid and user.gid set the process's ids" t_user

t_additional_gids() {
    local b
    b=$(bundle)
    cfg "$b" "c['process']['user'] = {'uid': 1000, 'gid': 1000, 'additionalGids': [5, 4000, 65534]}"
    probe "$b"
    [ "$(j "$b/out" 'sorted(set(d["groups"]) - {1000})')" = "[5, 4000, 65534]" ] || fail "groups: $(j "$b/out" 'd["groups"]')"
    pass
}
t config.process.additional-gids "config.md#posix-platform-user" "additionalGids are added to the process's groups" t_additional_gids

t_umask() {
    local b
    b=$(bundle)
    cfg "$b" "c['process']['user']['umask'] = 0o027"
    probe "$b"
    [ "$(j "$b/out" 'd["umask"]')" = 23 ] || fail "umask is $(j "$b/out" 'oct(d["umask"])'), not 0o27"
    pass
}
t config.process.umask "config.md#posix-platform-user" "user.umask sets the process umask" t_umask

t_caps() {
    local b
    b=$(bundle)
    # noNewPrivileges keeps execve from widening the permitted set; for uid 0
    # the kernel then makes effective = permitted, so effective is checked as
    # "holds the listed caps and nothing outside permitted".
    cfg "$b" "c['process']['noNewPrivileges'] = True; c['process']['capabilities'] = {'bounding': ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_ADMIN'], 'permitted': ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'], 'inheritable': ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE'], 'effective': ['CAP_CHOWN', 'CAP_KILL'], 'ambient': ['CAP_NET_BIND_SERVICE']}"
    probe "$b"
    # CHOWN=0 KILL=5 NET_BIND_SERVICE=10 SYS_ADMIN=21
    local got want eff
    got=$(j "$b/out" '[int(d["status"][k], 16) for k in ("CapBnd", "CapPrm", "CapInh", "CapAmb")]')
    want="[$(((1 << 0) | (1 << 5) | (1 << 10) | (1 << 21))), $(((1 << 0) | (1 << 5) | (1 << 10))), $(((1 << 0) | (1 << 10))), $((1 << 10))]"
    [ "$got" = "$want" ] || fail "[bnd, prm, inh, amb] = $got, want $want"
    eff=$(j "$b/out" '(lambda e, p: e & 33 == 33 and e & ~p == 0)(int(d["status"]["CapEff"], 16), int(d["status"]["CapPrm"], 16))')
    [ "$eff" = true ] || fail "effective $(j "$b/out" 'd["status"]["CapEff"]') lacks CHOWN|KILL or exceeds permitted"
    pass
}
t config.process.capabilities "config.md#linux-process" "capabilities: bounding/permitted/inheritable/effective/ambient sets are kept as listed" t_caps

t_caps_invalid() {
    local b id
    b=$(bundle)
    cfg "$b" "c['process']['capabilities']['bounding'].append('CAP_NO_SUCH_THING')"
    id=$(newid)
    if run_c "$b" "$id"; then fail "an unknown capability was accepted"; fi
    pass
}
t config.process.capabilities-invalid "config.md#linux-process" "a capability that cannot be mapped to the kernel MUST cause an error" t_caps_invalid

t_rlimits() {
    local b
    b=$(bundle)
    cfg "$b" "c['process']['rlimits'] = [{'type': 'RLIMIT_NOFILE', 'soft': 256, 'hard': 512}, {'type': 'RLIMIT_CORE', 'soft': 0, 'hard': 4096}, {'type': 'RLIMIT_MSGQUEUE', 'soft': 8192, 'hard': 8192}]"
    probe "$b"
    local got
    got=$(j "$b/out" '[d["rlimits"][k] for k in ("RLIMIT_NOFILE", "RLIMIT_CORE", "RLIMIT_MSGQUEUE")]')
    [ "$got" = "[[256, 512], [0, 4096], [8192, 8192]]" ] || fail "NOFILE/CORE/MSGQUEUE = $got"
    pass
}
t config.process.rlimits "config.md#posix-process" "rlimits: getrlimit's rlim_cur and rlim_max MUST match soft and hard" t_rlimits

t_rlimits_dup() {
    local b id
    b=$(bundle)
    cfg "$b" "c['process']['rlimits'] = [{'type': 'RLIMIT_NOFILE', 'soft': 256, 'hard': 512}, {'type': 'RLIMIT_NOFILE', 'soft': 128, 'hard': 128}]"
    id=$(newid)
    if run_c "$b" "$id"; then fail "duplicated rlimits entries were accepted"; fi
    pass
}
t config.process.rlimits-duplicate "config.md#posix-process" "duplicated rlimits types MUST generate an error" t_rlimits_dup

t_rlimits_invalid() {
    local b id
    b=$(bundle)
    cfg "$b" "c['process']['rlimits'] = [{'type': 'RLIMIT_NO_SUCH', 'soft': 1, 'hard': 1}]"
    id=$(newid)
    if run_c "$b" "$id"; then fail "an unknown rlimit type was accepted"; fi
    pass
}
t config.process.rlimits-invalid "config.md#posix-process" "an rlimit type that cannot be mapped MUST generate an error" t_rlimits_invalid

t_nnp() {
    local b
    b=$(bundle)
    cfg "$b" "c['process']['noNewPrivileges'] = True"
    probe "$b"
    [ "$(j "$b/out" 'd["status"]["NoNewPrivs"]')" = 1 ] || fail "NoNewPrivs is $(j "$b/out" 'd["status"]["NoNewPrivs"]')"
    pass
}
t config.process.no-new-privileges "config.md#linux-process" "noNewPrivileges true prevents gaining privileges (no_new_privs set)" t_nnp

t_oom_set() {
    local b
    b=$(bundle)
    cfg "$b" "c['process']['oomScoreAdj'] = 345"
    probe "$b"
    [ "$(j "$b/out" 'd["oom_score_adj"]')" = 345 ] || fail "oom_score_adj is $(j "$b/out" 'd["oom_score_adj"]')"
    pass
}
t config.process.oom-score-adj "config.md#linux-process" "oomScoreAdj set: the runtime MUST set oom_score_adj to it" t_oom_set

t_oom_unset() {
    local b id
    b=$(bundle)
    cfg "$b" "c['process'].pop('oomScoreAdj', None)"
    id=$(newid)
    # raising one's own oom_score_adj needs no privilege; the runtime inherits it
    (echo 123 >/proc/self/oom_score_adj && run_c "$b" "$id")
    json_ok "$b/out" || fail "the container did not run: $(errtext "$b")"
    [ "$(j "$b/out" 'd["oom_score_adj"]')" = 123 ] || fail "oom_score_adj changed from the caller's 123 to $(j "$b/out" 'd["oom_score_adj"]')"
    pass
}
t config.process.oom-score-adj-unset "config.md#linux-process" "oomScoreAdj unset: the runtime MUST NOT change oom_score_adj" t_oom_unset

# console receiver: a python listener that takes the pty master over
# SCM_RIGHTS, optionally sets nothing, and copies the output to a file.
console_receiver() {
    "$PY" - "$1" "$2" <<'PY' &
import array, os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
s.settimeout(30)
c, _ = s.accept()
fds = array.array("i")
msg, anc, flags, addr = c.recvmsg(1024, socket.CMSG_LEN(fds.itemsize))
for level, typ, data in anc:
    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
with open(out, "wb") as f:
    while True:
        try:
            chunk = os.read(fds[0], 65536)
        except OSError:
            break
        if not chunk:
            break
        f.write(chunk)
        f.flush()
PY
    RECEIVER_PID=$!
    wait_until 5 test -S "$1"
}

t_terminal() {
    local b id
    b=$(bundle)
    cfg "$b" "c['process']['terminal'] = True; c['process']['consoleSize'] = {'height': 33, 'width': 111}"
    args "$b" /probe report
    console_receiver "$TDIR/console.sock" "$TDIR/console.out" || fail "the console receiver did not start"
    id=$(newid)
    create_c "$b" "$id" --console-socket "$TDIR/console.sock" || fail "create with --console-socket failed: $(errtext "$b")"
    rt start "$id" >/dev/null 2>&1 || fail "start failed"
    wait_until 10 status_is "$id" stopped
    wait "$RECEIVER_PID" 2>/dev/null
    tr -d '\r' <"$TDIR/console.out" >"$TDIR/report.json"
    json_ok "$TDIR/report.json" || fail "no report on the terminal: $(head -c 200 "$TDIR/console.out")"
    [ "$(j "$TDIR/report.json" 'd["tty"]')" = "[true, true, true]" ] || fail "stdio is not a terminal: $(j "$TDIR/report.json" 'd["tty"]')"
    pass
}
t config.process.terminal "config.md#process" "terminal true: a pseudoterminal is allocated and set on the process's standard streams" t_terminal

t_console_size() {
    local b id
    b=$(bundle)
    cfg "$b" "c['process']['terminal'] = True; c['process']['consoleSize'] = {'height': 33, 'width': 111}"
    args "$b" /probe report
    console_receiver "$TDIR/console.sock" "$TDIR/console.out" || fail "the console receiver did not start"
    id=$(newid)
    create_c "$b" "$id" --console-socket "$TDIR/console.sock" || fail "create with --console-socket failed: $(errtext "$b")"
    rt start "$id" >/dev/null 2>&1 || fail "start failed"
    wait_until 10 status_is "$id" stopped
    wait "$RECEIVER_PID" 2>/dev/null
    tr -d '\r' <"$TDIR/console.out" >"$TDIR/report.json"
    json_ok "$TDIR/report.json" || fail "no report on the terminal"
    [ "$(j "$TDIR/report.json" 'd.get("winsize")')" = "[33, 111]" ] || fail "window size is $(j "$TDIR/report.json" 'd.get("winsize")'), not [33, 111]"
    pass
}
t config.process.console-size "config.md#process" "consoleSize specifies the terminal's size in characters" t_console_size

t_console_size_ignored() {
    local b
    b=$(bundle)
    cfg "$b" "c['process']['terminal'] = False; c['process']['consoleSize'] = {'height': 10, 'width': 10}"
    probe "$b"
    [ "$(j "$b/out" 'd["tty"]')" = "[false, false, false]" ] || fail "a terminal was set up"
    pass
}
t config.process.console-size-ignored "config.md#process" "consoleSize MUST be ignored when terminal is false" t_console_size_ignored

t_dev_console() {
    local b id
    b=$(bundle)
    cfg "$b" "c['process']['terminal'] = True"
    args "$b" /probe stat /dev/console
    console_receiver "$TDIR/console.sock" "$TDIR/console.out" || fail "the console receiver did not start"
    id=$(newid)
    create_c "$b" "$id" --console-socket "$TDIR/console.sock" || fail "create with --console-socket failed: $(errtext "$b")"
    rt start "$id" >/dev/null 2>&1 || fail "start failed"
    wait_until 10 status_is "$id" stopped
    wait "$RECEIVER_PID" 2>/dev/null
    tr -d '\r' <"$TDIR/console.out" >"$TDIR/stat.json"
    json_ok "$TDIR/stat.json" || fail "no output on the terminal"
    [ "$(j "$TDIR/stat.json" '[d.get("type"), d.get("major")]')" = '["c", 136]' ] || fail "/dev/console is not the pty slave: $(cat "$TDIR/stat.json")"
    pass
}
t config-linux.devices.console "config-linux.md#default-devices" "/dev/console MUST be the pseudoterminal slave (bind mount) when terminal is enabled" t_dev_console

t_hostname() {
    local b
    b=$(bundle)
    cfg "$b" "c['hostname'] = 'conformance-host'"
    probe "$b"
    [ "$(j "$b/out" 'd["hostname"]')" = conformance-host ] || fail "hostname is $(j "$b/out" 'd["hostname"]')"
    pass
}
t config.hostname "config.md#hostname" "hostname is the container's hostname as seen inside" t_hostname

t_domainname() {
    local b
    b=$(bundle)
    cfg "$b" "c['domainname'] = 'conformance.example'"
    probe "$b"
    [ "$(j "$b/out" 'd["domainname"]')" = conformance.example ] || fail "domainname is $(j "$b/out" 'd["domainname"]')"
    pass
}
t config.domainname "config.md#domainname" "domainname is the container's NIS domain name as seen inside" t_domainname

t_unknown_property() {
    local b
    b=$(bundle)
    cfg "$b" "c['org.example.unknown'] = {'x': 1}; c['process']['org.example.unknown'] = True; c['linux']['org.example.unknown'] = [1]"
    probe "$b"
    pass
}
t config.extensibility "config.md#extensibility" "runtimes MUST ignore unknown properties (no error)" t_unknown_property

t_unknown_annotation() {
    local b
    b=$(bundle)
    cfg "$b" "c['annotations'] = {'org.example.never.heard.of': 'x'}"
    probe "$b"
    pass
}
t config.annotations.unknown "config.md#annotations" "an unknown annotation key MUST NOT generate an error" t_unknown_annotation

t_empty_annotation_key() {
    local b id
    b=$(bundle)
    cfg "$b" "c['annotations'] = {'': 'x'}"
    id=$(newid)
    if run_c "$b" "$id"; then fail "an empty annotation key was accepted"; fi
    pass
}
t config.annotations.empty-key "config.md#annotations" "annotation keys MUST NOT be empty (invalid values MUST generate an error)" t_empty_annotation_key

t_oci_version_invalid() {
    local b id
    b=$(bundle)
    cfg "$b" "c['ociVersion'] = 'not-semver'"
    id=$(newid)
    if run_c "$b" "$id"; then fail "ociVersion 'not-semver' was accepted"; fi
    pass
}
t config.oci-version "config.md#specification-version" "ociVersion MUST be SemVer (invalid values MUST generate an error)" t_oci_version_invalid
