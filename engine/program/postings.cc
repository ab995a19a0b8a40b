#include "engine/program/postings.h"

#include "engine/ledger/accounts.h"

namespace loyalty::program {

loyalty::v1::Posting* Post(loyalty::v1::JournalEntry* entry,
                           absl::string_view account, absl::string_view asset,
                           int64_t amount) {
  loyalty::v1::Posting* posting = entry->add_postings();
  posting->set_account(std::string(account));
  posting->set_asset(std::string(asset));
  posting->set_amount(amount);
  return posting;
}

void Move(loyalty::v1::JournalEntry* entry, absl::string_view from,
          absl::string_view to, absl::string_view asset, int64_t amount) {
  if (amount == 0) return;
  Post(entry, from, asset, -amount);
  Post(entry, to, asset, amount);
}

void TakePointsBelowZero(loyalty::v1::JournalEntry* entry,
                         const std::string& member, int64_t points) {
  Post(entry, ledger::MemberPointsAvailable(member), ledger::kPointsAsset,
       -points)
      ->set_allow_negative(true);
  Post(entry, ledger::kProgramPointsIssued, ledger::kPointsAsset, points);
}

std::vector<ledger::ConsumedLot> ConsumedSince(
    const ledger::Transaction& transaction, size_t before) {
  return std::vector<ledger::ConsumedLot>(
      transaction.consumed_lots().begin() + before,
      transaction.consumed_lots().end());
}

}  // namespace loyalty::program
