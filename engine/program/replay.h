// A replay of recorded operations on a scratch ledger in memory: the
// simulation's engine (simulation.h). Each recorded operation (the entries
// one request appended, consecutive in the journal) is decided again by the
// program's own decisions (decisions.h), with the rule set a caller picks,
// at the operation's record time, on a ledger::BatchState that has no
// WriteBatch: nothing is ever written. The baskets, refund lines and member
// profiles come from the snapshot of the EntryReader the journal is read
// from, so everything the replay reads is one snapshot.
//
// Under the rule set that priced the history, every operation appends the
// entries it appended then (same postings): replay equals history.
//
// Not thread-safe; one replay per simulation.
#ifndef LOYALTY_ENGINE_PROGRAM_REPLAY_H_
#define LOYALTY_ENGINE_PROGRAM_REPLAY_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "engine/ledger/ledger.h"
#include "engine/program/rule_book.h"
#include "loyalty/v1/storage.pb.h"

namespace loyalty::program {

// What one replayed operation did.
struct Replayed {
  absl::Status status;  // OK, or the refusal the rules gave this time
  std::vector<loyalty::v1::JournalEntry> entries;  // appended when OK
  // For a sale: the priced purchase, as recorded and as replayed (when OK).
  bool sale = false;
  loyalty::v1::PricedPurchase recorded_priced;
  loyalty::v1::PricedPurchase priced;
};

class Replay {
 public:
  // `snapshot` is not owned and must outlive the replay.
  explicit Replay(const ledger::EntryReader* snapshot);
  Replay(const Replay&) = delete;
  Replay& operator=(const Replay&) = delete;
  ~Replay();

  // With a sample, an operation may credit a member outside it (a
  // referrer): allowed, the replay makes that member up as a guest from the
  // snapshot's profile, with nothing held.
  void AllowGuests(bool allowed);

  // Decides `operation` (its recorded entries, the last one the main one)
  // again with `book`, at the record time of its last entry. `members`
  // narrows a maintenance run to the members it names (a sample).
  absl::StatusOr<Replayed> Run(
      const std::vector<loyalty::v1::JournalEntry>& operation,
      const RuleBook& book,
      const absl::flat_hash_set<std::string>* members = nullptr);

  // The members as replayed so far, by id.
  const absl::flat_hash_map<std::string, loyalty::v1::MemberRecord>& members()
      const {
    return batch_.members;
  }
  // Members the replay made up because an operation of a sampled member
  // credits them (a referrer outside the sample).
  const absl::flat_hash_set<std::string>& guests() const { return guests_; }
  // Counter `key` value 0 as replayed so far (budget/<rule id>, ...).
  int64_t Counter(const std::string& key) const;

 private:
  class Beneath;
  // The decision of `main`'s kind, as the writer would run it.
  absl::StatusOr<std::string> Decide(
      const loyalty::v1::JournalEntry& main,
      const std::vector<loyalty::v1::JournalEntry>& operation,
      const RuleBook& book, const absl::flat_hash_set<std::string>* members,
      ledger::Transaction& transaction, Replayed* replayed);
  absl::StatusOr<std::string> Enroll(const loyalty::v1::JournalEntry& main,
                                     const evaluator::CompiledRules& rules,
                                     ledger::Transaction& transaction);
  absl::StatusOr<loyalty::v1::OrderRecord> RecordedOrder(
      const loyalty::v1::JournalEntry& entry) const;

  const ledger::EntryReader* const snapshot_;
  std::unique_ptr<Beneath> beneath_;
  std::map<ledger::AccountAsset, int64_t> program_balances_;
  absl::flat_hash_map<std::string, std::vector<int64_t>> counters_;
  std::vector<loyalty::v1::JournalEntry> appended_;
  absl::flat_hash_set<std::string> guests_;
  bool allow_guests_ = false;
  // The order record key of the sale being replayed when the snapshot holds
  // no refund of it: dropped once the sale is replayed.
  std::string unrefunded_order_;
  ledger::BatchState batch_;
};

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_REPLAY_H_
