// The maintenance run over many members: members per second, and the
// process's resident memory before and after, to show that the run streams
// (memory does not grow with the number of members).
//
//   build/release/tests/program/expiry_benchmark [MEMBERS] [DATA_DIR]
//
// MEMBERS defaults to 1,000,000. Set-up enrolls them straight through the
// ledger (one operation each, many in flight), each with a lot of 100 points
// that expires on day 30; the run happens on day 31, so every member has
// something due. A second run then only reads: its rate is the scan rate.
// Prints figures; asserts nothing about time.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"
#include "engine/evaluator/evaluator.h"
#include "engine/evaluator/rule_file.h"
#include "engine/ledger/accounts.h"
#include "engine/ledger/ledger.h"
#include "engine/program/operations.h"
#include "tests/support/benchmark.h"

namespace loyalty {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1767225600);  // 2026-01-01

using testing::MemoryMiB;

// Enrolls `members` members, each with a 100-point lot expiring at `expiry`.
bool Enroll(ledger::Ledger& ledger, int64_t members, absl::Time expiry) {
  constexpr int64_t kInFlight = 4096;
  absl::Mutex mu;
  int64_t in_flight = 0, failed = 0;
  const absl::Time begin = absl::Now();
  for (int64_t i = 0; i < members; ++i) {
    {
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(
          +[](int64_t* n) { return *n < kInFlight; }, &in_flight));
      ++in_flight;
    }
    const std::string id = absl::StrCat("M", 10000000 + i);
    ledger.Submit(
        ledger::Operation{
            absl::StrCat("enroll-", id), id,
            [id, expiry](ledger::Transaction& t) -> absl::StatusOr<std::string> {
              v1::MemberRecord record;
              record.mutable_profile()->set_member_id(id);
              RETURN_IF_ERROR(t.AddMember(std::move(record)));
              v1::JournalEntry entry;
              entry.set_kind(v1::ENTRY_KIND_ADJUSTMENT);
              entry.set_member_id(id);
              auto* debit = entry.add_postings();
              debit->set_account("program/points/goodwill");
              debit->set_asset(std::string(ledger::kPointsAsset));
              debit->set_amount(-100);
              auto* credit = entry.add_postings();
              credit->set_account(ledger::MemberPointsAvailable(id));
              credit->set_asset(std::string(ledger::kPointsAsset));
              credit->set_amount(100);
              *credit->mutable_lot_expire_time() = ToTimestamp(expiry);
              RETURN_IF_ERROR(t.Append(std::move(entry)).status());
              return std::string();
            }},
        [&](ledger::Outcome outcome) {
          absl::MutexLock lock(&mu);
          --in_flight;
          if (!outcome.status.ok()) ++failed;
        });
    if ((i + 1) % 100000 == 0) {
      std::printf("  enrolled %lld members, %.0f/s\n", static_cast<long long>(i + 1),
                  (i + 1) / absl::ToDoubleSeconds(absl::Now() - begin));
      std::fflush(stdout);
    }
  }
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(+[](int64_t* n) { return *n == 0; }, &in_flight));
  if (failed > 0) std::fprintf(stderr, "%lld enrollments failed\n", static_cast<long long>(failed));
  return failed == 0;
}

int Run(int64_t members, const std::string& data_dir) {
  ManualClock clock(kStart);
  ledger::LedgerOptions options;
  options.data_dir = data_dir;
  options.clock = &clock;
  auto ledger = ledger::Ledger::Open(options);
  if (!ledger.ok()) {
    std::fprintf(stderr, "%s\n", std::string(ledger.status().message()).c_str());
    return 1;
  }
  auto rule_set = evaluator::ParseRuleFile("bench.yaml", testing::kBenchmarkRulesYaml);
  if (!rule_set.ok()) return 1;
  rule_set->mutable_points()->set_lifetime_days(30);
  auto rules = evaluator::CompiledRules::Compile(*rule_set);
  if (!rules.ok()) return 1;
  program::Operations operations(ledger->get(), *rules, &clock);

  std::printf("expiry benchmark: %lld members in %s\n", static_cast<long long>(members),
              data_dir.c_str());
  const absl::Time setup = absl::Now();
  if ((*ledger)->Head().member_count() < members &&
      !Enroll(**ledger, members, kStart + absl::Hours(24 * 30))) {
    return 1;
  }
  std::printf("set-up: %.1f s; RSS %.0f MiB\n",
              absl::ToDoubleSeconds(absl::Now() - setup), MemoryMiB("VmRSS"));

  clock.Set(kStart + absl::Hours(24 * 31));
  for (const char* which : {"run (every member due)", "second run (nothing due)"}) {
    const double rss_before = MemoryMiB("VmRSS");
    const absl::Time begin = absl::Now();
    absl::Time last_print = begin;
    v1::RunExpiryRequest request;
    request.set_request_id("bench");
    auto result = operations.RunExpiry(request, [&](const v1::RunExpiryResponse& figures) {
      if (absl::Now() - last_print < absl::Seconds(5) && !figures.done()) return;
      last_print = absl::Now();
      std::printf("  %lld of %lld members scanned, %lld changed, RSS %.0f MiB\n",
                  static_cast<long long>(figures.members_scanned()),
                  static_cast<long long>(figures.members_total()),
                  static_cast<long long>(figures.members_changed()), MemoryMiB("VmRSS"));
      std::fflush(stdout);
    });
    if (!result.ok()) {
      std::fprintf(stderr, "%s\n", std::string(result.status().message()).c_str());
      return 1;
    }
    const double seconds = absl::ToDoubleSeconds(absl::Now() - begin);
    std::printf(
        "%s: %lld members in %.1f s = %.0f members/s; %lld changed, %lld points "
        "expired; RSS %.0f -> %.0f MiB (peak %.0f MiB)\n",
        which, static_cast<long long>(result->members_scanned()), seconds,
        result->members_scanned() / seconds, static_cast<long long>(result->members_changed()),
        static_cast<long long>(result->points_expired()), rss_before, MemoryMiB("VmRSS"),
        MemoryMiB("VmHWM"));
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace
}  // namespace loyalty

int main(int argc, char** argv) {
  const loyalty::testing::BenchmarkArgs args =
      loyalty::testing::ParseBenchmarkArgs(argc, argv, "expiry");
  return loyalty::Run(args.members, args.data_dir);
}
