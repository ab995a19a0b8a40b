// What the benchmarks run by hand share (tests/analytics/metrics_benchmark,
// tests/program/expiry_benchmark, tests/integration/http_benchmark and
// events_benchmark, tests/ledger/rollback_benchmark): their command line,
// the rule file they price with, the process's memory, a round of sales
// from concurrent clients and the percentiles of its latencies.
#ifndef LOYALTY_TESTS_SUPPORT_BENCHMARK_H_
#define LOYALTY_TESTS_SUPPORT_BENCHMARK_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

namespace loyalty::testing {

// 1 point per 1.00 EUR, rounded down; a point pays 1 cent; points may pay
// half a basket.
inline constexpr char kBenchmarkRulesYaml[] =
    "program:\n  id: bench\n  currency: EUR\n  point_value_minor: 1\n"
    "earn:\n  points: 1\n  per_minor: 100\n  rounding: down\n"
    "burn:\n  max_basket_share_percent: 50\n  earned_points_pay_same_order: false\n";

// `benchmark [MEMBERS] [DATA_DIR]`: 1,000,000 members in
// $TMPDIR/loyalty-<name>-bench unless the command line says otherwise.
struct BenchmarkArgs {
  int64_t members = 1000000;
  std::string data_dir;
};

inline BenchmarkArgs ParseBenchmarkArgs(int argc, char** argv, const std::string& name) {
  BenchmarkArgs args;
  if (argc > 1) args.members = std::atoll(argv[1]);
  args.data_dir =
      argc > 2 ? argv[2]
               : absl::StrCat(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp",
                              "/loyalty-", name, "-bench");
  return args;
}

// "VmRSS" or "VmHWM" of this process, in MiB.
inline double MemoryMiB(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::strtod(line.c_str() + field.size() + 1, nullptr) / 1024.0;
    }
  }
  return 0;
}

// The value below which a share `p` (0.5: the median, 0.99) of `sorted`
// lies; 0 for none.
inline double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1,
                         static_cast<size_t>(p * sorted.size()))];
}

// One sale by `client` (0..clients-1), its `sale`th; false when it failed.
using SendSale = std::function<bool(int client, int sale)>;

// A round: `clients` threads, each sending `sales_per_client` sales one
// after the other (a closed loop: the next once the last is answered).
struct SalesRound {
  int sales = 0;
  int failed = 0;
  double seconds = 0;
  std::vector<double> latency_ms;  // each sale's, sorted
};

inline SalesRound RunSales(int clients, int sales_per_client,
                           const SendSale& send) {
  using Clock = std::chrono::steady_clock;
  std::vector<std::vector<double>> latencies(clients);
  std::vector<int> failures(clients, 0);
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (int s = 0; s < sales_per_client; ++s) {
        const Clock::time_point sent = Clock::now();
        if (!send(c, s)) ++failures[c];
        latencies[c].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - sent)
                .count());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  SalesRound round;
  round.sales = clients * sales_per_client;
  round.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (int c = 0; c < clients; ++c) {
    round.failed += failures[c];
    round.latency_ms.insert(round.latency_ms.end(), latencies[c].begin(),
                            latencies[c].end());
  }
  std::sort(round.latency_ms.begin(), round.latency_ms.end());
  return round;
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SUPPORT_BENCHMARK_H_
