// One long task at a time (a verification, a backup, a settlement) on a
// thread of its own, so that no gRPC thread waits on a ledger scan.
// Thread-safe.
#ifndef LOYALTY_ENGINE_SERVER_BACKGROUND_TASK_H_
#define LOYALTY_ENGINE_SERVER_BACKGROUND_TASK_H_

#include <memory>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/program/operations.h"

namespace loyalty::server {

class BackgroundTask {
 public:
  BackgroundTask() = default;
  BackgroundTask(const BackgroundTask&) = delete;
  BackgroundTask& operator=(const BackgroundTask&) = delete;
  // Waits for the task, if one runs.
  ~BackgroundTask();

  // Runs `work` on the task's thread and answers `reply` with its result;
  // when another task runs, answers at once with UNAVAILABLE
  // (AUDIT_TASK_RUNNING). The runner is idle again before the answer leaves,
  // so a caller that sends its next request as soon as it has the answer is
  // not refused.
  template <typename Response>
  void Run(program::Reply<Response> reply,
           absl::AnyInvocable<absl::StatusOr<Response>()> work) {
    auto answer = std::make_shared<program::Reply<Response>>(std::move(reply));
    const absl::Status started =
        Start([answer,
               work = std::move(work)]() mutable -> absl::AnyInvocable<void()> {
          return [answer, result = work()]() mutable {
            (*answer)(std::move(result));
          };
        });
    if (!started.ok()) (*answer)(started);
  }

 private:
  // Runs `work` on the thread, then, once idle again, what it returned.
  absl::Status Start(absl::AnyInvocable<absl::AnyInvocable<void()>()> work);

  absl::Mutex mu_;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  std::thread worker_ ABSL_GUARDED_BY(mu_);
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_BACKGROUND_TASK_H_
