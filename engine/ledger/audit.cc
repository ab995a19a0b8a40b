// Ledger::Audit: the full replay that proves the stored state.
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "engine/base/checked_math.h"
#include "engine/base/sha256.h"
#include "engine/ledger/accounts.h"
#include "engine/ledger/keys.h"
#include "engine/ledger/ledger.h"
#include "engine/ledger/rocksdb_options.h"

namespace loyalty::ledger {
namespace {

using loyalty::v1::JournalEntry;
using loyalty::v1::MemberRecord;

struct Replay {
  std::map<AccountAsset, int64_t> balances;
  std::string problem;
};

// Checks one entry against the one before it and adds its postings.
void CheckEntry(const JournalEntry& entry, int64_t expected_sequence,
                const std::string& previous_hash, Replay* replay) {
  const std::string where = absl::StrCat("entry ", entry.sequence(), ": ");
  if (entry.sequence() != expected_sequence) {
    replay->problem = absl::StrCat(where, "expected sequence ", expected_sequence);
    return;
  }
  if (entry.previous_hash() != previous_hash) {
    replay->problem = where + "previous_hash does not match the entry before";
    return;
  }
  JournalEntry unhashed = entry;
  unhashed.clear_hash();
  if (Sha256Pair(entry.previous_hash(), unhashed.SerializeAsString()) !=
      entry.hash()) {
    replay->problem = where + "hash does not match its content";
    return;
  }
  std::map<std::string, int64_t> sums;
  for (const auto& posting : entry.postings()) {
    auto& balance = replay->balances[{posting.account(), posting.asset()}];
    auto sum = CheckedAdd(balance, posting.amount());
    auto asset_sum = CheckedAdd(sums[posting.asset()], posting.amount());
    if (!sum || !asset_sum) {
      replay->problem = where + "a balance overflows";
      return;
    }
    balance = *sum;
    sums[posting.asset()] = *asset_sum;
    if (balance < 0 && ParseMemberAccount(posting.account())) {
      replay->problem = absl::StrCat(where, posting.account(), " goes negative");
      return;
    }
  }
  for (const auto& [asset, sum] : sums) {
    if (sum != 0) {
      replay->problem = absl::StrCat(where, asset, " postings sum to ", sum);
      return;
    }
  }
}

int64_t Replayed(const Replay& replay, const std::string& account,
                 absl::string_view asset) {
  auto it = replay.balances.find({account, std::string(asset)});
  return it == replay.balances.end() ? 0 : it->second;
}

// The problem with one member's stored record, or "".
std::string CheckMember(const MemberRecord& record, const Replay& replay) {
  const std::string& id = record.profile().member_id();
  const std::string where = absl::StrCat("member ", id, ": ");
  if (record.points_available() !=
      Replayed(replay, MemberPointsAvailable(id), kPointsAsset)) {
    return where + "points_available differs from the journal";
  }
  if (record.points_pending() !=
      Replayed(replay, MemberPointsPending(id), kPointsAsset)) {
    return where + "points_pending differs from the journal";
  }
  int64_t in_lots = 0;
  for (const auto& lot : record.lots()) {
    if (lot.remaining() <= 0) return where + "a lot is empty or negative";
    in_lots += lot.remaining();
  }
  if (in_lots != record.points_available()) {
    return where + "lots do not add up to points_available";
  }
  for (const auto& wallet : record.cashback()) {
    if (wallet.amount_minor() !=
        Replayed(replay, MemberCashback(id, wallet.currency()),
                 wallet.currency())) {
      return absl::StrCat(where, "cashback in ", wallet.currency(),
                          " differs from the journal");
    }
  }
  return "";
}

}  // namespace

absl::StatusOr<AuditReport> Ledger::Audit() const {
  AuditReport report;
  rocksdb::ReadOptions read = VerifiedReadOptions();
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  read.snapshot = snapshot;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read));
  Replay replay;
  std::string previous_hash(kSha256Bytes, '\0');
  for (it->Seek(keys::kEntryPrefix);
       it->Valid() && it->key().starts_with(keys::kEntryPrefix) &&
       replay.problem.empty();
       it->Next()) {
    JournalEntry entry;
    if (!entry.ParseFromArray(it->value().data(),
                              static_cast<int>(it->value().size()))) {
      replay.problem = absl::StrCat("entry after ", report.entries_checked,
                                    " does not parse");
      break;
    }
    CheckEntry(entry, report.entries_checked + 1, previous_hash, &replay);
    previous_hash = entry.hash();
    ++report.entries_checked;
  }
  std::map<AccountAsset, bool> member_accounts_seen;
  for (it->Seek(keys::kMemberPrefix);
       replay.problem.empty() && it->Valid() &&
       it->key().starts_with(keys::kMemberPrefix);
       it->Next()) {
    MemberRecord record;
    if (!record.ParseFromArray(it->value().data(),
                               static_cast<int>(it->value().size()))) {
      replay.problem = "a member record does not parse";
      break;
    }
    replay.problem = CheckMember(record, replay);
    ++report.members_checked;
  }
  for (it->Seek(keys::kAccountPrefix);
       replay.problem.empty() && it->Valid() &&
       it->key().starts_with(keys::kAccountPrefix);
       it->Next()) {
    loyalty::v1::AccountBalance stored;
    stored.ParseFromArray(it->value().data(),
                          static_cast<int>(it->value().size()));
    if (stored.amount() !=
        Replayed(replay, stored.account(), stored.asset())) {
      replay.problem = absl::StrCat("account ", stored.account(), " (",
                                    stored.asset(), ") differs from the journal");
    }
  }
  if (replay.problem.empty() && it->status().ok()) {
    // Every replayed program account must be stored, and every member
    // account must belong to a stored member.
    for (const auto& [key, amount] : replay.balances) {
      if (amount == 0) continue;
      std::string value;
      std::string lookup = ParseMemberAccount(key.first)
                               ? keys::Member(ParseMemberAccount(key.first)->member_id)
                               : keys::Account(key.first, key.second);
      if (!db_->Get(read, lookup, &value).ok()) {
        replay.problem = absl::StrCat("account ", key.first,
                                      " has postings but no stored balance");
        break;
      }
    }
  }
  rocksdb::Status scan = it->status();
  it.reset();
  db_->ReleaseSnapshot(snapshot);
  if (!scan.ok()) return absl::UnavailableError(scan.ToString());
  report.problem = replay.problem;
  return report;
}

}  // namespace loyalty::ledger
