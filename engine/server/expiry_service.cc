// Program.RunExpiry: the maintenance run streamed to the caller. The run
// goes on a thread of its own (it reads every member); the call's reactor
// (progress_reactor.h) sends its progress.
#include <optional>
#include <utility>

#include "engine/base/error.h"
#include "engine/base/thread_name.h"
#include "engine/server/call_log.h"
#include "engine/server/grpc_status.h"
#include "engine/server/progress_reactor.h"
#include "engine/server/services.h"

namespace loyalty::server {
namespace {

using loyalty::v1::RunExpiryResponse;

// A run refused or cut short because the server stops.
absl::Status Stopping() {
  return MakeError(absl::StatusCode::kUnavailable, "SERVER_STOPPING", "",
                   "the server is stopping; what the run did stays done, run "
                   "it again once the server is back");
}

using RunExpiryReactor = ProgressReactor<RunExpiryResponse>;

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

grpc::ServerWriteReactor<grpc::ByteBuffer>* ProgramService::RunExpiry(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* bytes) {
  const absl::StatusOr<v1::RunExpiryRequest> request =
      ParseMessage<v1::RunExpiryRequest>(*bytes);
  Admission call = path_->Admit(OriginOf(*context), request);
  if (call.refusal.ok() && stopping_) call.refusal = Stopping();
  if (!call.refusal.ok()) {
    call.log.Failure(call.refusal);
    return RunExpiryReactor::Refused(call.refusal);
  }
  CallLog log = std::move(call.log);
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
    absl::StatusOr<RunExpiryResponse> result = operations_->RunExpiry(
        request,
        [reactor, &log](const RunExpiryResponse& figures) {
          log.RunPage(figures);
          reactor->Progress(figures);
        },
        &stopping_);
    log.RunEnded(result, absl::Now() - start);
    const bool stopped = stopping_ && result.status().code() == absl::StatusCode::kCancelled;
    reactor->End(stopped ? Stopping() : result.status());
    absl::MutexLock done(&mu_);
    running_ = false;
  });
  NameThread(run_thread_, "maintenance-run");
  return reactor;
}

}  // namespace loyalty::server
