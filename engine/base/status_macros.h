// The two macros abseil 20220623 does not ship. Use them only where a
// function returns absl::Status or absl::StatusOr<T>.
#ifndef LOYALTY_ENGINE_BASE_STATUS_MACROS_H_
#define LOYALTY_ENGINE_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define LOYALTY_CONCAT_INNER_(a, b) a##b
#define LOYALTY_CONCAT_(a, b) LOYALTY_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when it is not OK.
#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    ::absl::Status loyalty_status_ = (expr);   \
    if (!loyalty_status_.ok()) return loyalty_status_; \
  } while (0)

// ASSIGN_OR_RETURN(auto x, F()) declares x from the value of F(), or returns
// F()'s status from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(LOYALTY_CONCAT_(loyalty_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                           \
  if (!statusor.ok()) return statusor.status();     \
  lhs = *std::move(statusor)

#endif  // LOYALTY_ENGINE_BASE_STATUS_MACROS_H_
