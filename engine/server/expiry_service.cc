// Program.RunExpiry: the maintenance run streamed to the caller. The run
// goes on a thread of its own (maintenance_runs.h); the call's reactor
// sends its progress, the newest figures whenever the last write is done,
// so a slow client never holds the run back.
#include <optional>
#include <utility>

#include "engine/base/error.h"
#include "engine/server/call_log.h"
#include "engine/server/grpc_status.h"
#include "engine/server/services.h"

namespace loyalty::server {
namespace {

using loyalty::v1::RunExpiryResponse;

class RunExpiryReactor final
    : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // A call refused before the run starts.
  static RunExpiryReactor* Refused(const absl::Status& status) {
    auto* reactor = new RunExpiryReactor();
    reactor->End(status);
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

grpc::ServerWriteReactor<grpc::ByteBuffer>* ProgramService::RunExpiry(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* bytes) {
  const absl::StatusOr<v1::RunExpiryRequest> request =
      ParseMessage<v1::RunExpiryRequest>(*bytes);
  Admission call = path_->Admit(OriginOf(*context), request);
  if (!call.refusal.ok()) {
    call.log.Failure(call.refusal);
    return RunExpiryReactor::Refused(call.refusal);
  }
  auto* reactor = new RunExpiryReactor();
  const absl::Status started = runs_->Start(
      *request, std::move(call.log),
      [reactor](const RunExpiryResponse& figures) {
        reactor->Progress(figures);
      },
      [reactor](absl::Status status) { reactor->End(std::move(status)); });
  if (!started.ok()) reactor->End(started);
  return reactor;
}

}  // namespace loyalty::server
