// The few ways the program's decisions add postings to a journal entry (the
// chart of accounts is in engine/ledger/accounts.h), and the lots an
// appended entry took. Internal to engine/program.
#ifndef LOYALTY_ENGINE_PROGRAM_POSTINGS_H_
#define LOYALTY_ENGINE_PROGRAM_POSTINGS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/ledger/transaction.h"
#include "loyalty/v1/types.pb.h"

namespace loyalty::program {

// Adds one posting of `amount` of `asset` to `account` and returns it, for
// the lot fields a caller sets.
loyalty::v1::Posting* Post(loyalty::v1::JournalEntry* entry,
                           absl::string_view account, absl::string_view asset,
                           int64_t amount);

// Moves `amount` of `asset` from `from` to `to` (a debit, then a credit),
// if non-zero.
void Move(loyalty::v1::JournalEntry* entry, absl::string_view from,
          absl::string_view to, absl::string_view asset, int64_t amount);

// Takes `points` (> 0) of `member`'s available points below zero, back to
// the program's issued points: a clawback of points the member has spent.
void TakePointsBelowZero(loyalty::v1::JournalEntry* entry,
                         const std::string& member, int64_t points);

// The lots the transaction's entries took since consumed_lots() held
// `before` of them: the burn of the entries appended since then.
std::vector<ledger::ConsumedLot> ConsumedSince(
    const ledger::Transaction& transaction, size_t before);

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_POSTINGS_H_
