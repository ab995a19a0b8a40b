// What the bench asks for: which member (uniform or Zipf popularity), which
// kind of call (the mix), which basket, and unique request ids. Every
// function here is safe to call from any thread (each thread draws from its
// own random generator).
#ifndef LOYALTY_TOOLS_LOYALTY_BENCH_WORKLOAD_H_
#define LOYALTY_TOOLS_LOYALTY_BENCH_WORKLOAD_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "loyalty/v1/types.pb.h"
#include "options.h"

namespace loyalty_bench {

// Draws member indexes 0..count-1. With exponent s > 0, index i is drawn
// with probability proportional to 1 / (i + 1)^s (index 0 is the hottest),
// like pgbench's random_zipfian; with s == 0, uniformly.
class MemberPicker {
 public:
  MemberPicker(int64_t count, double exponent);
  int64_t Next() const;
  int64_t count() const { return count_; }

 private:
  int64_t count_;
  std::vector<double> cumulative_;  // empty when uniform; 8 bytes per member
};

// Draws a call kind with the weights of a Mix.
class KindPicker {
 public:
  explicit KindPicker(const Mix& mix);
  Kind Next() const;

 private:
  std::array<int, kKindCount> upper_;  // cumulative weights
  int total_;
};

// "PREFIX-INDEX", e.g. "bench-42".
std::string MemberId(const std::string& prefix, int64_t index);

// A basket of min_lines..max_lines lines (uniform), 1-3 units each at
// 0.50-50.00 EUR, from a catalogue of 1000 SKUs in a few categories.
void FillBasket(int min_lines, int max_lines, loyalty::v1::Purchase* purchase);

// The basket's value before discounts, in minor units.
int64_t Subtotal(const loyalty::v1::Purchase& purchase);

// Unique ids for this run: "TAG-N", where TAG is random per process, so two
// runs against the same server never share an id.
class RequestIds {
 public:
  RequestIds();
  std::string Next();
  const std::string& tag() const { return tag_; }

 private:
  std::string tag_;
  std::atomic<int64_t> next_{0};
};

// True with probability percent / 100.
bool Chance(int percent);

}  // namespace loyalty_bench

#endif  // LOYALTY_TOOLS_LOYALTY_BENCH_WORKLOAD_H_
