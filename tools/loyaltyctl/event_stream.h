// Reading Events.WatchEvents for `events tail` and `events forward`: the
// request their flags ask for, and one stream read message by message.
#ifndef LOYALTY_TOOLS_LOYALTYCTL_EVENT_STREAM_H_
#define LOYALTY_TOOLS_LOYALTYCTL_EVENT_STREAM_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "args.h"
#include "grpcpp/grpcpp.h"
#include "loyalty/v1/events.pb.h"

namespace loyaltyctl {

// --after, --kind (repeatable), --member, --partner and --follow.
absl::StatusOr<loyalty::v1::WatchEventsRequest> WatchRequestFrom(
    const ParsedFlags& flags);

struct StreamOutcome {
  absl::Status local;  // from `each`; wins over `call` when both failed
  grpc::Status call;
};

// Calls `each` with every message of one WatchEvents call, until the stream
// ends, the call fails, or `each` fails (which cancels the call). A
// following stream has no deadline unless --timeout was given.
StreamOutcome WatchEach(
    const GlobalOptions& global, const loyalty::v1::WatchEventsRequest& request,
    const std::function<absl::Status(const loyalty::v1::WatchEventsResponse&)>&
        each);

}  // namespace loyaltyctl

#endif  // LOYALTY_TOOLS_LOYALTYCTL_EVENT_STREAM_H_
