#include "engine/base/histogram.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace loyalty {

uint64_t HistogramCounts::Total() const {
  uint64_t total = 0;
  for (uint64_t count : counts) total += count;
  return total;
}

Histogram::Histogram(std::vector<int64_t> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      counts_(new std::atomic<uint64_t>[upper_bounds_.size() + 1]) {
  assert(upper_bounds_.size() <= kMaxBuckets);
  assert(std::is_sorted(upper_bounds_.begin(), upper_bounds_.end()));
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) counts_[i] = 0;
}

void Histogram::Record(int64_t value) {
  const size_t bucket =
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) -
      upper_bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

HistogramCounts Histogram::Read() const {
  HistogramCounts read;
  read.upper_bounds = upper_bounds_;
  read.counts.reserve(upper_bounds_.size() + 1);
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    read.counts.push_back(counts_[i].load(std::memory_order_relaxed));
  }
  read.sum = sum_.load(std::memory_order_relaxed);
  return read;
}

std::vector<int64_t> Histogram::LatencyBoundsUs() {
  return {50,     100,     250,     500,     1000,    2500,
          5000,   10000,   25000,   50000,   100000,  250000,
          500000, 1000000, 2500000, 5000000, 10000000};
}

std::vector<int64_t> Histogram::PowersOfTwo(int64_t min, int64_t max) {
  std::vector<int64_t> bounds;
  for (int64_t bound = min;
       bound >= 1 && bound <= max && bounds.size() < kMaxBuckets; bound *= 2) {
    bounds.push_back(bound);
  }
  return bounds;
}

}  // namespace loyalty
