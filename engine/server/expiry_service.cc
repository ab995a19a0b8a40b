// Program.RunExpiry: the maintenance run streamed to the caller. The run
// goes on a thread of its own (it reads every member); the call's reactor
// sends its progress, the newest figures whenever the last write is done,
// so a slow client never holds the run back.
#include <optional>
#include <utility>

#include "engine/base/error.h"
#include "engine/base/thread_name.h"
#include "engine/server/call_log.h"
#include "engine/server/grpc_status.h"
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

class RunExpiryReactor final
    : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
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
    {
      absl::MutexLock lock(&mu_);
      waiting_ = figures;
    }
    WriteNext();
  }
  // Called by the run once, at its end.
  void End(absl::Status status) {
    {
      absl::MutexLock lock(&mu_);
      ended_ = true;
      status_ = std::move(status);
    }
    WriteNext();
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) broken_ = true;
    }
    WriteNext();
  }
  void OnDone() override { delete this; }

 private:
  // Decides under the lock, then starts the write or the finish without it:
  // gRPC may run OnWriteDone, or OnDone (which deletes this), on another
  // thread as soon as it has them, so neither may wait for our lock nor find
  // it destroyed.
  void WriteNext() ABSL_LOCKS_EXCLUDED(mu_) {
    bool write = false;
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || finished_) return;
      if (waiting_ && !broken_) {
        const absl::Status written = SerializeMessage(*waiting_, &sending_);
        waiting_.reset();
        if (written.ok()) {
          writing_ = true;
          write = true;
        } else {
          broken_ = true;  // the run goes on; its end reports the status
        }
      } else if (ended_) {
        finished_ = true;
        finish = ToGrpcStatus(status_);
      }
    }
    if (write) {
      StartWrite(&sending_);  // not touched again until OnWriteDone
    } else if (finish.has_value()) {
      Finish(*std::move(finish));  // `this` may be gone from here on
    }
  }

  absl::Mutex mu_;
  std::optional<RunExpiryResponse> waiting_ ABSL_GUARDED_BY(mu_);
  // Written under mu_ only while no write is in flight (writing_ false); read
  // by gRPC, without the lock, during the write.
  grpc::ByteBuffer sending_;
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
