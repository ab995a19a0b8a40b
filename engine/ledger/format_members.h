// The format step of members' personal data (format.h): from
// "loyalty-ledger-1", where member records held the whole profile in the
// clear, to the shapes of engine/program/member_data.h.
#ifndef LOYALTY_ENGINE_LEDGER_FORMAT_MEMBERS_H_
#define LOYALTY_ENGINE_LEDGER_FORMAT_MEMBERS_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/db.h"

namespace loyalty::ledger {

// Seals every member's personal fields under a new key of its own
// (engine/base/profile_seal.h), writes the search index
// (engine/base/member_index.h), keeps the birthday's month and day in the
// record and strips the record's profile; then strips the personal fields
// from every stored answer of an enrollment (the idempotency records named
// by the ENROLL entries). No journal entry changes. Safe to run again: a
// record already stripped is left as it is, an existing key is kept.
absl::Status SealMemberProfiles(
    rocksdb::DB& db, const std::function<void(absl::string_view)>& progress);

}  // namespace loyalty::ledger

#endif  // LOYALTY_ENGINE_LEDGER_FORMAT_MEMBERS_H_
