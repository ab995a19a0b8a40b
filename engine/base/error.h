// Errors that reach a client: a status code, a stable UPPER_SNAKE reason, the
// request field concerned and a readable message. The reason and field travel
// as an ErrorDetail payload on absl::Status; the server turns them into the
// grpc-status-details-bin trailer.
#ifndef LOYALTY_ENGINE_BASE_ERROR_H_
#define LOYALTY_ENGINE_BASE_ERROR_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace loyalty::v1 {
class RpcStatus;  // loyalty/v1/types.pb.h
}  // namespace loyalty::v1

namespace loyalty {

// Type URL under which the ErrorDetail payload is attached.
inline constexpr absl::string_view kErrorDetailTypeUrl =
    "type.googleapis.com/loyalty.v1.ErrorDetail";

// Builds a status whose message reads "REASON: field: text".
absl::Status MakeError(absl::StatusCode code, absl::string_view reason,
                       absl::string_view field, absl::string_view text);

// Shorthands for the codes used most.
absl::Status InvalidArgument(absl::string_view reason, absl::string_view field,
                             absl::string_view text);
absl::Status FailedPrecondition(absl::string_view reason,
                                absl::string_view field, absl::string_view text);
absl::Status NotFound(absl::string_view reason, absl::string_view field,
                      absl::string_view text);

// A caller's value as an error message quotes it: in single quotes, at most
// kMaxQuotedBytes bytes of it (cut at a UTF-8 character boundary, then
// "…"), control characters shown as '?'. Every message that quotes what a
// caller sent uses it, so no refusal grows with the request (a gRPC status
// travels in headers of a few KiB).
inline constexpr size_t kMaxQuotedBytes = 32;
std::string Quoted(absl::string_view value);

// `status` as the RpcStatus message of the grpc-status-details-bin trailer:
// its code, its message and, for a status made by MakeError, one
// ErrorDetail. Also what a batch answers for each refused item.
loyalty::v1::RpcStatus RpcStatusOf(const absl::Status& status);
// The status an RpcStatus made by RpcStatusOf carries, reason and field too.
absl::Status StatusOf(const loyalty::v1::RpcStatus& proto);

// Rebuilds a status made by MakeError from its stored parts (the idempotency
// record keeps them so that a retry gets the same refusal).
absl::Status RestoreError(absl::StatusCode code, absl::string_view message,
                          absl::string_view reason, absl::string_view field);

// The reason and field of a status made by MakeError; empty otherwise.
std::string ErrorReason(const absl::Status& status);
std::string ErrorField(const absl::Status& status);

}  // namespace loyalty

#endif  // LOYALTY_ENGINE_BASE_ERROR_H_
