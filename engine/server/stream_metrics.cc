#include "engine/server/stream_metrics.h"

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"

namespace loyalty::server {
namespace {

using grpc::experimental::InterceptionHookPoints;

// The Rpc of a method path "/loyalty.v1.Audit/ExportLedger".
std::optional<Rpc> RpcOfMethod(absl::string_view method) {
  const size_t slash = method.rfind('/');
  const absl::string_view name =
      slash == absl::string_view::npos ? method : method.substr(slash + 1);
  for (int i = 0; i <= static_cast<int>(kLastRpc); ++i) {
    if (name == RpcName(static_cast<Rpc>(i))) return static_cast<Rpc>(i);
  }
  return std::nullopt;
}

class StreamCounter : public grpc::experimental::Interceptor {
 public:
  StreamCounter(RpcMetrics* metrics, Rpc rpc)
      : metrics_(metrics), rpc_(rpc), started_(absl::Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      metrics_->Record(rpc_, static_cast<absl::StatusCode>(methods->GetSendStatus().error_code()),
                       absl::Now() - started_);
    }
    methods->Proceed();
  }

 private:
  RpcMetrics* const metrics_;
  const Rpc rpc_;
  const absl::Time started_;
};

class Factory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(RpcMetrics* metrics) : metrics_(metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    if (info->type() != grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING) {
      return nullptr;
    }
    const std::optional<Rpc> rpc = RpcOfMethod(info->method());
    return rpc.has_value() ? new StreamCounter(metrics_, *rpc) : nullptr;
  }

 private:
  RpcMetrics* const metrics_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
StreamMetricsFactory(RpcMetrics* metrics) {
  return std::make_unique<Factory>(metrics);
}

}  // namespace loyalty::server
