# runtime.md: state, lifecycle and operations.

# A created container whose init will run `probe mark /started` on start.
created_marker() {
    B=$(bundle)
    args "$B" /probe mark /started
    ID=$(newid)
    create_c "$B" "$ID" || fail "create failed: $(errtext "$B")"
}

# A running container (probe sleep).
running_sleeper() {
    B=$(bundle)
    args "$B" /probe sleep 600
    ID=$(newid)
    create_c "$B" "$ID" || fail "create failed: $(errtext "$B")"
    rt start "$ID" >/dev/null 2>&1 || fail "start failed"
    wait_until 5 status_is "$ID" running || fail "status did not become running (got $(status_of "$ID"))"
}

# A stopped container (probe exits at once).
stopped_container() {
    B=$(bundle)
    args "$B" /bin/true
    ID=$(newid)
    create_c "$B" "$ID" || fail "create failed: $(errtext "$B")"
    rt start "$ID" >/dev/null 2>&1 || fail "start failed"
    wait_until 10 status_is "$ID" stopped || fail "status did not become stopped (got $(status_of "$ID"))"
}

t_state_fields() {
    created_marker
    local s
    s=$(state_of "$ID") || fail "state failed"
    echo "$s" >"$TDIR/state.json"
    local missing
    missing=$(j "$TDIR/state.json" '[k for k in ("ociVersion","id","status","bundle") if k not in d] + ([] if isinstance(d.get("pid"), int) else ["pid (int, while created)"])')
    [ "$missing" = "[]" ] || fail "state lacks $missing: $s"
    [ "$(j "$TDIR/state.json" 'd["id"]')" = "$ID" ] || fail "id is not $ID: $s"
    [ "$(j "$TDIR/state.json" 'd["bundle"]')" = "$B" ] || fail "bundle is not the absolute bundle path $B: $s"
    pass
}
t runtime.state.fields "runtime.md#state" "state MUST have ociVersion, id, status, bundle (absolute) and pid while created/running" t_state_fields

t_state_pid_host() {
    created_marker
    local pid
    pid=$(pid_of "$ID")
    [ -n "$pid" ] && [ -d "/proc/$pid" ] || fail "pid [$pid] is not a live host process"
    [ "$(readlink /proc/$pid/ns/pid_for_children 2>/dev/null || readlink /proc/$pid/ns/pid)" != "$(host_ns pid)" ] || fail "pid $pid is in the host's pid namespace although a new one was requested"
    [ "$(readlink /proc/$pid/ns/mnt)" != "$(host_ns mnt)" ] || fail "pid $pid is not in the container's mount namespace"
    pass
}
t runtime.state.pid "runtime.md#state" "pid MUST be the container process's id as seen by the host" t_state_pid_host

t_create_status() {
    created_marker
    [ "$(status_of "$ID")" = created ] || fail "status after create is [$(status_of "$ID")]"
    pass
}
t runtime.create.status "runtime.md#create" "after create the status MUST be created" t_create_status

t_create_no_user_code() {
    created_marker
    sleep 0.3
    [ ! -e "$B/rootfs/started" ] || fail "process.args ran during create"
    pass
}
t runtime.create.no-user-code "runtime.md#create" "create MUST NOT run the user-specified program" t_create_no_user_code

t_create_duplicate() {
    created_marker
    local pid b2
    pid=$(pid_of "$ID")
    b2=$(bundle second)
    if create_c "$b2" "$ID"; then fail "a second create with the same id succeeded"; fi
    [ "$(status_of "$ID")" = created ] && [ "$(pid_of "$ID")" = "$pid" ] || fail "the first container changed: $(state_of "$ID")"
    pass
}
t runtime.create.duplicate-id "runtime.md#create" "create with an id that is not unique MUST error and MUST NOT create a container" t_create_duplicate

t_create_no_config() {
    local b id
    b=$TDIR/empty
    mkdir -p "$b"
    id=$(newid)
    if create_c "$b" "$id"; then fail "create of a bundle with no config.json succeeded"; fi
    if state_of "$id" >/dev/null; then fail "a container exists after the failed create"; fi
    pass
}
t runtime.create.bad-bundle "runtime.md#create" "create MUST error without a usable bundle and leave no container behind" t_create_no_config

t_create_error_leaves_nothing() {
    local b id
    b=$(bundle)
    cfg "$b" "c['mounts'].append({'destination': '/data', 'type': 'none', 'source': '$TDIR/does-not-exist', 'options': ['bind']})"
    id=$(newid)
    if create_c "$b" "$id"; then fail "create with a missing bind source succeeded"; fi
    if state_of "$id" >/dev/null; then fail "the failed create left a container: $(state_of "$id")"; fi
    # the id is free again
    b=$(bundle ok)
    args "$b" /probe sleep 60
    create_c "$b" "$id" || fail "the id could not be reused after the failed create: $(errtext "$b")"
    pass
}
t runtime.errors.no-trace "runtime.md#errors" "an operation that errors MUST leave the environment as if it were never attempted" t_create_error_leaves_nothing

