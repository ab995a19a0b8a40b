// SimulateRules over many stored sales: sales replayed per second and the
// process's memory (Program.SimulateRules runs this on one reader thread).
//
//   build/release/tests/program/simulate_benchmark [SALES] [DATA_DIR] [WHICH]
//
// SALES defaults to 1,000,000 (by 10,000 members, one sale every 5 s of the
// injected clock, two lines each, every tenth paying with points), committed
// through Operations::CommitPurchase with many in flight; a DATA_DIR that
// holds them already is reused. Then two simulations of the whole history:
// the recorded rules (every sale priced as recorded) and a candidate with a
// doubled weekend rate (WHICH: `recorded` or `candidate` runs only that
// one). Prints sales replayed per second (of wall time and of the
// simulating thread's CPU time) and the process's peak RSS; asserts nothing
// about time.
#include <time.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"
#include "engine/base/time_util.h"
#include "engine/evaluator/rule_file.h"
#include "engine/ledger/ledger.h"
#include "engine/program/operations.h"
#include "tests/support/benchmark.h"

namespace loyalty {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1767225600);  // 2026-01-01
constexpr int64_t kMembers = 10000;
constexpr absl::Duration kBetweenSales = absl::Seconds(5);

const std::string kRules = absl::StrCat(
    testing::kBenchmarkRulesYaml,
    "tiers:\n  measure: spend\n  window: rolling\n  window_days: 365\n  "
    "levels:\n"
    "    - {id: member, name: Member, threshold: 0}\n"
    "    - {id: silver, name: Silver, threshold: 500.00, benefits: "
    "{earn_multiplier_percent: 150}}\n"
    "rules:\n  - id: spring-bonus\n    description: Spring bonus\n"
    "    bonus_points: {points: 5}\n    caps: {budget: 1000000, "
    "per_member_per_day: 10}\n");
const std::string kCandidate = absl::StrCat(
    kRules,
    "  - id: weekend-double\n    description: Weekend double points\n"
    "    valid: {weekdays: [sat, sun]}\n    multiply_points: {percent: 200}\n");

v1::CommitPurchaseRequest SaleOf(int64_t i, absl::Time when) {
  v1::CommitPurchaseRequest request;
  request.set_request_id(absl::StrCat("sale-", i));
  v1::Purchase* purchase = request.mutable_purchase();
  purchase->set_member_id(absl::StrCat("M", 100000 + i % kMembers));
  purchase->set_order_id(absl::StrCat("O", i));
  purchase->set_currency("EUR");
  *purchase->mutable_purchase_time() = ToTimestamp(when);
  if (i % 10 == 9 && i >= 3 * kMembers) purchase->set_redeem_points(5);
  for (int line = 0; line < 2; ++line) {
    v1::PurchaseLine* row = purchase->add_lines();
    row->set_sku(absl::StrCat("sku-", (i + line) % 50));
    row->set_quantity(1 + line);
    row->set_unit_price_minor(199 + (i * 37 + line * 101) % 4000);
  }
  return request;
}

// Enrolls the members and commits `sales` sales, a few thousand in flight.
bool MakeHistory(program::Operations& operations, ManualClock& clock,
                 int64_t sales) {
  constexpr int64_t kInFlight = 4096;
  absl::Mutex mu;
  int64_t in_flight = 0, failed = 0;
  auto submit = [&](auto call) {
    {
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(
          +[](int64_t* n) { return *n < kInFlight; }, &in_flight));
      ++in_flight;
    }
    call([&](bool ok) {
      absl::MutexLock lock(&mu);
      --in_flight;
      if (!ok) ++failed;
    });
  };
  for (int64_t m = 0; m < kMembers; ++m) {
    v1::EnrollMemberRequest request;
    request.set_request_id(absl::StrCat("enroll-", m));
    request.mutable_profile()->set_member_id(absl::StrCat("M", 100000 + m));
    submit([&](auto done) {
      operations.EnrollMember(request,
                              [done](auto result) { done(result.ok()); });
    });
  }
  const absl::Time begin = absl::Now();
  for (int64_t i = 0; i < sales; ++i) {
    const absl::Time when = kStart + absl::Hours(1) + kBetweenSales * i;
    clock.Set(when);
    submit([&](auto done) {
      operations.CommitPurchase(SaleOf(i, when),
                                [done](auto result) { done(result.ok()); });
    });
    if ((i + 1) % 100000 == 0) {
      std::printf("  committed %lld sales, %.0f/s\n",
                  static_cast<long long>(i + 1),
                  (i + 1) / absl::ToDoubleSeconds(absl::Now() - begin));
      std::fflush(stdout);
    }
  }
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(
      +[](int64_t* n) { return *n == 0; }, &in_flight));
  if (failed > 0)
    std::printf("  %lld operations refused\n", static_cast<long long>(failed));
  return true;
}

