// JournalChecker: the checks an auditor runs over a run of journal entries,
// in sequence order, with nothing but the entries themselves: the ledger's
// Audit() uses it over the database, `loyaltyctl verify` over an export file.
//
// For every entry it checks that the sequence follows the one before, that
// previous_hash is the hash of the entry before, that hash matches the
// entry's content, and that postings sum to zero per asset. It replays the
// postings into balances; when the run starts at sequence 1 it also checks
// that no member account ever goes negative. An EXPIRY_NOTICE entry must
// move nothing and announce positive points in order of expiry time.
//
// Not thread-safe.
#ifndef LOYALTY_ENGINE_LEDGER_JOURNAL_CHECKER_H_
#define LOYALTY_ENGINE_LEDGER_JOURNAL_CHECKER_H_

#include <cstdint>
#include <map>
#include <string>

#include "engine/ledger/transaction.h"
#include "loyalty/v1/types.pb.h"

namespace loyalty::ledger {

// The hash an entry must carry: SHA-256 over its previous_hash followed by
// the entry serialized with `hash` cleared.
std::string EntryHash(const loyalty::v1::JournalEntry& entry);

class JournalChecker {
 public:
  // Checks the next entry; false (and problem() says why, naming the entry)
  // at the first bad one. Once false, every later call is false too.
  bool Add(const loyalty::v1::JournalEntry& entry);

  const std::string& problem() const { return problem_; }
  int64_t entries_checked() const { return entries_checked_; }
  // True when the run started at the ledger's first entry (a whole ledger).
  bool from_genesis() const { return first_sequence_ == 1; }
  // The replayed balance of every account and asset seen.
  const std::map<AccountAsset, int64_t>& balances() const { return balances_; }
  int64_t Balance(const std::string& account, const std::string& asset) const;

 private:
  std::string problem_;
  int64_t entries_checked_ = 0;
  int64_t first_sequence_ = 0;
  int64_t last_sequence_ = 0;
  std::string last_hash_;
  std::map<AccountAsset, int64_t> balances_;
};

}  // namespace loyalty::ledger

#endif  // LOYALTY_ENGINE_LEDGER_JOURNAL_CHECKER_H_
