#include "engine/server/grpc_door.h"

#include <string>

#include "grpcpp/impl/codegen/proto_utils.h"

namespace loyalty::server {

using Serialization = grpc::SerializationTraits<google::protobuf::MessageLite>;

CallOrigin OriginOf(const grpc::CallbackServerContext& context) {
  CallOrigin origin;
  const auto& metadata = context.client_metadata();
  if (auto found = metadata.find(kApiKeyHeader); found != metadata.end()) {
    origin.api_key = std::string(found->second.data(), found->second.size());
  }
  origin.deadline = absl::FromChrono(context.deadline());
  return origin;
}

bool ParseBytes(const grpc::ByteBuffer& bytes,
                google::protobuf::MessageLite* message) {
  grpc::ByteBuffer copy(bytes);  // shares the slices; reading consumes the copy
  return Serialization::Deserialize(&copy, message).ok();
}

absl::Status SerializeMessage(const google::protobuf::MessageLite& message,
                              grpc::ByteBuffer* bytes) {
  bool own_buffer = false;
  grpc::ByteBuffer written;
  const grpc::Status status =
      Serialization::Serialize(message, &written, &own_buffer);
  if (!status.ok()) {
    return absl::InternalError("the answer could not be written as protobuf");
  }
  bytes->Swap(&written);
  return absl::OkStatus();
}

}  // namespace loyalty::server
