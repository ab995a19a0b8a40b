// Counts answers and latencies per call kind. Latencies and counts enter the
// results only while measuring (between warm-up and the end of the run);
// running totals, for the progress line, count always. Thread-safe.
#ifndef LOYALTY_TOOLS_LOYALTY_BENCH_RECORDER_H_
#define LOYALTY_TOOLS_LOYALTY_BENCH_RECORDER_H_

#include <grpcpp/support/status.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "histogram.h"
#include "options.h"

namespace loyalty_bench {

// How a call ended, from the bench's point of view.
enum class Outcome {
  kOk,       // the server did what was asked
  kRefused,  // a business answer (INSUFFICIENT_POINTS, ...): final, recorded
  kFailed,   // a fault (deadline, connection, overload): outcome unknown
};

// kOk for OK; kRefused for the codes the server uses for business answers;
// kFailed for the rest.
Outcome Classify(const grpc::Status& status);

// Monotonic nanoseconds.
int64_t NowNanos();

struct KindStats {
  LatencyHistogram latency;  // ok and refused answers, while measuring
  std::atomic<int64_t> ok{0};
  std::atomic<int64_t> refused{0};
  std::atomic<int64_t> failed{0};
  std::atomic<int64_t> answered_total{0};  // always counted: progress line
};

class Recorder {
 public:
  Recorder() = default;
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  void Record(Kind kind, int64_t latency_ns, Outcome outcome,
              const grpc::Status& status);

  // Starts and ends the measured window; the window's length is what
  // throughputs are divided by.
  void StartMeasuring();
  void StopMeasuring();
  bool measuring() const { return measuring_.load(std::memory_order_relaxed); }
  double MeasuredSeconds() const;

  const KindStats& stats(Kind kind) const {
    return stats_[static_cast<int>(kind)];
  }
  // Answers other than OK, by "CODE kind" (e.g. "DEADLINE_EXCEEDED commit"),
  // during the whole run (warm-up included).
  struct ErrorCount {
    int64_t count = 0;
    std::string first_message;
  };
  std::map<std::string, ErrorCount> ErrorSummary() const;

 private:
  std::array<KindStats, kKindCount> stats_;
  std::atomic<bool> measuring_{false};
  std::atomic<int64_t> start_ns_{0};
  std::atomic<int64_t> stop_ns_{0};

  static constexpr size_t kMaxErrorKinds = 32;
  mutable absl::Mutex mu_;
  std::map<std::string, ErrorCount> errors_ ABSL_GUARDED_BY(mu_);
};

}  // namespace loyalty_bench

#endif  // LOYALTY_TOOLS_LOYALTY_BENCH_RECORDER_H_
