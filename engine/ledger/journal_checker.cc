#include "engine/ledger/journal_checker.h"

#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/base/checked_math.h"
#include "engine/base/sha256.h"
#include "engine/ledger/accounts.h"

namespace loyalty::ledger {

std::string EntryHash(const loyalty::v1::JournalEntry& entry) {
  loyalty::v1::JournalEntry unhashed = entry;
  unhashed.clear_hash();
  return Sha256Pair(entry.previous_hash(), unhashed.SerializeAsString());
}

namespace {

// The problem with an EXPIRY_NOTICE entry, or "": a notice moves nothing
// and announces some points, by expiry time, soonest first.
std::string CheckNotice(const loyalty::v1::JournalEntry& entry) {
  if (entry.postings_size() != 0) return "an expiry notice must move nothing";
  if (entry.expiring().empty()) return "an expiry notice announces no points";
  std::pair<int64_t, int32_t> previous{INT64_MIN, 0};
  for (const auto& expiring : entry.expiring()) {
    if (expiring.points() <= 0 || !expiring.has_expire_time()) {
      return "an expiry notice's points must be positive, with a time";
    }
    const std::pair<int64_t, int32_t> time{expiring.expire_time().seconds(),
                                           expiring.expire_time().nanos()};
    if (time <= previous) return "an expiry notice's times must be in order";
    previous = time;
  }
  return "";
}

}  // namespace

int64_t JournalChecker::Balance(const std::string& account,
                                const std::string& asset) const {
  auto it = balances_.find({account, asset});
  return it == balances_.end() ? 0 : it->second;
}

bool JournalChecker::Add(const loyalty::v1::JournalEntry& entry) {
  if (!problem_.empty()) return false;
  const std::string where = absl::StrCat("entry ", entry.sequence(), ": ");
  if (entries_checked_ == 0) {
    first_sequence_ = entry.sequence();
    if (entry.sequence() == 1 &&
        entry.previous_hash() != std::string(kSha256Bytes, '\0')) {
      problem_ = where + "the first entry must have an all-zero previous_hash";
      return false;
    }
  } else if (entry.sequence() != last_sequence_ + 1) {
    problem_ = absl::StrCat(where, "expected sequence ", last_sequence_ + 1);
    return false;
  } else if (entry.previous_hash() != last_hash_) {
    problem_ = where + "previous_hash is not the hash of the entry before";
    return false;
  }
  if (EntryHash(entry) != entry.hash()) {
    problem_ = where + "hash does not match the entry's content";
    return false;
  }
  if (entry.kind() == loyalty::v1::ENTRY_KIND_EXPIRY_NOTICE) {
    const std::string notice = CheckNotice(entry);
    if (!notice.empty()) {
      problem_ = where + notice;
      return false;
    }
  }
  std::map<std::string, int64_t> sums;
  for (const auto& posting : entry.postings()) {
    int64_t& balance = balances_[{posting.account(), posting.asset()}];
    auto sum = CheckedAdd(balance, posting.amount());
    auto asset_sum = CheckedAdd(sums[posting.asset()], posting.amount());
    if (!sum || !asset_sum) {
      problem_ = absl::StrCat(where, posting.account(), " overflows");
      return false;
    }
    balance = *sum;
    sums[posting.asset()] = *asset_sum;
    if (balance < 0 && posting.amount() < 0 && !posting.allow_negative() &&
        from_genesis() && ParseMemberAccount(posting.account())) {
      problem_ = absl::StrCat(where, posting.account(), " goes negative");
      return false;
    }
  }
  for (const auto& [asset, sum] : sums) {
    if (sum != 0) {
      problem_ = absl::StrCat(where, asset, " postings sum to ", sum);
      return false;
    }
  }
  last_sequence_ = entry.sequence();
  last_hash_ = entry.hash();
  ++entries_checked_;
  return true;
}

}  // namespace loyalty::ledger
