#!/bin/bash
# Configures and builds rrun into ./build (Release; BUILD_TYPE=RelWithDebInfo to debug).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" >/dev/null
ninja -C build
