#include "engine/server/grpc_status.h"

#include <string>

#include "engine/base/error.h"
#include "loyalty/v1/types.pb.h"

namespace loyalty::server {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbers.
  const auto code = static_cast<grpc::StatusCode>(status.code());
  const std::string message(status.message());
  if (!status.GetPayload(kErrorDetailTypeUrl).has_value()) {
    return grpc::Status(code, message);
  }
  return grpc::Status(code, message, RpcStatusOf(status).SerializeAsString());
}

}  // namespace loyalty::server
