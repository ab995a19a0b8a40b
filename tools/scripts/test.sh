#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test
# (unit, property, in-process gRPC integration) through CTest.
# Usage: tools/scripts/test.sh [preset]   (release by default; asan for ASan+UBSan)
set -euo pipefail
cd "$(dirname "$0")/../.."
preset="${1:-release}"
tools/scripts/install-deps.sh
tools/scripts/build.sh "$preset"
ctest --preset "$preset" -j 2 --timeout 900
