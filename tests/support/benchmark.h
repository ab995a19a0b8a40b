// What the benchmarks run by hand share (tests/analytics/metrics_benchmark,
// tests/program/expiry_benchmark): their command line, the rule file they
// price with, and the process's memory.
#ifndef LOYALTY_TESTS_SUPPORT_BENCHMARK_H_
#define LOYALTY_TESTS_SUPPORT_BENCHMARK_H_

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

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

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SUPPORT_BENCHMARK_H_
