#!/bin/bash
# Builds the libFuzzer targets (tests/fuzz: config.json, exec's process JSON)
# with clang, ASan and UBSan into build-fuzz, and runs each for FUZZ_SECONDS
# (default 60) on its seed corpus. The CTest test `fuzz` runs this; it exits
# 77 (skipped) where clang is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
CXX=${FUZZ_CXX:-$(command -v clang++-14 || command -v clang++ || true)}
if [ -z "$CXX" ]; then
    echo "clang++ is not installed (scripts/deps.sh installs clang-14): fuzzing skipped"
    exit 77
fi
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$CXX" \
    -DCMAKE_C_COMPILER="${CXX/clang++/clang}" -DRRUN_FUZZ=ON -DBUILD_TESTING=ON \
    -DFUZZ_SECONDS="${FUZZ_SECONDS:-60}" >/dev/null
ninja -C build-fuzz -j2 fuzz_config fuzz_exec_process
# Leaks inside libseccomp itself are not ours to fix: tests/fuzz/lsan.supp.
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0"
cd build-fuzz
ctest --output-on-failure -L fuzz
