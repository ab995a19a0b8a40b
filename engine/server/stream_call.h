// One server stream (ExportLedger, RunExpiry, SimulateRules, WatchEvents)
// in the RPC metrics (rpc_metrics.h), as the call path counts a unary call:
// once, by RPC and final status code, with its time from admission to its
// end. The stream's reactor counts it as it finishes it (Ending, just
// before Finish), a stream refused before its first message too; so a
// client that has its status finds the stream counted already.
//
// The final code is the one the reactor finishes with, unless the client
// gave the stream up first (the reactor's OnCancel, or a write that
// failed): then CANCELLED, as the client saw it, whatever the server still
// had to say.
//
// Counted in our reactors, not by a gRPC interceptor: an interceptor on
// server streams (PRE_SEND_STATUS) showed ThreadSanitizer a race inside
// gRPC 1.51's callback writer when a stream was cancelled.
//
// Thread-safe: Cancelled (from gRPC's OnCancel) may race with Ending (from
// a reader, a run or gRPC's thread).
#ifndef LOYALTY_ENGINE_SERVER_STREAM_CALL_H_
#define LOYALTY_ENGINE_SERVER_STREAM_CALL_H_

#include <atomic>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/server/auth.h"
#include "engine/server/rpc_metrics.h"
#include "grpcpp/support/status.h"

namespace loyalty::server {

class StreamCall {
 public:
  // A stream of `rpc` admitted now; `metrics` (not owned, may be null:
  // nothing counted) must outlive it.
  StreamCall(RpcMetrics* metrics, Rpc rpc)
      : metrics_(metrics), rpc_(rpc), started_(absl::Now()) {}
  // Only before the stream is shared between threads; `other` then counts
  // nothing.
  StreamCall(StreamCall&& other) noexcept
      : metrics_(other.metrics_),
        rpc_(other.rpc_),
        started_(other.started_),
        cancelled_(other.cancelled_.load()),
        ended_(other.ended_.exchange(true)) {}
  StreamCall& operator=(StreamCall&&) = delete;

  // The client gave the stream up: it ends CANCELLED.
  void Cancelled() { cancelled_.store(true); }

  // Counts the stream as ended with `code` (CANCELLED once Cancelled); only
  // the first call counts.
  void End(absl::StatusCode code) {
    if (ended_.exchange(true) || metrics_ == nullptr) return;
    if (cancelled_.load()) code = absl::StatusCode::kCancelled;
    metrics_->Record(rpc_, code, absl::Now() - started_);
  }

  // For a reactor's Finish: counts `status`'s code and hands it back.
  grpc::Status Ending(grpc::Status status) {
    End(static_cast<absl::StatusCode>(status.error_code()));
    return status;
  }

 private:
  RpcMetrics* const metrics_;
  const Rpc rpc_;
  const absl::Time started_;
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> ended_{false};
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_STREAM_CALL_H_
