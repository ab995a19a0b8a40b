// Audit.GetProgramMetrics over a year of members' month records: the time of
// one call (program-wide, and by store) and the process's memory, to show
// that counting distinct members exactly stays affordable.
//
//   build/release/tests/analytics/metrics_benchmark [MEMBERS] [DATA_DIR]
//
// MEMBERS defaults to 1,000,000. Set-up writes, straight through the ledger
// (one operation per member, many in flight), what a year of sales leaves
// behind for the figures: each member's month records (the same
// RecordMemberMonth a sale calls) and the purchases counters. Member i buys
// in 1 to 6 months of 2026, once or twice a month, at one of 20 stores.
// The call is ComputeMetrics, the whole of what the RPC handler does.
// Prints figures; asserts nothing about time.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/analytics/activity.h"
#include "engine/analytics/counters.h"
#include "engine/analytics/metrics.h"
#include "engine/base/clock.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"
#include "engine/evaluator/rule_file.h"
#include "engine/ledger/ledger.h"
#include "tests/support/benchmark.h"

namespace loyalty {
namespace {

const absl::Time kYear = absl::FromUnixSeconds(1767225600);  // 2026-01-01

using testing::MemoryMiB;

// A small deterministic mix of the member's number.
uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

// Member `i`'s year: the purchases it makes in each month (0 for most).
std::vector<int> PurchasesByMonth(int64_t i) {
  std::vector<int> months(12, 0);
  const uint64_t bits = Mix(static_cast<uint64_t>(i) + 1);
  const int active_months = 1 + static_cast<int>(bits % 6);
  for (int k = 0; k < active_months; ++k) {
    const int month = static_cast<int>((bits >> (8 + 4 * k)) % 12);
    months[month] += 1 + static_cast<int>((bits >> (40 + k)) & 1);
  }
  return months;
}

absl::StatusOr<std::string> WriteYear(int64_t i, ledger::Transaction& t) {
  const std::string id = absl::StrCat("M", 10000000 + i);
  const std::vector<std::string> groups = {
      "all", "tier:member", "segment:-", absl::StrCat("store:s", i % 20), "partner:-"};
  const std::vector<int> months = PurchasesByMonth(i);
  for (int m = 0; m < 12; ++m) {
    const std::string month = absl::StrFormat("2026-%02d", m + 1);
    for (int p = 0; p < months[m]; ++p) {
      RETURN_IF_ERROR(analytics::RecordMemberMonth(month, id, groups, t));
      for (const std::string& group : groups) {
        t.AddCounter(analytics::GroupKey(month, group), analytics::kPurchases, 1);
      }
    }
  }
  return std::string();
}

bool WriteYears(ledger::Ledger& ledger, int64_t members) {
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
    ledger.Submit(
        ledger::Operation{absl::StrCat("year-", i), absl::StrCat(i),
                          [i](ledger::Transaction& t) { return WriteYear(i, t); }},
        [&](ledger::Outcome outcome) {
          absl::MutexLock lock(&mu);
          --in_flight;
          if (!outcome.status.ok()) ++failed;
        });
    if ((i + 1) % 100000 == 0) {
      std::printf("  wrote the year of %lld members, %.0f/s\n",
                  static_cast<long long>(i + 1),
                  (i + 1) / absl::ToDoubleSeconds(absl::Now() - begin));
      std::fflush(stdout);
    }
  }
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(+[](int64_t* n) { return *n == 0; }, &in_flight));
  if (failed > 0) std::fprintf(stderr, "%lld writes failed\n", static_cast<long long>(failed));
  return failed == 0;
}

// What the generator made, counted again here, for a check of the figures.
struct Expected {
  int64_t active = 0, repeat = 0, purchases = 0;
};

Expected Count(int64_t members) {
  Expected expected;
  for (int64_t i = 0; i < members; ++i) {
    int total = 0;
    for (int purchases : PurchasesByMonth(i)) total += purchases;
    expected.active += total > 0;
    expected.repeat += total >= 2;
    expected.purchases += total;
  }
  return expected;
}

int Run(int64_t members, const std::string& data_dir) {
  ManualClock clock(kYear + absl::Hours(24 * 400));
  ledger::LedgerOptions options;
  options.data_dir = data_dir;
  options.clock = &clock;
  auto ledger = ledger::Ledger::Open(options);
  if (!ledger.ok()) {
    std::fprintf(stderr, "%s\n", std::string(ledger.status().message()).c_str());
    return 1;
  }
  auto rules = evaluator::ParseRuleFile("bench.yaml", testing::kBenchmarkRulesYaml);
  if (!rules.ok()) return 1;
  std::printf("metrics benchmark: %lld members in %s\n", static_cast<long long>(members),
              data_dir.c_str());
  const absl::Time setup = absl::Now();
  // A directory from an earlier run is read as it is.
  auto existing = (*ledger)->ReadCounters("g/2026-01/all");
  if (!existing.ok()) return 1;
  if (existing->empty() && !WriteYears(**ledger, members)) return 1;
  std::printf("set-up: %.1f s; RSS %.0f MiB\n",
              absl::ToDoubleSeconds(absl::Now() - setup), MemoryMiB("VmRSS"));
  const Expected expected = Count(members);
  for (const auto& [name, grouping] :
       {std::pair<const char*, v1::MetricsGrouping>{"program-wide",
                                                     v1::METRICS_GROUPING_UNSPECIFIED},
        {"by store (20 stores)", v1::METRICS_GROUPING_STORE}}) {
    v1::GetProgramMetricsRequest request;
    *request.mutable_from_time() = ToTimestamp(kYear);
    *request.mutable_to_time() = ToTimestamp(kYear + absl::Hours(24 * 365));
    request.set_grouping(grouping);
    const double rss_before = MemoryMiB("VmRSS");
    const absl::Time begin = absl::Now();
    auto metrics = analytics::ComputeMetrics(**ledger, *rules, request, clock.Now());
    const double seconds = absl::ToDoubleSeconds(absl::Now() - begin);
    if (!metrics.ok()) {
      std::fprintf(stderr, "%s\n", std::string(metrics.status().message()).c_str());
      return 1;
    }
    int64_t active = 0, repeat = 0, purchases = 0;
    for (const auto& row : metrics->rows()) {
      active += row.active_members();
      repeat += row.repeat_members();
      purchases += row.purchases();
    }
    std::printf(
        "GetProgramMetrics over 2026, %s: %.2f s; %d rows, %lld active, %lld repeat, "
        "%lld purchases (expected %lld, %lld, %lld); RSS %.0f -> %.0f MiB (peak %.0f "
        "MiB)\n",
        name, seconds, metrics->rows_size(), static_cast<long long>(active),
        static_cast<long long>(repeat), static_cast<long long>(purchases),
        static_cast<long long>(expected.active), static_cast<long long>(expected.repeat),
        static_cast<long long>(expected.purchases), rss_before, MemoryMiB("VmRSS"),
        MemoryMiB("VmHWM"));
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace
}  // namespace loyalty

int main(int argc, char** argv) {
  const loyalty::testing::BenchmarkArgs args =
      loyalty::testing::ParseBenchmarkArgs(argc, argv, "metrics");
  return loyalty::Run(args.members, args.data_dir);
}
