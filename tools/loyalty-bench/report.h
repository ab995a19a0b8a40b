// The results of one run, gathered once after the load phase, and their two
// renderings: a table for people and JSON for scripts (tools/bench/run.sh).
#ifndef LOYALTY_TOOLS_LOYALTY_BENCH_REPORT_H_
#define LOYALTY_TOOLS_LOYALTY_BENCH_REPORT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "enroller.h"
#include "options.h"
#include "recorder.h"
#include "verify.h"

namespace loyalty_bench {

struct KindResult {
  std::string kind;
  int64_t ok = 0;
  int64_t refused = 0;
  int64_t failed = 0;
  double ok_per_second = 0;
  // Latency of answered calls (ok and refused), in milliseconds.
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0,
         mean_ms = 0;
};

struct RunReport {
  BenchOptions options;
  std::optional<EnrollReport> enroll;
  bool load_ran = false;  // false with --enroll-only
  double measured_seconds = 0;
  std::vector<KindResult> kinds;  // the kinds of the mix, in mix order
  int64_t skipped = 0;            // open loop: calls not sent (in-flight cap)
  bool drained = true;            // every call ended before the drain deadline
  std::map<std::string, Recorder::ErrorCount> errors;
  std::optional<VerifyReport> verify;  // absent when no commit was sent
  // Successful commits in the whole run (warm-up and drain included, plus
  // resolved resends): what the run wrote, e.g. to size WAL bytes per sale.
  int64_t commits_applied = 0;
};

// Reads the measured results out of `recorder`.
void CollectResults(const Recorder& recorder, RunReport* report);

std::string FormatTable(const RunReport& report);
std::string FormatJson(const RunReport& report);

}  // namespace loyalty_bench

#endif  // LOYALTY_TOOLS_LOYALTY_BENCH_REPORT_H_
