# features.md (+ features-linux.md): the features document.

features_json() {
    rt features >"$TDIR/features.json" 2>"$TDIR/features.err" || skip "the runtime provides no features command (it MAY): $(head -c 200 "$TDIR/features.err")"
    json_ok "$TDIR/features.json" || fail "features did not print JSON: $(head -c 200 "$TDIR/features.json")"
}

t_features_required() {
    features_json
    local v
    v=$(j "$TDIR/features.json" '[isinstance(d.get(k), str) for k in ("ociVersionMin", "ociVersionMax")]')
    [ "$v" = "[true, true]" ] || fail "ociVersionMin/ociVersionMax missing or not strings: $(head -c 200 "$TDIR/features.json")"
    pass
}
t features.required "features.md#specification-version" "the features document is JSON with ociVersionMin and ociVersionMax (REQUIRED)" t_features_required

semver_key='lambda v: (lambda m: tuple(int(x) for x in m.groups()[:3]) + ((1,) if not m.group(4) else (0, m.group(4))))(__import__("re").match(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$", v))'

t_features_order() {
    features_json
    local v
    v=$(j "$TDIR/features.json" "(lambda k: k(d['ociVersionMax']) >= k(d['ociVersionMin']))($semver_key)") || true
    [ "$v" = true ] || fail "ociVersionMax < ociVersionMin or not SemVer: $(j "$TDIR/features.json" '[d.get("ociVersionMin"), d.get("ociVersionMax")]')"
    pass
}
t features.version-order "features.md#specification-version" "ociVersionMax MUST NOT be less than ociVersionMin (both SemVer)" t_features_order

features_accepts() {
    features_json
    local ver b
    ver=$(j "$TDIR/features.json" "d['$1']")
    b=$(bundle)
    cfg "$b" "c['ociVersion'] = '$ver'"
    probe "$b"
    pass
}
t_features_max() { features_accepts ociVersionMax; }
t_features_min() { features_accepts ociVersionMin; }
t features.accepts-max "features.md#specification-version" "the runtime MUST accept ociVersionMax as config.json's ociVersion" t_features_max
t features.accepts-min "features.md#specification-version" "the runtime MUST accept ociVersionMin as config.json's ociVersion" t_features_min

t_features_known_props() {
    features_json
    local v
    v=$(j "$TDIR/features.json" '[k for k in d if k not in ("ociVersionMin", "ociVersionMax", "hooks", "mountOptions", "linux", "annotations", "potentiallyUnsafeConfigAnnotations")] + ["linux." + k for k in (d.get("linux") or {}) if k not in ("namespaces", "capabilities", "cgroup", "seccomp", "apparmor", "selinux", "intelRdt", "mountExtensions", "netDevices", "memoryPolicy")]')
    [ "$v" = "[]" ] || fail "properties not defined by the spec: $v"
    v=$(j "$TDIR/features.json" '[k for k in (d.get("hooks") or []) if k not in ("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop")]')
    [ "$v" = "[]" ] || fail "hooks that are not spec hooks: $v"
    v=$(j "$TDIR/features.json" '[(k, type(v).__name__) for k, v in (d.get("annotations") or {}).items() if not isinstance(v, str) or not k]')
    [ "$v" = "[]" ] || fail "annotations must be string keys and values: $v"
    pass
}
t features.known-properties "features.md#specification-version" "the features document MUST NOT contain properties the spec version does not define" t_features_known_props

t_features_hooks_supported() {
    features_json
    local hooks h
    hooks=$(j "$TDIR/features.json" '" ".join(d.get("hooks") or [])')
    [ -n "$hooks" ] || skip "the features document lists no hooks"
    hook_bundle
    for h in $hooks; do
        [ "$h" = startContainer ] && continue   # resolved in the container; covered by config.hooks.start-container
        add_hook "$h" "$h"
    done
    ID=$(newid)
    create_c "$B" "$ID" || fail "create failed with every listed hook: $(errtext "$B")"
    rt start "$ID" >/dev/null 2>&1 || fail "start failed"
    wait_until 10 status_is "$ID" stopped
    rt delete "$ID" >/dev/null 2>&1
    local missing=()
    for h in $hooks; do
        [ "$h" = startContainer ] && continue
        hook_ran "$h" || missing+=("$h")
    done
    [ ${#missing[@]} -eq 0 ] || fail "listed in features but never called: ${missing[*]}"
    pass
}
t features.hooks-supported "features.md#hooks" "the runtime MUST support every hook named in features.hooks" t_features_hooks_supported

t_features_mount_options() {
    features_json
    local opts
    opts=$(j "$TDIR/features.json" '" ".join(o for o in (d.get("mountOptions") or []) if o in ("ro", "nosuid", "nodev", "noexec", "rbind", "bind", "rprivate", "private", "relatime", "noatime", "strictatime", "rro", "rnosuid"))')
    [ -n "$opts" ] || skip "the features document lists none of the common mount options"
    local b
    b=$(bundle)
    mkdir -p "$TDIR/vol"
    cfg "$b" "c['mounts'].append({'destination': '/data', 'type': 'bind', 'source': '$TDIR/vol', 'options': ['rbind'] + [o for o in '$opts'.split() if o not in ('bind', 'rbind', 'noatime', 'strictatime', 'relatime')]})"
    probe "$b"
    pass
}
t features.mount-options "features.md#mount-options" "the runtime MUST recognize the mountOptions it lists (a bind mount with them runs)" t_features_mount_options
