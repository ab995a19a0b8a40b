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
  auto payload = status.GetPayload(kErrorDetailTypeUrl);
  if (!payload.has_value()) return grpc::Status(code, message);
  loyalty::v1::RpcStatus details;
  details.set_code(static_cast<int>(status.code()));
  details.set_message(message);
  auto* any = details.add_details();
  any->set_type_url(std::string(kErrorDetailTypeUrl));
  any->set_value(std::string(*payload));
  return grpc::Status(code, message, details.SerializeAsString());
}

}  // namespace loyalty::server
