// The reactor of a long run that streams its progress (Program.RunExpiry,
// Program.SimulateRules): the run goes on a thread that is not gRPC's; the
// reactor sends the newest figures whenever the last write is done, so a
// slow client never holds the run back (figures in between are skipped, the
// last one never). A client that cancels the call sets stop(), which the
// run reads between pages. The stream is counted as it finishes
// (stream_call.h).
#ifndef LOYALTY_ENGINE_SERVER_PROGRESS_REACTOR_H_
#define LOYALTY_ENGINE_SERVER_PROGRESS_REACTOR_H_

#include <atomic>
#include <memory>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "engine/server/grpc_door.h"
#include "engine/server/grpc_status.h"
#include "engine/server/stream_call.h"
#include "grpcpp/grpcpp.h"

namespace loyalty::server {

template <typename Response>
class ProgressReactor final
    : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // A call refused before the run starts.
  static ProgressReactor* Refused(StreamCall call, const absl::Status& status) {
    auto* reactor = new ProgressReactor(std::move(call));
    reactor->Finish(reactor->call_.Ending(ToGrpcStatus(status)));
    return reactor;
  }
  // `call` is counted as the reactor finishes.
  explicit ProgressReactor(StreamCall call) : call_(std::move(call)) {}

  // Set when the client cancels; shared, so the run may hold it past the
  // call.
  std::shared_ptr<std::atomic<bool>> stop() const { return stop_; }

  // Called by the run: the newest figures.
  void Progress(const Response& figures) {
    {
      absl::MutexLock lock(&mu_);
      waiting_ = figures;
    }
    WriteNext();
  }
  // Called by the run once, at its end; the reactor may be gone after it.
  void End(absl::Status status) {
    {
      absl::MutexLock lock(&mu_);
      ended_ = true;
      status_ = std::move(status);
    }
    WriteNext();
  }

  void OnCancel() override {
    call_.Cancelled();
    *stop_ = true;
  }
  void OnWriteDone(bool ok) override {
    if (!ok) call_.Cancelled();
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
      // `this` may be gone from here on.
      Finish(call_.Ending(*std::move(finish)));
    }
  }

  StreamCall call_;
  const std::shared_ptr<std::atomic<bool>> stop_ =
      std::make_shared<std::atomic<bool>>(false);
  absl::Mutex mu_;
  std::optional<Response> waiting_ ABSL_GUARDED_BY(mu_);
  // Written under mu_ only while no write is in flight (writing_ false); read
  // by gRPC, without the lock, during the write.
  grpc::ByteBuffer sending_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_PROGRESS_REACTOR_H_