t_config_change_after_create() {
    created_marker
    cfg "$B" "c['process']['args'] = ['/probe', 'mark', '/changed']; c['process']['env'].append('CHANGED=1')"
    rt start "$ID" >/dev/null 2>&1 || fail "start failed"
    wait_until 10 status_is "$ID" stopped
    [ -e "$B/rootfs/started" ] || fail "the original process.args did not run"
    [ ! -e "$B/rootfs/changed" ] || fail "an edit of config.json after create changed the process"
    pass
}
t runtime.create.config-frozen "runtime.md#lifecycle" "changes to config.json after create MUST NOT affect the container" t_config_change_after_create

t_start_runs() {
    created_marker
    rt start "$ID" >/dev/null 2>"$TDIR/err" || fail "start failed: $(cat "$TDIR/err")"
    wait_until 10 test -e "$B/rootfs/started" || fail "process.args did not run after start"
    pass
}
t runtime.start.runs "runtime.md#start" "start MUST run the user-specified program" t_start_runs

t_start_status() {
    running_sleeper
    [ "$(status_of "$ID")" = running ] || fail "status after start is $(status_of "$ID")"
    pass
}
t runtime.start.status "runtime.md#start" "after start the status MUST be running" t_start_status

t_start_missing() {
    local id
    id=$(newid)
    if rt start "$id" >/dev/null 2>&1; then fail "start of a container that does not exist succeeded"; fi
    pass
}
t runtime.start.missing "runtime.md#start" "start of a container that does not exist MUST error" t_start_missing

t_start_no_id() {
    if rt start >/dev/null 2>&1; then fail "start without an id succeeded"; fi
    pass
}
t runtime.start.no-id "runtime.md#start" "start MUST error without a container id" t_start_no_id

t_start_twice() {
    running_sleeper
    local pid
    pid=$(pid_of "$ID")
    if rt start "$ID" >/dev/null 2>&1; then fail "a second start succeeded"; fi
    [ "$(status_of "$ID")" = running ] && [ "$(pid_of "$ID")" = "$pid" ] && [ -d "/proc/$pid" ] || fail "the second start changed the container: $(state_of "$ID")"
    pass
}
t runtime.start.running "runtime.md#start" "start of a running container MUST error and have no effect" t_start_twice

t_start_stopped() {
    stopped_container
    if rt start "$ID" >/dev/null 2>&1; then fail "start of a stopped container succeeded"; fi
    [ "$(status_of "$ID")" = stopped ] || fail "status changed to $(status_of "$ID")"
    pass
}
t runtime.start.stopped "runtime.md#start" "start of a container that is not created (stopped) MUST error" t_start_stopped

t_state_missing() {
    local id
    id=$(newid)
    if rt state "$id" >/dev/null 2>&1; then fail "state of a container that does not exist succeeded"; fi
    pass
}
t runtime.state.missing "runtime.md#query-state" "state of a container that does not exist MUST error" t_state_missing

t_state_no_id() {
    if rt state >/dev/null 2>&1; then fail "state without an id succeeded"; fi
    pass
}
t runtime.state.no-id "runtime.md#query-state" "state MUST error without a container id" t_state_no_id

t_stopped_on_exit() {
    stopped_container
    pass
}
t runtime.state.stopped-on-exit "runtime.md#kill" "when the container process exits the status MUST be stopped" t_stopped_on_exit

t_kill_signal() {
    local b id
    b=$(bundle)
    args "$b" /probe signals /signals
    id=$(newid)
    create_c "$b" "$id" || fail "create failed: $(errtext "$b")"
    rt start "$id" >/dev/null 2>&1 || fail "start failed"
    wait_until 5 status_is "$id" running || fail "not running"
    sleep 0.3
    rt kill "$id" USR1 >/dev/null 2>"$TDIR/err" || fail "kill USR1 failed: $(cat "$TDIR/err")"
    wait_until 5 grep -qx 10 "$b/rootfs/signals" 2>/dev/null || fail "the process did not receive SIGUSR1 (got [$(cat "$b/rootfs/signals" 2>/dev/null)])"
    pass
}
t runtime.kill.signal "runtime.md#kill" "kill MUST send the given signal to the container process" t_kill_signal

t_kill_stopped_status() {
    running_sleeper
    rt kill "$ID" KILL >/dev/null 2>&1 || fail "kill KILL failed"
    wait_until 10 status_is "$ID" stopped || fail "status after SIGKILL is $(status_of "$ID")"
    pass
}
t runtime.kill.status "runtime.md#kill" "once killed the status MUST be stopped" t_kill_stopped_status

