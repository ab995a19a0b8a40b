// How loyaltyctl shows and sends the events of Events.WatchEvents: one line
// of text for a person, one line of JSON for a program (`events tail
// --json`, and the body `events forward` posts), and the names of kinds on
// the command line.
#ifndef LOYALTY_TOOLS_LOYALTYCTL_EVENT_FORMAT_H_
#define LOYALTY_TOOLS_LOYALTYCTL_EVENT_FORMAT_H_

#include <string>

#include "absl/status/statusor.h"
#include "loyalty/v1/events.pb.h"

namespace loyaltyctl {

// "purchase_committed" from EVENT_KIND_PURCHASE_COMMITTED.
std::string EventKindName(loyalty::v1::EventKind kind);
// The kind a --kind value names: "purchase_committed", any case, with or
// without the EVENT_KIND_ prefix. INVALID_ARGUMENT listing the kinds for
// anything else.
absl::StatusOr<loyalty::v1::EventKind> ParseEventKind(const std::string& text);

// "42.1", the event's id: its entry's sequence and its index there.
std::string EventId(const loyalty::v1::Event& event);
// One line (no newline) for a person:
// "42.0  2026-01-01T10:00:00Z  purchase_committed  ann  +150 pts  order a1 ..."
std::string EventLine(const loyalty::v1::Event& event);
// The event as one line of compact JSON (protobuf's JSON mapping: field
// names in lowerCamelCase, int64 values as strings, defaults left out).
absl::StatusOr<std::string> EventJson(const loyalty::v1::Event& event);

}  // namespace loyaltyctl

#endif  // LOYALTY_TOOLS_LOYALTYCTL_EVENT_FORMAT_H_
