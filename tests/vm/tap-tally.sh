# tap_tally LABEL RC OUTFILE [TIMEOUT_NOTE]: adds a finished guest script's
# result to PASSED, FAILED and SKIPPED (sourced in both guests: guest-init.sh
# of run-in-vm.sh and systemd-guest/guest-run.sh). Its `ok` lines pass, its
# `not ok` lines fail (but TAP `# TODO` ones: known failures), exit 77 skips;
# a non-zero exit with no `not ok` line (124: the timeout), or no `ok`/`not
# ok` line at all, is one failure, printed as a `not ok` line.
tap_tally() {
    local label=$1 rc=$2 out=$3 note=${4:-} p f
    if [ "$rc" -eq 77 ]; then
        echo "# $label: skipped"
        SKIPPED=$((SKIPPED + 1))
        return 0
    fi
    p=$(grep -c '^ok ' "$out")
    f=$(grep '^not ok ' "$out" | grep -vc '# TODO')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        case $rc in
            124) echo "not ok - $label: timed out after ${SCRIPT_TIMEOUT}s$note" ;;
            *) echo "not ok - $label: exited with $rc" ;;
        esac
        f=1
    elif [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
        echo "not ok - $label: printed no ok/not ok line"
        f=1
    fi
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
}