t_kill_created() {
    created_marker
    rt kill "$ID" KILL >/dev/null 2>"$TDIR/err" || fail "kill of a created container failed: $(cat "$TDIR/err")"
    wait_until 10 status_is "$ID" stopped || fail "status after kill is $(status_of "$ID")"
    [ ! -e "$B/rootfs/started" ] || fail "the user program ran"
    pass
}
t runtime.kill.created "runtime.md#kill" "kill MUST work on a created container (only stopped ones are refused)" t_kill_created

t_kill_stopped() {
    stopped_container
    if rt kill "$ID" KILL >/dev/null 2>&1; then fail "kill of a stopped container succeeded"; fi
    [ "$(status_of "$ID")" = stopped ] || fail "status changed to $(status_of "$ID")"
    pass
}
t runtime.kill.stopped "runtime.md#kill" "kill of a container that is not created or running MUST error and have no effect" t_kill_stopped

t_kill_missing() {
    local id
    id=$(newid)
    if rt kill "$id" KILL >/dev/null 2>&1; then fail "kill of a container that does not exist succeeded"; fi
    pass
}
t runtime.kill.missing "runtime.md#kill" "kill MUST error for a container that does not exist" t_kill_missing

t_delete_running() {
    running_sleeper
    local pid
    pid=$(pid_of "$ID")
    if rt delete "$ID" >/dev/null 2>&1; then fail "delete of a running container succeeded"; fi
    [ "$(status_of "$ID")" = running ] && [ -d "/proc/$pid" ] || fail "the refused delete changed the container: $(state_of "$ID")"
    pass
}
t runtime.delete.running "runtime.md#delete" "delete of a running container MUST error and have no effect" t_delete_running

t_delete_created() {
    created_marker
    local pid
    pid=$(pid_of "$ID")
    if rt delete "$ID" >/dev/null 2>&1; then fail "delete of a created (not stopped) container succeeded"; fi
    [ "$(status_of "$ID")" = created ] || fail "the refused delete changed the container: $(state_of "$ID")"
    pass
}
t runtime.delete.created "runtime.md#delete" "delete of a container that is not stopped (created) MUST error and have no effect" t_delete_created

t_delete_missing() {
    local id
    id=$(newid)
    if rt delete "$id" >/dev/null 2>&1; then fail "delete of a container that does not exist succeeded"; fi
    pass
}
t runtime.delete.missing "runtime.md#delete" "delete of a container that does not exist MUST error" t_delete_missing

t_delete_stopped() {
    stopped_container
    rt delete "$ID" >/dev/null 2>"$TDIR/err" || fail "delete of a stopped container failed: $(cat "$TDIR/err")"
    if state_of "$ID" >/dev/null; then fail "state still answers after delete"; fi
    pass
}
t runtime.delete.stopped "runtime.md#delete" "delete of a stopped container MUST destroy it" t_delete_stopped

t_delete_resources() {
    v1_mounted pids || skip "no v1 pids hierarchy to observe the container's cgroup in"
    running_sleeper
    local pid cg
    pid=$(pid_of "$ID")
    cg=$(cgroup_v1_path "$pid" pids)
    [ -n "$cg" ] && [ "$cg" != / ] || skip "the runtime put the container in no cgroup of its own (pids: [$cg])"
    [ "$cg" != "$(cgroup_v1_path $$ pids)" ] || skip "the container shares the runner's pids cgroup"
    rt kill "$ID" KILL >/dev/null 2>&1
    wait_until 10 status_is "$ID" stopped || fail "did not stop"
    rt delete "$ID" >/dev/null 2>&1 || fail "delete failed"
    [ ! -d "/sys/fs/cgroup/pids$cg" ] || fail "the cgroup created for the container (/sys/fs/cgroup/pids$cg) is still there after delete"
    pass
}
t runtime.delete.resources "runtime.md#delete" "delete MUST remove the resources made during create (its cgroup)" t_delete_resources

t_annotations_state() {
    local b id
    b=$(bundle)
    cfg "$b" "c['annotations'] = {'org.example.conformance': 'yes', 'org.example.empty': ''}"
    args "$b" /probe sleep 60
    id=$(newid)
    create_c "$b" "$id" || fail "create failed: $(errtext "$b")"
    state_of "$id" >"$TDIR/state.json"
    [ "$(j "$TDIR/state.json" 'd.get("annotations") == {"org.example.conformance": "yes", "org.example.empty": ""}')" = true ] ||
        fail "state annotations differ: $(j "$TDIR/state.json" 'd.get("annotations")')"
    pass
}
t runtime.state.annotations "runtime.md#state" "state annotations MUST be the config's annotations" t_annotations_state
