#include "event_stream.h"

#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client.h"
#include "event_format.h"
#include "loyalty/v1/events.grpc.pb.h"

namespace loyaltyctl {
namespace {

// The backlog of a long ledger takes minutes; a following stream, for ever.
constexpr double kBacklogSeconds = 3600.0;
constexpr double kFollowSeconds = 10.0 * 365 * 24 * 3600;

}  // namespace

absl::StatusOr<loyalty::v1::WatchEventsRequest> WatchRequestFrom(
    const ParsedFlags& flags) {
  loyalty::v1::WatchEventsRequest request;
  if (flags.Has("after")) {
    int64_t after = 0;
    if (!absl::SimpleAtoi(flags.Get("after"), &after) || after < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--after must be a sequence (0 or more), got '",
                       flags.Get("after"), "'"));
    }
    request.set_after_sequence(after);
  }
  for (const std::string& text : flags.GetAll("kind")) {
    absl::StatusOr<loyalty::v1::EventKind> kind = ParseEventKind(text);
    if (!kind.ok()) return kind.status();
    request.add_kinds(*kind);
  }
  request.set_member_id(flags.Get("member"));
  request.set_partner_id(flags.Get("partner"));
  request.set_follow(flags.Has("follow"));
  return request;
}

StreamOutcome WatchEach(
    const GlobalOptions& global, const loyalty::v1::WatchEventsRequest& request,
    const std::function<absl::Status(const loyalty::v1::WatchEventsResponse&)>&
        each) {
  grpc::ClientContext context;
  PrepareLongCall(global, request.follow() ? kFollowSeconds : kBacklogSeconds,
                  &context);
  const auto stub = loyalty::v1::Events::NewStub(MakeChannel(global));
  const std::unique_ptr<grpc::ClientReader<loyalty::v1::WatchEventsResponse>>
      reader = stub->WatchEvents(&context, request);
  StreamOutcome outcome;
  loyalty::v1::WatchEventsResponse message;
  while (outcome.local.ok() && reader->Read(&message)) {
    outcome.local = each(message);
  }
  if (!outcome.local.ok()) context.TryCancel();
  outcome.call = reader->Finish();
  return outcome;
}

}  // namespace loyaltyctl
