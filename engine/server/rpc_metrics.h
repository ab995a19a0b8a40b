// What the one call path (call_path.h) counts about calls, for /metrics:
// every call by RPC and status code, and its latency from admission to
// answer, per RPC. Unary calls are counted where every door's calls pass,
// so a call over gRPC and one over the HTTP door count alike. The server
// streams over gRPC (ExportLedger, RunExpiry, SimulateRules, WatchEvents)
// are counted by their reactors as they end (stream_call.h), from admission
// to their end; their HTTP forms are not counted.
// Figures only, never a member, a key or a request.
//
// Bounded: one row per Rpc (at most kMaxRpcs), 17 status codes each.
// Record is lock-free. Thread-safe.
#ifndef LOYALTY_ENGINE_SERVER_RPC_METRICS_H_
#define LOYALTY_ENGINE_SERVER_RPC_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/base/histogram.h"
#include "engine/server/auth.h"
#include "engine/server/exposition.h"

namespace loyalty::server {

class RpcMetrics {
 public:
  // More than the Rpc enum holds, so that new RPCs fit without a change.
  static constexpr int kMaxRpcs = 64;
  static constexpr int kCodes = 17;  // absl::StatusCode 0 (OK) to 16

  RpcMetrics();
  RpcMetrics(const RpcMetrics&) = delete;
  RpcMetrics& operator=(const RpcMetrics&) = delete;

  // One call of `rpc` that ended with `code` after `took`.
  void Record(Rpc rpc, absl::StatusCode code, absl::Duration took);

  // Writes loyalty_rpc_calls_total{rpc,code} and the histogram
  // loyalty_rpc_duration_seconds{rpc}, for every RPC called at least once.
  void Render(Exposition& page) const;

 private:
  struct Row {
    std::array<std::atomic<uint64_t>, kCodes> calls{};
    Histogram latency_us{Histogram::LatencyBoundsUs()};
  };
  std::array<std::unique_ptr<Row>, kMaxRpcs> rows_;
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_RPC_METRICS_H_
