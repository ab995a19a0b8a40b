#include "engine/program/event_pages.h"

#include <algorithm>
#include <utility>

namespace loyalty::program {
namespace {

bool Wanted(const EventQuery& query, const loyalty::v1::Event& event) {
  if (!query.kinds.empty() && query.kinds.count(event.kind()) == 0) {
    return false;
  }
  return query.member_id.empty() || event.member_id() == query.member_id;
}

}  // namespace

absl::StatusOr<EventPage> ReadEventPage(const ledger::Ledger& ledger,
                                        const EventQuery& query,
                                        int64_t after_sequence,
                                        int64_t through_sequence) {
  ledger::EntryFilter filter;
  filter.member_id = query.member_id;
  filter.partner_id = query.partner_id;
  filter.after_sequence = after_sequence;
  std::unique_ptr<ledger::EntryReader> reader =
      ledger.NewEntryReader(std::move(filter));
  absl::StatusOr<std::vector<loyalty::v1::JournalEntry>> entries =
      reader->Next(kEventPageEntries);
  if (!entries.ok()) return entries.status();
  EventPage page;
  // A full page ends at its last entry; a shorter one read all there was.
  page.scanned_sequence = static_cast<int>(entries->size()) == kEventPageEntries
                              ? entries->back().sequence()
                              : reader->snapshot_sequence();
  page.scanned_sequence = std::max(
      after_sequence, std::min(page.scanned_sequence, through_sequence));
  for (const loyalty::v1::JournalEntry& entry : *entries) {
    if (entry.sequence() > through_sequence) break;
    for (loyalty::v1::Event& event : EventsOfEntry(entry, query.ladder)) {
      if (Wanted(query, event)) page.events.push_back(std::move(event));
    }
  }
  return page;
}

TierLadder LadderOf(const evaluator::CompiledRules& rules) {
  TierLadder ladder;
  for (const auto& level : rules.rule_set().tiers().levels()) {
    ladder.push_back(level.id());
  }
  return ladder;
}

}  // namespace loyalty::program
