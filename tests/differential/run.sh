#!/bin/bash
# The differential suite (README.md): the same generated bundles under runc
# and under rrun, as root and as the rootless user; one line per difference,
# then "N passed, N failed". Exit 77 (skip) when runc or the user is missing.
#   RRUN=build/rrun DIFF_PROBE=build/tests/differential/diff_probe bash tests/differential/run.sh [runner args...]
# runner args: --seed S --count N (per mode) --rootless-count N --modes root,rootless
#              --base runc|rrun --jobs J --only I,J -v
set -u
: "${DIFF_PROBE:?DIFF_PROBE must point at the static probe (the diff_probe target)}"
TESTS_DIR=${TESTS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
source "$TESTS_DIR/integration/lib.sh"
need_root
need_runc
ensure_rootless_user
# The host's device nodes must come out as they went in (a chown or a mount
# that reached them through a container would show here).
host_nodes() { stat -c '%n %u:%g %a %t:%T' /dev/null /dev/zero /dev/full /dev/tty /dev/random /dev/urandom; }
nodes_before=$(host_nodes)
# the runner's own temp dirs go under $WORK (lib.sh removes it on exit)
python3 "$TESTS_DIR/differential/runner.py" --rrun "$RRUN" --runc "$RUNC" --probe "$(readlink -f "$DIFF_PROBE")" \
    --work "$WORK/diff" --rootless-user "$ROOTLESS_USER" "$@"
rc=$?
if [ "$(host_nodes)" != "$nodes_before" ]; then
    echo "not ok - the host's device nodes changed during the run: before [$nodes_before] after [$(host_nodes)]"
    rc=1
fi
exit $rc
