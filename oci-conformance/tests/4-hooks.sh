# config.md#posix-platform-hooks: prestart, createRuntime, createContainer,
# startContainer, poststart, poststop.

# hook_bundle: a bundle whose process marks /started, plus a host hook
# script $HOOK that logs NAME, its stdin (the state), namespaces and env to
# $LOG/NAME.*, and appends NAME to $LOG/order.
hook_bundle() {
    B=$(bundle)
    LOG=$TDIR/hooklog
    mkdir -p "$LOG"
    HOOK=$TDIR/hook.sh
    cat >"$HOOK" <<EOF
#!/bin/sh
name=\$1
cat >"$LOG/\$name.state"
echo "\$name" >>"$LOG/order"
readlink /proc/self/ns/net >"$LOG/\$name.net"
readlink /proc/self/ns/mnt >"$LOG/\$name.mnt"
env >"$LOG/\$name.env"
if [ -e "$B/rootfs/started" ]; then echo yes; else echo no; fi >"$LOG/\$name.user-started"
exit \${2:-0}
EOF
    chmod 755 "$HOOK"
    args "$B" /probe mark /started
}
# add_hook KIND NAME [EXIT] [EXTRA-PYTHON-DICT-ITEMS]
add_hook() {
    cfg "$B" "c.setdefault('hooks', {}).setdefault('$1', []).append({'path': '$HOOK', 'args': ['hook.sh', '$2', '${3:-0}']${4:+, $4}})"
}
hook_ran() { [ -f "$LOG/$1.state" ]; }

t_hook_prestart() {
    hook_bundle
    add_hook prestart prestart
    ID=$(newid)
    create_c "$B" "$ID" || fail "create failed: $(errtext "$B")"
    rt start "$ID" >/dev/null 2>&1 || fail "start failed"
    wait_until 10 status_is "$ID" stopped
    hook_ran prestart || fail "the prestart hook was not called"
    [ "$(cat "$LOG/prestart.user-started")" = no ] || fail "prestart ran after the user program"
    pass
}
t config.hooks.prestart "config.md#prestart" "prestart hooks MUST be called before the user-specified program runs" t_hook_prestart

t_hook_create_runtime() {
    hook_bundle
    add_hook createRuntime createRuntime
    ID=$(newid)
    create_c "$B" "$ID" || fail "create failed: $(errtext "$B")"
    hook_ran createRuntime || fail "the createRuntime hook was not called during create"
    [ "$(cat "$LOG/createRuntime.net")" = "$(host_ns net)" ] || fail "createRuntime did not run in the runtime namespace (net $(cat "$LOG/createRuntime.net"))"
    pass
}
t config.hooks.create-runtime "config.md#createruntime-hooks" "createRuntime hooks MUST be called during create, in the runtime namespace" t_hook_create_runtime

t_hook_create_container() {
    hook_bundle
    add_hook createContainer createContainer
    ID=$(newid)
    create_c "$B" "$ID" || fail "create failed: $(errtext "$B")"
    hook_ran createContainer || fail "the createContainer hook was not called during create"
    local pid
    pid=$(pid_of "$ID")
    [ "$(cat "$LOG/createContainer.net")" = "$(readlink /proc/$pid/ns/net)" ] || fail "createContainer did not run in the container namespace (net $(cat "$LOG/createContainer.net"), container $(readlink /proc/$pid/ns/net))"
    pass
}
t config.hooks.create-container "config.md#createcontainer-hooks" "createContainer hooks MUST be called during create, in the container namespace" t_hook_create_container

t_hook_start_container() {
    hook_bundle
    cfg "$B" "c['hooks'] = {'startContainer': [{'path': '/bin/sh', 'args': ['sh', '-c', 'cat >/startContainer.state; if [ -e /started ]; then echo yes; else echo no; fi >/startContainer.user-started']}]}"
    ID=$(newid)
    create_c "$B" "$ID" || fail "create failed: $(errtext "$B")"
    [ ! -e "$B/rootfs/startContainer.state" ] || fail "startContainer ran during create"
    rt start "$ID" >/dev/null 2>&1 || fail "start failed"
    wait_until 10 status_is "$ID" stopped
    [ -e "$B/rootfs/startContainer.state" ] || fail "the startContainer hook (path resolved in the container) was not called"
    [ "$(cat "$B/rootfs/startContainer.user-started")" = no ] || fail "startContainer ran after the user program"
    pass
}
t config.hooks.start-container "config.md#startcontainer-hooks" "startContainer hooks MUST be called in the container, during start, before the user program" t_hook_start_container

t_hook_poststart() {
    hook_bundle
    args "$B" /probe sleep 600
    add_hook poststart poststart
    ID=$(newid)
    create_c "$B" "$ID" || fail "create failed: $(errtext "$B")"
    hook_ran poststart && fail "poststart ran during create"
    rt start "$ID" >/dev/null 2>&1 || fail "start failed"
    hook_ran poststart || fail "the poststart hook had not been called when start returned"
    pass
}
t config.hooks.poststart "config.md#poststart" "poststart hooks MUST be called after the user process starts, before start returns" t_hook_poststart

