// absl::Status -> grpc::Status, carrying the reason and field of
// engine/base/error.h in the grpc-status-details-bin trailer as a
// loyalty.v1.RpcStatus (wire-compatible with google.rpc.Status).
#ifndef LOYALTY_ENGINE_SERVER_GRPC_STATUS_H_
#define LOYALTY_ENGINE_SERVER_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace loyalty::server {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_GRPC_STATUS_H_
