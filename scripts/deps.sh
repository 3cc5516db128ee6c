#!/bin/bash
# Installs what rrun needs to build and test, from Debian's archive. Quick
# when everything is already there.
set -euo pipefail
# libvalijson-dev is for the tests only: the reference JSON-schema validator
# the unit tests compare rrun's compiled config checker with; python3-jsonschema
# checks `rrun features` against the spec's features schema (test_spec_features),
# iproute2 makes test_spec_v1_3's veth pairs; runc is the reference the tests
# compare rrun with (e2e_test_cri_runc runs it as the runtime under test);
# criu: test_checkpoint's "CRIU does not work on this kernel" checks; binutils'
# readelf: test_seccomp reads the build id the filter cache is keyed by.
PACKAGES=(g++ cmake ninja-build pkg-config nlohmann-json3-dev libseccomp-dev libcap-dev catch2
          libvalijson-dev
          busybox-static uidmap python3 procps passwd util-linux bsdutils strace
          python3-jsonschema iproute2 runc criu binutils
          clang-14 libclang-rt-14-dev lld)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    echo "installing: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
