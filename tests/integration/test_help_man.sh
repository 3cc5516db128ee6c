#!/bin/bash
# `rrun --help`, `rrun COMMAND --help` and the man pages agree: every
# implemented command has a page, and every flag the binary knows is on it.
source "$(dirname "$0")/lib.sh"
MAN_DIR=$(cd "$(dirname "$0")/../../man" && pwd)
# roff escapes hyphens: read the pages with them plain.
page_text() { sed 's/\\-/-/g' "$1"; }

commands=$("$RRUN" --help | awk '/^Commands:/{on=1; next} /^$/{on=0} on && !/not yet/ {print $1}')
check_true "--help lists commands" test -n "$commands"
for c in $commands; do
    page="$MAN_DIR/rrun-$c.8"
    check_true "rrun-$c.8 exists" test -f "$page"
    [ -f "$page" ] || continue
    text=$(page_text "$page")
    for flag in $("$RRUN" "$c" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
        check_contains "rrun-$c.8 documents $flag" "$flag" "$text"
    done
done
text=$(page_text "$MAN_DIR/rrun.8")
for flag in $("$RRUN" --help | awk '/^Global flags:/{on=1} on' | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
    check_contains "rrun.8 documents global $flag" "$flag" "$text"
done
finish