// CPU time of this thread: the machine may be shared, and the simulation
// runs on the calling thread.
double ThreadCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) +
         static_cast<double>(now.tv_nsec) * 1e-9;
}

void Simulate(const program::Operations& operations, const char* which,
              const std::string& yaml, absl::Time to) {
  v1::SimulateRulesRequest request;
  request.set_yaml(yaml);
  *request.mutable_from_time() = ToTimestamp(kStart);
  *request.mutable_to_time() = ToTimestamp(to);
  const double rss_before = testing::MemoryMiB("VmRSS");
  const absl::Time begin = absl::Now();
  const double cpu_begin = ThreadCpuSeconds();
  auto result = operations.SimulateRules(
      request, "", [](const v1::SimulateRulesResponse&) {});
  const double seconds = absl::ToDoubleSeconds(absl::Now() - begin);
  const double cpu_seconds = ThreadCpuSeconds() - cpu_begin;
  if (!result.ok()) {
    std::printf("%s: %s\n", which,
                std::string(result.status().message()).c_str());
    return;
  }
  const v1::SimulationReport& report = result->report();
  const int64_t sales = report.recorded().sales();
  std::printf(
      "%s: %lld sales (%lld entries) in %.1f s = %.0f sales/s; %.1f s of CPU = "
      "%.0f sales per CPU second; points issued %lld recorded, %lld candidate; "
      "%lld priced differently; RSS %.0f -> %.0f MiB (peak %.0f MiB)\n",
      which, static_cast<long long>(sales),
      static_cast<long long>(result->entries_replayed()), seconds,
      sales / seconds, cpu_seconds, sales / cpu_seconds,
      static_cast<long long>(report.recorded().points_issued()),
      static_cast<long long>(report.candidate().points_issued()),
      static_cast<long long>(report.sales_priced_differently()), rss_before,
      testing::MemoryMiB("VmRSS"), testing::MemoryMiB("VmHWM"));
  std::fflush(stdout);
}

int Run(int64_t sales, const std::string& data_dir, const std::string& which) {
  ManualClock clock(kStart);
  ledger::LedgerOptions options;
  options.data_dir = data_dir;
  options.clock = &clock;
  auto ledger = ledger::Ledger::Open(options);
  if (!ledger.ok()) {
    std::fprintf(stderr, "%s\n",
                 std::string(ledger.status().message()).c_str());
    return 1;
  }
  auto rule_set = evaluator::ParseRuleFile("bench.yaml", kRules);
  if (!rule_set.ok()) return 1;
  auto rules = evaluator::CompiledRules::Compile(*rule_set);
  if (!rules.ok()) return 1;
  program::TimeBounds bounds;
  bounds.clock_skew = absl::Hours(24);
  program::Operations operations(ledger->get(), *rules, &clock, bounds);
  if (!operations.LoadStoredRules().ok()) return 1;
  std::printf("simulate benchmark: %lld sales in %s\n",
              static_cast<long long>(sales), data_dir.c_str());
  const absl::Time setup = absl::Now();
  if ((*ledger)->Head().member_count() < kMembers)
    MakeHistory(operations, clock, sales);
  std::printf("set-up: %.1f s; %lld entries; RSS %.0f MiB\n",
              absl::ToDoubleSeconds(absl::Now() - setup),
              static_cast<long long>((*ledger)->Head().sequence()),
              testing::MemoryMiB("VmRSS"));
  std::fflush(stdout);
  const absl::Time end = kStart + absl::Hours(2) + kBetweenSales * sales;
  if (which != "candidate") Simulate(operations, "recorded rules", kRules, end);
  if (which != "recorded")
    Simulate(operations, "doubled weekend rate", kCandidate, end);
  return 0;
}

}  // namespace
}  // namespace loyalty

int main(int argc, char** argv) {
  const loyalty::testing::BenchmarkArgs args =
      loyalty::testing::ParseBenchmarkArgs(argc, argv, "simulate");
  return loyalty::Run(args.members, args.data_dir, argc > 3 ? argv[3] : "both");
}
