// Integer arithmetic that reports overflow instead of wrapping (ledger rule 4).
#ifndef LOYALTY_ENGINE_BASE_CHECKED_MATH_H_
#define LOYALTY_ENGINE_BASE_CHECKED_MATH_H_

#include <cstdint>
#include <optional>

namespace loyalty {

// Each returns nullopt when the exact result does not fit in int64.
inline std::optional<int64_t> CheckedAdd(int64_t a, int64_t b) {
  int64_t result;
  if (__builtin_add_overflow(a, b, &result)) return std::nullopt;
  return result;
}

inline std::optional<int64_t> CheckedSub(int64_t a, int64_t b) {
  int64_t result;
  if (__builtin_sub_overflow(a, b, &result)) return std::nullopt;
  return result;
}

inline std::optional<int64_t> CheckedMul(int64_t a, int64_t b) {
  int64_t result;
  if (__builtin_mul_overflow(a, b, &result)) return std::nullopt;
  return result;
}

}  // namespace loyalty

#endif  // LOYALTY_ENGINE_BASE_CHECKED_MATH_H_
