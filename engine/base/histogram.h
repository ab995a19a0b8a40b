// A histogram of integer values (microseconds, operations, bytes) over fixed
// bucket bounds, for the metrics loyaltyd exposes (engine/server/metrics.h).
// Record is a few relaxed atomic adds, so the ledger's syncer and gRPC's
// threads can record on their hot paths without a lock; Read takes a copy
// that a scrape renders. The counts of one Read are each exact, but a Record
// running at the same time may show in one bucket before it shows in the sum:
// a scrape is a sample, never an input to a decision.
// Bounded: the bounds are given once (at most kMaxBuckets of them).
// Thread-safe.
#ifndef LOYALTY_ENGINE_BASE_HISTOGRAM_H_
#define LOYALTY_ENGINE_BASE_HISTOGRAM_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace loyalty {

// What a histogram held when read: counts per bucket, not cumulative.
struct HistogramCounts {
  // Inclusive upper bounds, ascending; a value above the last one counts in
  // the overflow bucket (counts.back()).
  std::vector<int64_t> upper_bounds;
  std::vector<uint64_t> counts;  // upper_bounds.size() + 1 entries
  int64_t sum = 0;               // of every recorded value
  // The number of values recorded: the sum of `counts`.
  uint64_t Total() const;
};

class Histogram {
 public:
  static constexpr size_t kMaxBuckets = 32;

  // `upper_bounds` ascending, at most kMaxBuckets (asserted).
  explicit Histogram(std::vector<int64_t> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Counts `value` in the first bucket whose bound is >= value. The sum
  // wraps only past 2^63 (292,000 years of microseconds).
  void Record(int64_t value);
  HistogramCounts Read() const;

  // Bounds for latencies in microseconds: 50 us to 10 s.
  static std::vector<int64_t> LatencyBoundsUs();
  // Bounds for sizes that grow by powers of two: `min`, 2 * min, ... up to
  // `max` (min >= 1; at most kMaxBuckets bounds).
  static std::vector<int64_t> PowersOfTwo(int64_t min, int64_t max);

 private:
  const std::vector<int64_t> upper_bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<int64_t> sum_{0};
};

}  // namespace loyalty

#endif  // LOYALTY_ENGINE_BASE_HISTOGRAM_H_
