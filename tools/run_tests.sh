#!/usr/bin/env bash
# Builds animatediff.cpp (Release) in build/ and runs every test (unit tests and fixture checks).
# Usage: tools/run_tests.sh [extra cmake options...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${AD_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
