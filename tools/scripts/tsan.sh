#!/usr/bin/env bash
# The ThreadSanitizer step of the test command: builds, in build/tsan (the
# tsan preset, clang-14), only the tests it runs, and runs them:
#   base         the engine's thread names
#   ledger       the group-commit workers and completer, faults
#   program      the operations over a real ledger (expiry runs in chunks)
#   integration  a real loyaltyd in the process (gRPC on loopback): the
#                reactors, the completer answering calls, the audit worker,
#                the reader pool under an export of 1,000,000 entries
# Debian's abseil, gRPC and RocksDB are not built with TSan:
# tests/tsan/absl_sync_annotations.cc gives TSan the happens-before edges of
# abseil's locks, tests/tsan/grpc_annotations.cc those of a gRPC batch
# (started on one thread, completed on another), and
# tests/tsan/suppressions.txt lists, each with its proof, the few races that
# lie wholly inside Debian's libraries. Any other report fails the test that
# shows it. clang's -Werror=thread-safety holds here too.
# AuditTest.Backup* run on their own, with tests/tsan/backup_suppressions.txt
# added: RocksDB's BackupEngine hands results between its own threads
# through a std::future compiled into librocksdb, which TSan cannot see
# (the file gives the proof; docs/CI.md).
# Skipped (exit 0) where clang++-14 is missing.
#   tools/scripts/tsan.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v clang++-14 >/dev/null 2>&1; then
  echo "tsan.sh: clang++-14 not found; skipping the ThreadSanitizer run"
  exit 0
fi
targets=(
  thread_name_test
  ledger_test fault_test
  property_test refund_test referral_test partners_test year_test
  rule_activation_test
  checkout_integration_test audit_integration_test security_integration_test
  campaign_integration_test limits_integration_test backdate_integration_test
  metrics_integration_test damaged_records_integration_test
  rule_terms_integration_test unknown_member_integration_test
  call_path_integration_test readers_integration_test batch_integration_test
  simulate_integration_test stream_metrics_integration_test
)
tools/scripts/build.sh tsan --target "${targets[@]}"
ctest --preset tsan -j 2 --timeout 900 \
  -L '^(base|ledger|program|integration)$' -E '^AuditTest\.Backup'
backup_suppressions="$PWD/build/tsan/backup_suppressions.txt"
cat tests/tsan/suppressions.txt tests/tsan/backup_suppressions.txt \
  >"$backup_suppressions"
TSAN_OPTIONS="suppressions=$backup_suppressions halt_on_error=1 second_deadlock_stack=1" \
  ctest --test-dir build/tsan --output-on-failure --timeout 900 \
  --no-tests=error -R '^AuditTest\.Backup'
