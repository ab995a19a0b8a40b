// The server-streaming RPCs (ExportLedger, RunExpiry, SimulateRules,
// WatchEvents) in the RPC metrics: a gRPC interceptor that records each such
// call's status code and its time when the status is sent, refusals at the
// door included. Unary calls are counted by the call path (call_path.h).
#ifndef LOYALTY_ENGINE_SERVER_STREAM_METRICS_H_
#define LOYALTY_ENGINE_SERVER_STREAM_METRICS_H_

#include <memory>

#include "engine/server/rpc_metrics.h"
#include "grpcpp/support/server_interceptor.h"

namespace loyalty::server {

// A factory for ServerBuilder::experimental().SetInterceptorCreators;
// `metrics` is not owned and must outlive the server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
StreamMetricsFactory(RpcMetrics* metrics);

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_STREAM_METRICS_H_
