#include "engine/server/background_task.h"

#include "engine/base/error.h"
#include "engine/base/thread_name.h"

namespace loyalty::server {

BackgroundTask::~BackgroundTask() {
  // Joined without the lock: the worker takes it as it ends.
  std::thread worker;
  {
    absl::MutexLock lock(&mu_);
    worker = std::move(worker_);
  }
  if (worker.joinable()) worker.join();
}

absl::Status BackgroundTask::Start(
    absl::AnyInvocable<absl::AnyInvocable<void()>()> work) {
  absl::MutexLock lock(&mu_);
  if (busy_) {
    return MakeError(absl::StatusCode::kUnavailable, "AUDIT_TASK_RUNNING", "",
                     "a verification or backup is running; retry when it ends");
  }
  busy_ = true;
  if (worker_.joinable()) worker_.join();  // finished: busy_ was false
  worker_ = std::thread([this, work = std::move(work)]() mutable {
    absl::AnyInvocable<void()> answer = work();
    {
      absl::MutexLock done(&mu_);
      busy_ = false;
    }
    answer();
  });
  NameThread(worker_, "audit-worker");
  return absl::OkStatus();
}

}  // namespace loyalty::server
