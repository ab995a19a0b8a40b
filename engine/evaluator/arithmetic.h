// Integer rounding and pro-rata allocation for pricing. Amounts are int64
// minor units or points; products are taken in __int128 so they cannot
// overflow, and every rounding is an exact integer rule.
#ifndef LOYALTY_ENGINE_EVALUATOR_ARITHMETIC_H_
#define LOYALTY_ENGINE_EVALUATOR_ARITHMETIC_H_

#include <cstdint>
#include <limits>
#include <optional>

#include "absl/container/inlined_vector.h"
#include "loyalty/v1/rules.pb.h"

namespace loyalty::evaluator::internal {

// Per-line amounts; 16 lines fit without touching the heap.
using Amounts = absl::InlinedVector<int64_t, 16>;

struct Rounded {
  int64_t value = 0;
  bool exact = true;  // no fraction was dropped or added
};

// numerator / denominator rounded with `rounding`, for numerator >= 0 and
// denominator > 0 (so "toward zero" is floor and "away from zero" is
// ceiling); nullopt when the result does not fit in int64.
inline std::optional<Rounded> RoundQuotient(__int128 numerator,
                                            int64_t denominator,
                                            loyalty::v1::Rounding rounding) {
  __int128 quotient = numerator / denominator;
  const __int128 remainder = numerator % denominator;
  const __int128 twice_remainder = 2 * remainder;
  bool up = false;
  switch (rounding) {
    case loyalty::v1::ROUNDING_UP:
      up = remainder > 0;
      break;
    case loyalty::v1::ROUNDING_HALF_UP:
      up = twice_remainder >= denominator;
      break;
    case loyalty::v1::ROUNDING_HALF_EVEN:
      up = twice_remainder > denominator ||
           (twice_remainder == denominator && quotient % 2 == 1);
      break;
    default:
      break;  // ROUNDING_DOWN; Compile refuses anything else
  }
  if (up) ++quotient;
  if (quotient > std::numeric_limits<int64_t>::max()) return std::nullopt;
  return Rounded{static_cast<int64_t>(quotient), remainder == 0};
}

// floor(total * weight / sum) for total, weight >= 0 and sum > 0. A 128-bit
// division is a libgcc call; when the product fits in 64 bits (any real
// basket) the hardware divide gives the same floor at a fraction of the cost.
inline int64_t ShareOf(int64_t total, int64_t weight, __int128 sum) {
  int64_t product = 0;
  if (sum <= std::numeric_limits<int64_t>::max() &&
      !__builtin_mul_overflow(total, weight, &product)) {
    return product / static_cast<int64_t>(sum);
  }
  return static_cast<int64_t>(static_cast<__int128>(total) * weight / sum);
}

// Splits `total` over lines in proportion to `weights` (each >= 0, total <=
// their sum): floor shares, then the units left over one each to the first
// lines with weight, in line order. No share exceeds its weight, and the
// shares sum to `total` exactly.
inline Amounts Allocate(int64_t total, const Amounts& weights) {
  const size_t count = weights.size();
  Amounts shares(count, 0);
  // Raw pointers: InlinedVector's operator[] tests where the data lives on
  // every access, which shows in the profile of this inner loop.
  const int64_t* weight = weights.data();
  int64_t* share = shares.data();
  __int128 sum = 0;
  for (size_t i = 0; i < count; ++i) sum += weight[i];
  if (total <= 0 || sum == 0) return shares;
  int64_t given = 0;
  for (size_t i = 0; i < count; ++i) {
    share[i] = ShareOf(total, weight[i], sum);
    given += share[i];
  }
  for (size_t i = 0; i < count && given < total; ++i) {
    if (share[i] < weight[i]) {
      ++share[i];
      ++given;
    }
  }
  return shares;
}

}  // namespace loyalty::evaluator::internal

#endif  // LOYALTY_ENGINE_EVALUATOR_ARITHMETIC_H_
