// Ledger operations that tests of the ledger itself submit directly.
#ifndef LOYALTY_TESTS_SUPPORT_LEDGER_DECISIONS_H_
#define LOYALTY_TESTS_SUPPORT_LEDGER_DECISIONS_H_

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "engine/ledger/ledger.h"

namespace loyalty::testing {

// Adds member `id` with an enrollment entry; the response is its sequence.
inline ledger::Decide EnrollDecision(const std::string& id) {
  return [id](ledger::Transaction& t) -> absl::StatusOr<std::string> {
    loyalty::v1::MemberRecord record;
    record.mutable_profile()->set_member_id(id);
    if (auto status = t.AddMember(record); !status.ok()) return status;
    loyalty::v1::JournalEntry entry;
    entry.set_kind(loyalty::v1::ENTRY_KIND_ENROLL);
    entry.set_member_id(id);
    auto sequence = t.Append(entry);
    if (!sequence.ok()) return sequence.status();
    return absl::StrCat(*sequence);
  };
}

// Submits `decide` under `request_id` (also its fingerprint) and waits for
// the outcome.
inline ledger::Outcome RunAndWait(ledger::Ledger& ledger,
                                  const std::string& request_id,
                                  ledger::Decide decide) {
  absl::Notification finished;
  ledger::Outcome result;
  ledger.Submit(ledger::Operation{request_id, request_id, std::move(decide)},
                [&](ledger::Outcome outcome) {
                  result = std::move(outcome);
                  finished.Notify();
                });
  finished.WaitForNotification();
  return result;
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SUPPORT_LEDGER_DECISIONS_H_
