#!/usr/bin/env bash
# The test command, in this order:
#   1. the format check: C++ lines changed since tools/scripts/format-base
#      must match .clang-format (tools/scripts/check_format.sh --fix fixes);
#   2. installs what is missing, builds, runs every test (unit, property,
#      in-process gRPC integration, crash-kill, CLI) through CTest;
#   3. ThreadSanitizer over the ledger, program and in-process integration
#      tests in build/tsan (tools/scripts/tsan.sh; LOYALTY_TSAN=0 skips);
#   4. each libFuzzer target for LOYALTY_FUZZ_SECONDS (default 60; 0 skips).
# Steps 3 and 4 are clang-14 builds, which also check every ABSL_GUARDED_BY
# (-Werror=thread-safety); each skips itself where clang++-14 is missing.
# Usage: tools/scripts/test.sh [preset]   (release by default; asan for ASan+UBSan)
set -euo pipefail
cd "$(dirname "$0")/../.."
preset="${1:-release}"
step() { echo "test.sh: $1 ($(date -u +%T))"; }
tools/scripts/install-deps.sh
step "format check"
tools/scripts/check_format.sh
step "build and test ($preset)"
tools/scripts/build.sh "$preset"
ctest --preset "$preset" -j 2 --timeout 900
if [ "${LOYALTY_TSAN:-1}" != 0 ]; then
  step "ThreadSanitizer"
  tools/scripts/tsan.sh
fi
fuzz_seconds="${LOYALTY_FUZZ_SECONDS:-60}"
if [ "$fuzz_seconds" -gt 0 ]; then
  step "fuzzing"
  tests/fuzz/run_fuzz.sh "$fuzz_seconds"
fi
step "done"
