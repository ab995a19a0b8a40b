// The gRPC door: the thin glue between gRPC's callback API and the call path
// (call_path.h). Every method is registered raw (WithRawCallbackMethod_*),
// so the door reads the request's bytes itself: bytes that are not a valid
// message are refused with INVALID_ARGUMENT (MALFORMED_REQUEST) by the path,
// after the caller check. (With typed methods, gRPC 1.51's
// CallbackUnaryHandler answers UNIMPLEMENTED with an empty message when a
// request does not parse, and neither an interceptor nor a message
// allocator can change that.)
#ifndef LOYALTY_ENGINE_SERVER_GRPC_DOOR_H_
#define LOYALTY_ENGINE_SERVER_GRPC_DOOR_H_

#include <utility>

#include "absl/status/statusor.h"
#include "engine/server/admission.h"
#include "engine/server/call_path.h"
#include "engine/server/grpc_status.h"
#include "engine/server/stream_call.h"
#include "google/protobuf/message_lite.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"

namespace loyalty::server {

// The caller's API key (x-api-key) and deadline.
CallOrigin OriginOf(const grpc::CallbackServerContext& context);

// Reads `bytes` into *message; false when they are not a valid message.
bool ParseBytes(const grpc::ByteBuffer& bytes,
                google::protobuf::MessageLite* message);

// The message in `bytes`, or MALFORMED_REQUEST naming its type.
template <typename Message>
absl::StatusOr<Message> ParseMessage(const grpc::ByteBuffer& bytes) {
  Message message;
  if (!ParseBytes(bytes, &message)) {
    return MalformedRequest(Message::descriptor()->full_name());
  }
  return message;
}

// `message` as gRPC bytes, into *bytes; INTERNAL when it cannot be written.
absl::Status SerializeMessage(const google::protobuf::MessageLite& message,
                              grpc::ByteBuffer* bytes);

// A server stream of Request begins (stream_call.h), `bytes` its request.
// gRPC hands a stream whose client cancelled it before its request arrived
// to the service with no request bytes at all: the refusal that follows
// (MALFORMED_REQUEST, as nobody sees it) is counted CANCELLED, as the
// client saw it.
template <typename Request>
StreamCall StartStream(const CallPath& path, const grpc::ByteBuffer& bytes) {
  StreamCall call = path.StartStream<Request>();
  if (!bytes.Valid()) call.Cancelled();
  return call;
}

// One unary call through the path: reads `request`, and once answered writes
// `response` and finishes the call with the status mapped to gRPC's.
template <typename Request>
grpc::ServerUnaryReactor* ServeUnary(const CallPath& path,
                                     grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  path.Run<Request>(
      OriginOf(*context), ParseMessage<Request>(*request),
      [reactor, response](absl::StatusOr<ResponseOf<Request>> answer) {
        absl::Status status = answer.status();
        if (status.ok()) status = SerializeMessage(*answer, response);
        reactor->Finish(ToGrpcStatus(status));
      });
  return reactor;
}

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_GRPC_DOOR_H_
