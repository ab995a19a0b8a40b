#include "histogram.h"

namespace loyalty_bench {

// Values below 2^kSubBucketBits have a bucket each. Above, a value whose top
// bit is bit `msb` is shifted right by msb - kSubBucketBits + 1, which leaves
// 64..127; octave `shift` owns buckets shift*64 + 64 .. shift*64 + 127.
int LatencyHistogram::BucketOf(uint64_t value) {
  if (value < (uint64_t{1} << kSubBucketBits)) return static_cast<int>(value);
  const int msb = 63 - __builtin_clzll(value);
  const int shift = msb - kSubBucketBits + 1;
  return shift * kHalf + static_cast<int>(value >> shift);
}

uint64_t LatencyHistogram::LowerBound(int bucket) {
  if (bucket < (1 << kSubBucketBits)) return static_cast<uint64_t>(bucket);
  const int shift = bucket / kHalf - 1;
  return static_cast<uint64_t>(bucket - shift * kHalf) << shift;
}

uint64_t LatencyHistogram::Width(int bucket) {
  if (bucket < (1 << kSubBucketBits)) return 1;
  return uint64_t{1} << (bucket / kHalf - 1);
}

void LatencyHistogram::Record(int64_t latency_ns) {
  const uint64_t value = latency_ns < 0 ? 0 : static_cast<uint64_t>(latency_ns);
  buckets_[BucketOf(value)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<int64_t>(value), std::memory_order_relaxed);
  int64_t seen = max_ns_.load(std::memory_order_relaxed);
  while (static_cast<int64_t>(value) > seen &&
         !max_ns_.compare_exchange_weak(seen, static_cast<int64_t>(value),
                                        std::memory_order_relaxed)) {
  }
}

int64_t LatencyHistogram::Count() const {
  return count_.load(std::memory_order_relaxed);
}

double LatencyHistogram::MeanNanos() const {
  const int64_t count = Count();
  if (count == 0) return 0;
  return static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) /
         static_cast<double>(count);
}

int64_t LatencyHistogram::PercentileNanos(double fraction) const {
  int64_t total = 0;
  for (const auto& bucket : buckets_) total += bucket.load(std::memory_order_relaxed);
  if (total == 0) return 0;
  // The rank of the sample sought, 1-based: p99 of 1000 samples is the 990th.
  int64_t rank = static_cast<int64_t>(fraction * static_cast<double>(total) + 0.999999);
  if (rank < 1) rank = 1;
  if (rank > total) rank = total;
  int64_t seen = 0;
  for (int bucket = 0; bucket < kBuckets; ++bucket) {
    seen += buckets_[bucket].load(std::memory_order_relaxed);
    if (seen >= rank) {
      const uint64_t middle = LowerBound(bucket) + Width(bucket) / 2;
      const int64_t max = MaxNanos();
      return static_cast<int64_t>(middle) < max ? static_cast<int64_t>(middle) : max;
    }
  }
  return MaxNanos();
}

}  // namespace loyalty_bench
