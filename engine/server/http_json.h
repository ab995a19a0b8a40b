// What the HTTP/JSON door (http_door.h) reads and writes: requests from a
// JSON body or a query string plus the path's parameters, answers and
// refusals as JSON, and the HTTP status of each gRPC code. The JSON is
// protobuf's own mapping (google::protobuf::util), never written by hand:
// field names print in lowerCamelCase and read in either spelling
// (`request_id` or `requestId`); int64 values print as strings; every field
// prints, zeros and empty lists too.
#ifndef LOYALTY_ENGINE_SERVER_HTTP_JSON_H_
#define LOYALTY_ENGINE_SERVER_HTTP_JSON_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace loyalty::server {

// Path parameters by field name, as a route's template named them.
using PathParams = std::vector<std::pair<std::string, std::string>>;

// What an HTTP request carries for one RPC's request message.
struct HttpRequestParts {
  // The JSON body (POST, PUT); empty reads as {}.
  absl::string_view body;
  // Query parameters, one per top-level scalar field (GET).
  const std::multimap<std::string, std::string>* query = nullptr;
  // Fields named by the path; they win over the body's.
  const PathParams* path = nullptr;
  // The Idempotency-Key header, if sent: the request_id of a request that
  // has one and sends none in its body.
  std::optional<std::string> idempotency_key;
};

// Fills *request from `parts`. INVALID_ARGUMENT with reason
// MALFORMED_REQUEST (naming the request type and what the parser said) for
// JSON that is not such a message, and IDEMPOTENCY_KEY_MISMATCH (field
// request_id) for an Idempotency-Key that differs from the body's
// request_id.
absl::Status ReadHttpRequest(const HttpRequestParts& parts,
                             google::protobuf::Message* request);

// `message` as JSON (lowerCamelCase names, every field printed).
absl::StatusOr<std::string> MessageJson(
    const google::protobuf::Message& message);

// {"code":"FAILED_PRECONDITION","message":"...","reason":"...","field":"..."}:
// the gRPC code's name, the status message, and the reason and field of
// the error details (engine/base/error.h; empty when the status has none),
// the same object `loyaltyctl --json` prints for a refusal.
std::string ErrorJson(const absl::Status& status);

// The HTTP status of a refusal with `code`: INVALID_ARGUMENT and
// OUT_OF_RANGE 400, UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND
// 404, ALREADY_EXISTS and ABORTED 409, FAILED_PRECONDITION 422 (the request
// is well formed and the caller may send it, but the program's state
// refuses it now: insufficient points, a suspended partner),
// RESOURCE_EXHAUSTED 429, CANCELLED 499, UNIMPLEMENTED 501, UNAVAILABLE
// 503, DEADLINE_EXCEEDED 504, the rest (INTERNAL, DATA_LOSS, UNKNOWN) 500.
int HttpStatusOf(absl::StatusCode code);

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_HTTP_JSON_H_
