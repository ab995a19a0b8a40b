#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test (unit,
# property, in-process gRPC integration, crash-kill, CLI) through CTest, then
# runs each libFuzzer target for LOYALTY_FUZZ_SECONDS (default 60; 0 skips;
# skipped by itself where clang++-14 is missing).
# Usage: tools/scripts/test.sh [preset]   (release by default; asan for ASan+UBSan)
set -euo pipefail
cd "$(dirname "$0")/../.."
preset="${1:-release}"
tools/scripts/install-deps.sh
tools/scripts/build.sh "$preset"
ctest --preset "$preset" -j 2 --timeout 900
fuzz_seconds="${LOYALTY_FUZZ_SECONDS:-60}"
if [ "$fuzz_seconds" -gt 0 ]; then
  tests/fuzz/run_fuzz.sh "$fuzz_seconds"
fi
