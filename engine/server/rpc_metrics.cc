#include "engine/server/rpc_metrics.h"

#include <cassert>
#include <string>

#include "absl/status/status.h"

namespace loyalty::server {

RpcMetrics::RpcMetrics() {
  for (auto& row : rows_) row = std::make_unique<Row>();
}

void RpcMetrics::Record(Rpc rpc, absl::StatusCode code, absl::Duration took) {
  const int index = static_cast<int>(rpc);
  assert(index >= 0 && index < kMaxRpcs);
  int code_index = static_cast<int>(code);
  if (code_index < 0 || code_index >= kCodes) {
    code_index = static_cast<int>(absl::StatusCode::kUnknown);
  }
  Row& row = *rows_[index];
  row.calls[code_index].fetch_add(1, std::memory_order_relaxed);
  row.latency_us.Record(absl::ToInt64Microseconds(took));
}

void RpcMetrics::Render(Exposition& page) const {
  // Read once, so that the counts and the histograms come from one pass.
  std::array<HistogramCounts, kMaxRpcs> latencies;
  for (int i = 0; i < kMaxRpcs; ++i) latencies[i] = rows_[i]->latency_us.Read();
  page.Family("loyalty_rpc_calls_total", "counter",
              "Calls answered, by RPC and gRPC status code (unary calls "
              "whichever door they came through; server streams over gRPC "
              "once ended).");
  for (int i = 0; i < kMaxRpcs; ++i) {
    if (latencies[i].Total() == 0) continue;
    const std::string rpc = RpcName(static_cast<Rpc>(i));
    for (int code = 0; code < kCodes; ++code) {
      const uint64_t calls =
          rows_[i]->calls[code].load(std::memory_order_relaxed);
      if (calls == 0) continue;
      page.Sample("loyalty_rpc_calls_total",
                  {{"rpc", rpc},
                   {"code", absl::StatusCodeToString(
                                static_cast<absl::StatusCode>(code))}},
                  static_cast<int64_t>(calls));
    }
  }
  page.Family("loyalty_rpc_duration_seconds", "histogram",
              "Time from a call's admission to its answer (a stream's: "
              "to its end), by RPC.");
  for (int i = 0; i < kMaxRpcs; ++i) {
    if (latencies[i].Total() == 0) continue;
    page.HistogramSamples("loyalty_rpc_duration_seconds",
                          {{"rpc", RpcName(static_cast<Rpc>(i))}}, latencies[i],
                          6);
  }
}

}  // namespace loyalty::server
