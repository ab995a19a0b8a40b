// Pages of events (entry_events.h) read from the journal: what an event
// stream (Events.WatchEvents) sends, one page at a time. Each page is read
// from one snapshot; the journal is append-only, so pages read one after
// another give every matching event exactly once, in order.
#ifndef LOYALTY_ENGINE_PROGRAM_EVENT_PAGES_H_
#define LOYALTY_ENGINE_PROGRAM_EVENT_PAGES_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/evaluator/evaluator.h"
#include "engine/ledger/ledger.h"
#include "engine/program/entry_events.h"
#include "loyalty/v1/events.pb.h"

namespace loyalty::program {

// Journal entries read per page: a page holds at most this many entries'
// events (a few per entry), the most a stream holds for its consumer.
inline constexpr int kEventPageEntries = 256;

// Which events a stream wants.
struct EventQuery {
  std::set<loyalty::v1::EventKind> kinds;  // empty: every kind
  std::string member_id;   // only events of this member, when set
  std::string partner_id;  // only entries made at this partner, when set
  TierLadder ladder;       // which way tier changes go
};

struct EventPage {
  std::vector<loyalty::v1::Event> events;  // in (sequence, index) order
  // Every entry up to here was read (> after_sequence when any was).
  int64_t scanned_sequence = 0;
};

// The events of the entries after `after_sequence` and up to
// `through_sequence`, at most kEventPageEntries entries of them.
absl::StatusOr<EventPage> ReadEventPage(const ledger::Ledger& ledger,
                                        const EventQuery& query,
                                        int64_t after_sequence,
                                        int64_t through_sequence);

// The rule set's tier ids, lowest first.
TierLadder LadderOf(const evaluator::CompiledRules& rules);

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_EVENT_PAGES_H_
