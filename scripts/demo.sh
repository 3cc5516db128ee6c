#!/bin/bash
# The first thing to try: build rrun, make a busybox bundle, run it, and show
# what the container sees. Run as root (or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh >/dev/null
bundle=$(mktemp -d /tmp/rrun-demo.XXXXXX)
trap 'rm -rf "$bundle"' EXIT
mkdir -p "$bundle"/rootfs/{bin,etc,proc,sys,dev,tmp}
cp /bin/busybox "$bundle/rootfs/bin/"
for c in $("$bundle/rootfs/bin/busybox" --list); do [ "$c" = busybox ] || ln -s busybox "$bundle/rootfs/bin/$c"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$bundle/rootfs/etc/passwd"
echo 'root:x:0:' >"$bundle/rootfs/etc/group"
build/rrun spec --bundle "$bundle"
sed -i 's/"terminal": true/"terminal": false/' "$bundle/config.json"
python3 - "$bundle/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["sh", "-c", "echo '$ id'; id; echo '$ hostname'; hostname; "
                        "echo '$ cat /proc/self/uid_map'; cat /proc/self/uid_map; echo '$ ls /'; ls /"]
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
echo "running busybox in a container with build/rrun (bundle $bundle):"
build/rrun --root "$bundle/state" run --bundle "$bundle" rrun-demo-$$