t_hook_poststop() {
    hook_bundle
    args "$B" /bin/true
    add_hook poststop poststop
    ID=$(newid)
    create_c "$B" "$ID" || fail "create failed: $(errtext "$B")"
    rt start "$ID" >/dev/null 2>&1 || fail "start failed"
    wait_until 10 status_is "$ID" stopped || fail "not stopped"
    rt delete "$ID" >/dev/null 2>&1 || fail "delete failed"
    hook_ran poststop || fail "the poststop hook had not been called when delete returned"
    pass
}
t config.hooks.poststop "config.md#poststop" "poststop hooks MUST be called after the container is deleted, before delete returns" t_hook_poststop

t_hook_state_stdin() {
    hook_bundle
    add_hook createRuntime createRuntime
    ID=$(newid)
    create_c "$B" "$ID" || fail "create failed: $(errtext "$B")"
    hook_ran createRuntime || fail "the hook was not called"
    local v
    v=$(j "$LOG/createRuntime.state" "[d.get('id') == '$ID', d.get('bundle') == '$B', isinstance(d.get('pid'), int) and d.get('pid') > 0, 'ociVersion' in d, d.get('status')]")
    case $v in
        '[true, true, true, true, "creating"]' | '[true, true, true, true, "created"]') pass ;;
        *) fail "the state on the hook's stdin is wrong ([id, bundle, pid, ociVersion, status] = $v): $(head -c 300 "$LOG/createRuntime.state")" ;;
    esac
}
t config.hooks.state "config.md#posix-platform-hooks" "the container's state MUST be passed to hooks over stdin" t_hook_state_stdin

t_hook_order() {
    hook_bundle
    add_hook createRuntime first
    add_hook createRuntime second
    add_hook createRuntime third
    ID=$(newid)
    create_c "$B" "$ID" || fail "create failed: $(errtext "$B")"
    [ "$(tr '\n' ' ' <"$LOG/order" 2>/dev/null)" = "first second third " ] || fail "hooks ran as [$(tr '\n' ' ' <"$LOG/order" 2>/dev/null)]"
    pass
}
t config.hooks.order "config.md#posix-platform-hooks" "hooks MUST be called in the listed order" t_hook_order

t_hook_env() {
    hook_bundle
    add_hook createRuntime envhook 0 "'env': ['HOOK_VAR=conformance']"
    ID=$(newid)
    create_c "$B" "$ID" || fail "create failed: $(errtext "$B")"
    grep -qx HOOK_VAR=conformance "$LOG/envhook.env" 2>/dev/null || fail "the hook's env was not set: $(tr '\n' ' ' <"$LOG/envhook.env" 2>/dev/null | head -c 200)"
    pass
}
t config.hooks.env "config.md#posix-platform-hooks" "a hook's env is its environment (execv environ semantics)" t_hook_env

t_hook_fail() {
    hook_bundle
    add_hook createRuntime failing 1
    ID=$(newid)
    if create_c "$B" "$ID"; then
        fail "create succeeded although a createRuntime hook exited 1"
    fi
    hook_ran failing || fail "the hook was not called at all"
    [ ! -e "$B/rootfs/started" ] || fail "the user program ran"
    pass
}
t config.hooks.fail "config.md#createruntime-hooks" "a failing createRuntime hook MUST make the runtime generate an error and stop the container" t_hook_fail

t_hook_poststart_fail() {
    hook_bundle
    args "$B" /probe sleep 600
    add_hook poststart failing 1
    ID=$(newid)
    create_c "$B" "$ID" || fail "create failed: $(errtext "$B")"
    local pid
    pid=$(pid_of "$ID")
    if rt start "$ID" >/dev/null 2>&1; then fail "start succeeded although its poststart hook failed"; fi
    hook_ran failing || fail "the poststart hook was not called"
    wait_until 10 status_is "$ID" stopped || fail "after a failing poststart hook the container is [$(status_of "$ID")], not stopped"
    # gone, or a zombie its new parent has not reaped yet
    [ -n "$pid" ] && { [ ! -d "/proc/$pid" ] || grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; } ||
        fail "the container's process $pid still runs"
    pass
}
t runtime.lifecycle.poststart-fail "runtime.md#lifecycle" "1.3.0: a failing poststart hook MUST be an error; the runtime stops the container" t_hook_poststart_fail

t_hook_timeout() {
    hook_bundle
    cat >"$TDIR/slow.sh" <<'EOF'
#!/bin/sh
exec sleep 20
EOF
    chmod 755 "$TDIR/slow.sh"
    cfg "$B" "c['hooks'] = {'createRuntime': [{'path': '$TDIR/slow.sh', 'timeout': 1}]}"
    ID=$(newid)
    local t0=$SECONDS
    if create_c "$B" "$ID"; then fail "create succeeded although its hook timed out"; fi
    [ $((SECONDS - t0)) -lt 15 ] || fail "the hook was not aborted after its 1 s timeout (create took $((SECONDS - t0)) s)"
    pass
}
t config.hooks.timeout "config.md#posix-platform-hooks" "timeout: the hook is aborted after that many seconds (and the operation errors)" t_hook_timeout
