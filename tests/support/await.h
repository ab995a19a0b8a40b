// Waits for the answer of an asynchronous program operation.
#ifndef LOYALTY_TESTS_SUPPORT_AWAIT_H_
#define LOYALTY_TESTS_SUPPORT_AWAIT_H_

#include <optional>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"

namespace loyalty::testing {

// Await<Response>([&](auto reply) { operations.CommitPurchase(req, reply); })
template <typename Response, typename Call>
absl::StatusOr<Response> Await(Call call) {
  absl::Notification done;
  std::optional<absl::StatusOr<Response>> result;
  call([&](absl::StatusOr<Response> answer) {
    result = std::move(answer);
    done.Notify();
  });
  done.WaitForNotification();
  return *std::move(result);
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SUPPORT_AWAIT_H_
