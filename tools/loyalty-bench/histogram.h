// A log-linear latency histogram: each power of two is split into 64 equal
// buckets, so a percentile is exact to within 1/64 (1.6%) of its value,
// whatever the number of samples, in a fixed 30 KiB.
//
// Record() is lock-free and may be called from any number of threads; the
// readers (Count, Percentile, ...) see a consistent-enough view for a report
// taken after recording has stopped, and an approximate one during it.
#ifndef LOYALTY_TOOLS_LOYALTY_BENCH_HISTOGRAM_H_
#define LOYALTY_TOOLS_LOYALTY_BENCH_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstdint>

namespace loyalty_bench {

class LatencyHistogram {
 public:
  LatencyHistogram() = default;
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  // Adds one sample, in nanoseconds (negative counts as 0).
  void Record(int64_t latency_ns);

  int64_t Count() const;
  int64_t MaxNanos() const { return max_ns_.load(std::memory_order_relaxed); }
  double MeanNanos() const;
  // The value below which `fraction` (0..1) of the samples lie: the middle
  // of the bucket that holds that rank. 0 when there are no samples.
  int64_t PercentileNanos(double fraction) const;

 private:
  static constexpr int kSubBucketBits = 7;  // 2^7 = 128: values 0..127 exact
  static constexpr int kHalf = 1 << (kSubBucketBits - 1);  // buckets per octave
  static constexpr int kBuckets = (64 - kSubBucketBits + 2) * kHalf;

  static int BucketOf(uint64_t value);
  static uint64_t LowerBound(int bucket);
  static uint64_t Width(int bucket);

  std::array<std::atomic<int64_t>, kBuckets> buckets_{};
  std::atomic<int64_t> count_{0};
  std::atomic<int64_t> sum_ns_{0};
  std::atomic<int64_t> max_ns_{0};
};

}  // namespace loyalty_bench

#endif  // LOYALTY_TOOLS_LOYALTY_BENCH_HISTOGRAM_H_
