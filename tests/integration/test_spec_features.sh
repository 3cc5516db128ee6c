#!/bin/bash
# `spec` writes a config rrun itself accepts; `features` prints features.md JSON.
source "$(dirname "$0")/lib.sh"

"$RRUN" spec --bundle "$WORK"
check_eq "spec exits 0" 0 $?
check_eq "spec's args" '["sh"]' "$(json_field '["process"]["args"]' <"$WORK/config.json" | tr -d " '" | sed 's/sh/"sh"/')"
check_eq "spec's terminal is true like runc's" True "$(json_field '["process"]["terminal"]' <"$WORK/config.json")"
out=$("$RRUN" spec --bundle "$WORK" 2>&1); rc=$?
check_eq "spec refuses to overwrite" 1 $rc
check_contains "and names the file" "$WORK/config.json exists" "$out"
mkdir -p "$WORK/rl"
"$RRUN" spec --rootless --bundle "$WORK/rl"
check_eq "rootless spec maps uid 0 to the caller" "$(id -u)" "$(json_field '["linux"]["uidMappings"][0]["hostID"]' <"$WORK/rl/config.json")"
check_contains "rootless spec has a user namespace" "user" "$(json_field '["linux"]["namespaces"]' <"$WORK/rl/config.json")"

out=$("$RRUN" features)
check_eq "features ociVersionMax" 1.3.0 "$(echo "$out" | json_field '["ociVersionMax"]')"
check_eq "features: netDevices (features-linux.md)" "{'enabled': True}" "$(echo "$out" | json_field '["linux"]["netDevices"]')"
check_eq "features: intelRdt with schemata and monitoring" "{'enabled': True, 'schemata': True, 'monitoring': True}" "$(echo "$out" | json_field '["linux"]["intelRdt"]')"
check_eq "features: every memoryPolicy mode and flag" "7 3" "$(echo "$out" | json_field '["linux"]["memoryPolicy"]["modes"].__len__(), d["linux"]["memoryPolicy"]["flags"].__len__()' | tr -d '(),')"
# features-schema.json of runtime-spec 1.3.0 (tests/fixtures), with its $refs to the files beside it.
if /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
    verdict=$(echo "$out" | /usr/bin/python3 -c '
import json, os, sys, jsonschema
d = os.path.abspath(sys.argv[1])
store = {}
for f in os.listdir(d):
    if f.endswith(".json"):
        store[f] = json.load(open(os.path.join(d, f)))
resolver = jsonschema.RefResolver("file://" + d + "/", store["features-schema.json"], store=store)
try:
    jsonschema.Draft4Validator(store["features-schema.json"], resolver=resolver).validate(json.load(sys.stdin))
    print("valid")
except jsonschema.ValidationError as e:
    print("invalid:", e.message, list(e.path))
' "$TESTS_DIR/fixtures/runtime-spec-1.3.0-schema" 2>/dev/null)
    check_eq "features validates against the runtime-spec 1.3.0 features schema" valid "$verdict"
else
    echo "# skip: python3-jsonschema is not installed: features not checked against the spec's schema"
fi
check_contains "features lists the mount namespace" "'mount'" "$(echo "$out" | json_field '["linux"]["namespaces"]')"
check_contains "features lists rbind" "'rbind'" "$(echo "$out" | json_field '["mountOptions"]')"

out=$("$RRUN" --version)
check_contains "--version names rrun" "rrun version" "$out"
check_contains "--version names the spec" "spec: 1.3.0" "$out"
out=$("$RRUN" --help)
for c in create start state kill delete run list spec features; do
    check_contains "--help lists $c" "  $c " "$out"
done
check_contains "create --help lists --console-socket" "--console-socket" "$("$RRUN" create --help)"

if [ "$(id -u)" -eq 0 ]; then
    make_rootfs "$WORK/rootfs"
    sed -i 's/"terminal": true/"terminal": false/' "$WORK/config.json"
    set_args "$WORK" true
    "$RRUN" --root "$STATE_ROOT" run -b "$WORK" sp1
    check_eq "the default spec runs" 0 $?
fi
finish
