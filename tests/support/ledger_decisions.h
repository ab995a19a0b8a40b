// Ledger operations that tests of the ledger itself submit directly.
#ifndef LOYALTY_TESTS_SUPPORT_LEDGER_DECISIONS_H_
#define LOYALTY_TESTS_SUPPORT_LEDGER_DECISIONS_H_

#include <string>

#include "absl/strings/str_cat.h"
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

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SUPPORT_LEDGER_DECISIONS_H_
