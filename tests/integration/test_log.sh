#!/bin/bash
# --log / --log-format json: one JSON object a line with level, msg, time;
# containerd's shim reads the last error from there.
source "$(dirname "$0")/lib.sh"
need_root

B=$WORK/bundle
make_bundle "$B"
set_args "$B" /no/such/program
LOG=$WORK/log.json
out=$(r --log "$LOG" --log-format json create -b "$B" j1 2>&1); rc=$?
check_eq "create fails" 1 $rc
check_true "the log file exists" test -s "$LOG"
last=$(tail -n 1 "$LOG")
check_eq "the last line is an error object" error "$(echo "$last" | json_field '["level"]')"
check_contains "its msg names the program" "/no/such/program" "$(echo "$last" | json_field '["msg"]')"
check_true "its time is RFC 3339" bash -c "echo '$last' | python3 -c 'import json,sys,datetime; t=json.load(sys.stdin)[\"time\"]; datetime.datetime.strptime(t[:19], \"%Y-%m-%dT%H:%M:%S\")'"
check_true "every line is valid JSON" python3 -c "import json; [json.loads(l) for l in open('$LOG')]"

# --debug adds debug lines to the log; text format is key=value.
TLOG=$WORK/log.txt
r --log "$TLOG" state nope 2>/dev/null
check_contains "text log has level=error" 'level=error msg="container \"nope\" does not exist"' "$(cat "$TLOG")"

# A successful command writes no error line.
set_args "$B" true
: >"$LOG"
r --log "$LOG" --log-format json run -b "$B" j2
check_eq "a successful run logs no error" 0 "$(grep -c '"level":"error"' "$LOG")"

# With --log, warnings go to the log only: conmon gives the runtime the
# container's stdio, so a warning on stderr would be container output.
set_config "$B" "c['hooks'] = {'poststop': [{'path': '/bin/false'}]}"
: >"$LOG"
out=$(r --log "$LOG" --log-format json run -b "$B" j3 2>&1)
check_contains "a failing poststop hook is a warning in the log" '"level":"warning"' "$(cat "$LOG")"
check_eq "and nothing on stderr" "" "$out"
out=$(r run -b "$B" j4 2>&1)
check_contains "without --log the warning is on stderr" "rrun: warning: hooks.poststop[0]" "$out"
finish
