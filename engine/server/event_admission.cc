#include "engine/server/event_admission.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/base/error.h"

namespace loyalty::server {
namespace {

absl::Status CheckRequest(const v1::WatchEventsRequest& request) {
  if (request.after_sequence() < 0) {
    return InvalidArgument("INVALID_RANGE", "after_sequence",
                           "must be 0 (from the first entry) or more");
  }
  for (int i = 0; i < request.kinds_size(); ++i) {
    const int kind = request.kinds(i);
    if (kind == v1::EVENT_KIND_UNSPECIFIED || !v1::EventKind_IsValid(kind)) {
      return InvalidArgument("INVALID_KIND", absl::StrCat("kinds[", i, "]"),
                             absl::StrCat("not an event kind: ", kind));
    }
  }
  return absl::OkStatus();
}

program::EventQuery QueryOf(const v1::WatchEventsRequest& request,
                            std::string partner_id,
                            const program::Operations& operations) {
  program::EventQuery query;
  for (int kind : request.kinds()) {
    query.kinds.insert(static_cast<v1::EventKind>(kind));
  }
  query.member_id = request.member_id();
  query.partner_id = std::move(partner_id);
  query.ladder = program::LadderOf(*operations.rules());
  return query;
}

absl::Status Busy() {
  return MakeError(absl::StatusCode::kUnavailable, "EVENT_STREAMS_BUSY", "",
                   absl::StrCat("at most ", kMaxEventStreams,
                                " event streams at once; retry later"));
}

}  // namespace

absl::StatusOr<AdmittedEvents> AdmitEvents(
    const EventsParts& parts, const CallOrigin& origin,
    const absl::StatusOr<v1::WatchEventsRequest>& request) {
  Admission call = parts.path->Admit(origin, request);
  if (call.refusal.ok()) call.refusal = CheckRequest(*request);
  if (call.refusal.ok() && !parts.hub->Join()) call.refusal = Busy();
  if (!call.refusal.ok()) {
    call.log.Failure(call.refusal);
    return call.refusal;
  }
  StreamPlace place(parts.hub);
  absl::StatusOr<ReaderPool::Slot> slot = parts.readers->Take();
  if (!slot.ok()) {
    call.log.Failure(slot.status());
    return slot.status();
  }
  // Who watches what; a member filter is said, not named.
  call.log.Event(LogLevel::kInfo, "events_started",
                 {{"after_sequence", request->after_sequence()},
                  {"partner_id", call.partner_id},
                  {"one_member", request->member_id().empty() ? 0 : 1},
                  {"follow", request->follow() ? 1 : 0}});
  AdmittedEvents admitted{
      std::move(call.log),
      QueryOf(*request, std::move(call.partner_id), *parts.operations),
      request->after_sequence(),
      request->follow(),
      parts.hub->durable(),
      std::move(place),
      *std::move(slot)};
  return admitted;
}

}  // namespace loyalty::server
