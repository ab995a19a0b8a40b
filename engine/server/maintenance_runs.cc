#include "engine/server/maintenance_runs.h"

#include <utility>

#include "engine/base/error.h"
#include "engine/base/thread_name.h"

namespace loyalty::server {
namespace {

// A run refused or cut short because the server stops.
absl::Status Stopping() {
  return MakeError(absl::StatusCode::kUnavailable, "SERVER_STOPPING", "",
                   "the server is stopping; what the run did stays done, run "
                   "it again once the server is back");
}

}  // namespace

MaintenanceRuns::~MaintenanceRuns() {
  stopping_ = true;
  std::thread run;
  {
    absl::MutexLock lock(&mu_);
    run = std::move(run_thread_);
  }
  if (run.joinable()) run.join();
}

absl::Status MaintenanceRuns::Start(const v1::RunExpiryRequest& request,
                                    CallLog log, Progress progress, End end) {
  if (stopping_) {
    log.Failure(Stopping());
    return Stopping();
  }
  absl::MutexLock lock(&mu_);
  if (running_) {
    absl::Status busy =
        FailedPrecondition("EXPIRY_RUNNING", "request_id",
                           "a maintenance run is in progress; try later");
    log.Failure(busy);
    return busy;
  }
  if (run_thread_.joinable()) run_thread_.join();  // the last run is over
  running_ = true;
  run_thread_ =
      std::thread([this, request, log = std::move(log),
                   progress = std::move(progress), end = std::move(end)] {
        const absl::Time start = absl::Now();
        log.RunStarted();
        absl::StatusOr<v1::RunExpiryResponse> result = operations_->RunExpiry(
            request,
            [&log, &progress](const v1::RunExpiryResponse& figures) {
              log.RunPage(figures);
              progress(figures);
            },
            &stopping_);
        log.RunEnded(result, absl::Now() - start);
        const bool stopped =
            stopping_ && result.status().code() == absl::StatusCode::kCancelled;
        {
          absl::MutexLock done(&mu_);
          running_ = false;  // before the answer: the caller may start the next
        }
        end(stopped ? Stopping() : result.status());
      });
  NameThread(run_thread_, "maintenance-run");
  return absl::OkStatus();
}

}  // namespace loyalty::server
