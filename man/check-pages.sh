#!/bin/sh
# check-pages.sh PAGE...: render each man page with `man --warnings -l` and
# fail on any warning (or a missing page).  Run by CTest as test_man_pages.
# Installs nothing: without man-db/groff it skips (exit 77).
if ! command -v man >/dev/null 2>&1 || ! command -v nroff >/dev/null 2>&1; then
    echo "1..0 # SKIP man or nroff is not installed (apt-get install man-db groff-base)"
    exit 77
fi
failed=0
n=0
for page in "$@"; do
    n=$((n + 1))
    if [ ! -f "$page" ]; then
        echo "not ok $n - $page: missing"
        failed=1
        continue
    fi
    # stdout (the rendered page) is dropped; anything left is a warning or error
    out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
    if [ -n "$out" ]; then
        echo "not ok $n - $page"
        printf '%s\n' "$out" | sed 's/^/#   /'
        failed=1
    else
        echo "ok $n - $page"
    fi
done
echo "1..$n"
exit $failed
