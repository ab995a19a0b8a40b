// Builds the OpenAPI 3 description of the HTTP/JSON door from the route
// table (engine/server/http_routes.h) and the messages' descriptors: a path
// per route, an operation per RPC named as in the proto (tag: its service),
// its path, query and Idempotency-Key parameters, the request body and the
// answer as schemas of protobuf's JSON mapping (int64 as strings, enums as
// their names, times as RFC 3339), every refusal as the Error schema.
// Knows nothing of the server: the build's generator links it with the
// messages alone.
#ifndef LOYALTY_ENGINE_SERVER_OPENAPI_OPENAPI_H_
#define LOYALTY_ENGINE_SERVER_OPENAPI_OPENAPI_H_

#include <string>

#include "absl/status/statusor.h"

namespace loyalty::server {

// The document as pretty-printed JSON; INTERNAL when a route names an RPC
// or a path field that the protos do not have.
absl::StatusOr<std::string> BuildOpenApi();

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_OPENAPI_OPENAPI_H_
