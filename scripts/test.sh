#!/bin/bash
# Runs every test: installs dependencies, builds, and runs the unit and
# integration tests with CTest against the real kernel. Run as root: the
# rootless tests create their own unprivileged user.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
