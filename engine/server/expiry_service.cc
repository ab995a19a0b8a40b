// Program.RunExpiry: the maintenance run streamed to the caller. The run
// goes on a thread of its own (it reads every member); the call's reactor
// sends its progress, the newest figures whenever the last write is done,
// so a slow client never holds the run back.
#include <optional>
#include <utility>

#include "engine/base/error.h"
#include "engine/server/call_log.h"
#include "engine/base/limits.h"
#include "engine/server/grpc_status.h"
#include "engine/server/services.h"

namespace loyalty::server {
namespace {

using loyalty::v1::RunExpiryResponse;

class RunExpiryReactor final : public grpc::ServerWriteReactor<RunExpiryResponse> {
 public:
  // A call refused before the run starts.
  static RunExpiryReactor* Refused(const absl::Status& status) {
    auto* reactor = new RunExpiryReactor();
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  }
  RunExpiryReactor() = default;

  // Called by the run: the newest figures; the last call has done set.
  void Progress(const RunExpiryResponse& figures) {
    absl::MutexLock lock(&mu_);
    waiting_ = figures;
    WriteNextLocked();
  }
  // Called by the run once, at its end.
  void End(absl::Status status) {
    absl::MutexLock lock(&mu_);
    ended_ = true;
    status_ = std::move(status);
    WriteNextLocked();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) broken_ = true;
    WriteNextLocked();
  }
  void OnDone() override { delete this; }

 private:
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_) return;
    if (waiting_ && !broken_) {
      sending_ = *std::move(waiting_);
      waiting_.reset();
      writing_ = true;
      StartWrite(&sending_);
      return;
    }
    if (ended_) {
      finished_ = true;
      Finish(ToGrpcStatus(status_));
    }
  }

  absl::Mutex mu_;
  std::optional<RunExpiryResponse> waiting_ ABSL_GUARDED_BY(mu_);
  RunExpiryResponse sending_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

ProgramService::~ProgramService() {
  stopping_ = true;
  std::thread run;
  {
    absl::MutexLock lock(&mu_);
    run = std::move(run_thread_);
  }
  if (run.joinable()) run.join();
}

grpc::ServerWriteReactor<RunExpiryResponse>* ProgramService::RunExpiry(
    grpc::CallbackServerContext* context,
    const loyalty::v1::RunExpiryRequest* request) {
  absl::StatusOr<Caller> caller =
      services_.authorizer->Check(*context, Rpc::kRunExpiry);
  CallLog log = CallLog::Of(services_.logger, Rpc::kRunExpiry, *context, caller, *request);
  if (!caller.ok()) {
    log.Failure(caller.status());
    return RunExpiryReactor::Refused(caller.status());
  }
  if (absl::Status limits = CheckRequestLimits(*request); !limits.ok()) {
    log.Failure(limits);
    return RunExpiryReactor::Refused(limits);
  }
  absl::MutexLock lock(&mu_);
  if (running_) {
    const absl::Status busy = FailedPrecondition(
        "EXPIRY_RUNNING", "request_id", "a maintenance run is in progress; try later");
    log.Failure(busy);
    return RunExpiryReactor::Refused(busy);
  }
  if (run_thread_.joinable()) run_thread_.join();  // the last run is over
  running_ = true;
  auto* reactor = new RunExpiryReactor();
  run_thread_ = std::thread([this, reactor, request = *request, log = std::move(log)] {
    const absl::Time start = absl::Now();
    log.RunStarted();
    absl::StatusOr<RunExpiryResponse> result = services_.operations->RunExpiry(
        request,
        [reactor, &log](const RunExpiryResponse& figures) {
          log.RunPage(figures);
          reactor->Progress(figures);
        },
        &stopping_);
    log.RunEnded(result, absl::Now() - start);
    reactor->End(result.status());
    absl::MutexLock done(&mu_);
    running_ = false;
  });
  return reactor;
}

}  // namespace loyalty::server
