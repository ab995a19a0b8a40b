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
    Next next;
    {
      absl::MutexLock lock(&mu_);
      waiting_ = figures;
      next = Decide();
    }
    Act(std::move(next));
  }
  // Called by the run once, at its end; the reactor may be gone after it.
  // The end is recorded and the next step decided under one lock: a write
  // that completes meanwhile (OnWriteDone) may finish the call and gRPC
  // delete the reactor, so nothing of it is touched after the lock unless
  // this call itself starts the finish.
  void End(absl::Status status) {
    Next next;
    {
      absl::MutexLock lock(&mu_);
      ended_ = true;
      status_ = std::move(status);
      next = Decide();
    }
    Act(std::move(next));
  }

  void OnCancel() override {
    call_.Cancelled();
    *stop_ = true;
  }
  void OnWriteDone(bool ok) override {
    if (!ok) call_.Cancelled();
    Next next;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) broken_ = true;
      next = Decide();
    }
    Act(std::move(next));
  }
  void OnDone() override { delete this; }

 private:
  // What to start once the lock is released: a write of `sending_`, the
  // finish with its status, or nothing.
  struct Next {
    bool write = false;
    std::optional<grpc::Status> finish;
  };

  // Decides under the lock; the write or the finish is started without it
  // (Act): gRPC may run OnWriteDone, or OnDone (which deletes this), on
  // another thread as soon as it has them, so neither may wait for our lock
  // nor find it destroyed.
  Next Decide() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Next next;
    if (writing_ || finished_) return next;
    if (waiting_ && !broken_) {
      const absl::Status written = SerializeMessage(*waiting_, &sending_);
      waiting_.reset();
      if (written.ok()) {
        writing_ = true;
        next.write = true;
        return next;
      }
      broken_ = true;  // the run goes on; its end reports the status
    }
    if (ended_) {
      finished_ = true;
      next.finish = ToGrpcStatus(status_);
    }
    return next;
  }

  void Act(Next next) ABSL_LOCKS_EXCLUDED(mu_) {
    if (next.write) {
      StartWrite(&sending_);  // not touched again until OnWriteDone
    } else if (next.finish.has_value()) {
      // `this` may be gone from here on.
      Finish(call_.Ending(*std::move(next.finish)));
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
