// A Transaction is the view one operation gets of the ledger while the writer
// thread decides it. Everything it changes is staged: when the operation's
// decision fails, the staging is dropped and nothing of it is written; when
// it succeeds, the staging joins the batch that the writer syncs as one
// RocksDB WriteBatch.
//
// Not thread-safe: it lives only on the writer thread, for one operation.
#ifndef LOYALTY_ENGINE_LEDGER_TRANSACTION_H_
#define LOYALTY_ENGINE_LEDGER_TRANSACTION_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "loyalty/v1/storage.pb.h"
#include "loyalty/v1/types.pb.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace loyalty::ledger {

using AccountAsset = std::pair<std::string, std::string>;

// What a batch reads beneath its own staging: what earlier batches staged
// (made durable or still being written), then RocksDB. The ledger implements
// it on the writer thread so that a batch can be decided while the one before
// it is still being synced.
class EarlierState {
 public:
  virtual ~EarlierState() = default;
  // The member's latest record, for the transaction to stage (it may be
  // moved out of a cache, so a transaction must not ask twice);
  // NOT_FOUND when there is none.
  virtual absl::StatusOr<loyalty::v1::MemberRecord> TakeMember(
      absl::string_view member_id) = 0;
  // The latest value of a program-layer record (see Transaction::PutAux).
  virtual absl::StatusOr<std::optional<std::string>> FindAux(
      absl::string_view key) = 0;
};

// What the writer has staged for the batch it is building, shared by the
// operations of that batch in order.
struct BatchState {
  rocksdb::DB* db = nullptr;
  rocksdb::WriteBatch* write_batch = nullptr;
  // Reads below this batch; nullptr: straight from `db`.
  EarlierState* earlier = nullptr;
  // Member records changed in this batch (written once, at the end).
  absl::flat_hash_map<std::string, loyalty::v1::MemberRecord> members;
  // Program-layer records written in this batch; nullopt: deleted.
  absl::flat_hash_map<std::string, std::optional<std::string>> aux;
  // Idempotency records written in this batch.
  absl::flat_hash_map<std::string, loyalty::v1::IdempotencyRecord> requests;
  // Every program-level account balance (the ledger keeps all in memory).
  std::map<AccountAsset, int64_t>* program_balances = nullptr;
  std::vector<AccountAsset> dirty_program_accounts;
  // Counters (see Transaction::AddCounter): the ledger's cache of every
  // counter touched since it opened, and those changed in this batch.
  absl::flat_hash_map<std::string, std::vector<int64_t>>* counters = nullptr;
  std::vector<std::string> dirty_counters;
  loyalty::v1::ChainHead head;
  // A scratch batch (a simulation's replay) has no write_batch and is never
  // written: CommitTo stages nothing for RocksDB and, when `appended` is
  // set, hands it the entries instead.
  std::vector<loyalty::v1::JournalEntry>* appended = nullptr;
};

// Points taken from one lot by a debit of a member's available points.
struct ConsumedLot {
  google::protobuf::Timestamp earn_time;
  google::protobuf::Timestamp expire_time;  // unset: never expires
  int64_t amount = 0;
  std::string partner_id;  // the lot's funder; empty: the program
};

// What a debit of `amount` available points would take from `record`'s lots
// (first from the lots of entry `preferred`, 0: none; then oldest first),
// as (funding partner, points) in the order taken, one pair per run of lots
// of the same funder. Lots hold at most max(points_available, 0): the plan
// may take less than `amount`.
// With `pending`, the same over the pending points and lots.
std::vector<std::pair<std::string, int64_t>> PlanBurn(
    const loyalty::v1::MemberRecord& record, int64_t amount, int64_t preferred,
    bool pending = false);

// `record` after the postings of `entry` to its own accounts, applied as
// Append applies them (lots made by the entry get sequence 0). Lets a
// decision plan a debit that follows other postings of the same entry.
absl::StatusOr<loyalty::v1::MemberRecord> ApplyMemberPostings(
    loyalty::v1::MemberRecord record, const loyalty::v1::JournalEntry& entry);

class Transaction {
 public:
  Transaction(BatchState* batch, absl::Time now, std::string request_id)
      : batch_(batch), now_(now), request_id_(std::move(request_id)) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  // Puts back the records a scratch batch lent, unless committed.
  ~Transaction();

  // The writer's clock reading for this operation.
  absl::Time now() const { return now_; }
  // Members in the ledger, counting those this operation added.
  int64_t member_count() const;
  // True once any entry has moved points or money: some posting, of an
  // earlier operation or of this one, touched a program or partner account
  // (every movement has one side there; see accounts.h). Such an account
  // keeps its row even when its balance is back at zero.
  bool points_or_money_moved() const;

  // The member's record as this operation sees it; NOT_FOUND (UNKNOWN_MEMBER)
  // when there is none. The pointer stays valid, and keeps showing the
  // member's staged record, for the whole decision (until CommitTo): staging
  // more members does not move it, and a refused Append restores the record
  // in place.
  absl::StatusOr<const loyalty::v1::MemberRecord*> Member(
      absl::string_view member_id);
  // The same record for changes other than balances (profile, counters),
  // valid as long. Balances change only through Append.
  absl::StatusOr<loyalty::v1::MemberRecord*> MutableMember(
      absl::string_view member_id);
  // Adds a new member; ALREADY_EXISTS (MEMBER_EXISTS) when the id is taken.
  absl::Status AddMember(loyalty::v1::MemberRecord record);

  // Records owned by the program layer (order index, later referral codes).
  absl::StatusOr<std::optional<std::string>> GetAux(absl::string_view key);
  void PutAux(absl::string_view key, std::string value);
  // Deletes a program-layer record (nothing when there is none), in the
  // same write as the rest of the operation.
  void DeleteAux(absl::string_view key);

  // Appends `entry`: checks that its postings sum to zero per asset, applies
  // them to member and program balances (points credited to a member become a
  // lot; points debited are taken from the oldest lots first), and fills
  // sequence, request_id, record_time and the hash chain (not on a scratch
  // batch, which is never written). Returns the
  // sequence. A refused Append changes nothing: it puts back what it had
  // changed (costing the members and accounts it touched, not all staged).
  // FAILED_PRECONDITION (INSUFFICIENT_POINTS / INSUFFICIENT_CASHBACK) when a
  // member account would go negative, INVALID_ARGUMENT (AMOUNT_OVERFLOW) when
  // a balance would overflow, INTERNAL when the postings do not balance.
  absl::StatusOr<int64_t> Append(loyalty::v1::JournalEntry entry);

  // Adds `delta` to value `index` of the counter `key`, in the same write as
  // the operation's entry. Counters are how metrics cost O(groups x periods)
  // instead of a ledger scan; the ledger gives the values no meaning.
  // A counter is a sum like a balance: when its total would not fit in
  // int64, the whole operation is refused (Refuse, INVALID_ARGUMENT
  // AMOUNT_OVERFLOW) and nothing of it is written.
  void AddCounter(absl::string_view key, int index, int64_t delta);

  // Refuses the operation whatever its decision returns: the writer drops
  // everything it staged and answers `status` (the first one given) in place
  // of a success. For checks made where no status can be returned, such as
  // the counters kept beside an entry.
  void Refuse(absl::Status status);
  // The first Refuse status; OK when the operation was not refused.
  const absl::Status& refusal() const { return refusal_; }

  // Value `index` of counter `key` as this operation sees it: what the
  // ledger holds, plus this batch's and this operation's additions.
  int64_t Counter(absl::string_view key, int index) const;

  // The lots that this operation's debits of available points took from,
  // oldest first (for cohort metrics: points burned by month of issue).
  const std::vector<ConsumedLot>& consumed_lots() const {
    return consumed_lots_;
  }

  // Moves the staged changes into the batch. Called by the writer only.
  void CommitTo(BatchState* batch);

 private:
  absl::StatusOr<loyalty::v1::MemberRecord*> StagedMember(
      absl::string_view member_id);
  // Value `index` of counter `key` in the ledger and this batch so far.
  int64_t StoredCounter(absl::string_view key, int index) const;
  // What one Append changed, as it was before the Append first touched it.
  struct AppendUndo;
  absl::Status ApplyPosting(const loyalty::v1::Posting& posting,
                            const loyalty::v1::JournalEntry& entry,
                            std::vector<ConsumedLot>* consumed,
                            AppendUndo* undo);
  // Puts back what a refused Append changed.
  void RollBack(AppendUndo& undo);

  BatchState* batch_;
  absl::Time now_;
  std::string request_id_;  // stamped on every entry the operation appends
  // Node-based: a record keeps its address while more members are staged,
  // so the pointers Member and MutableMember give stay valid.
  absl::node_hash_map<std::string, loyalty::v1::MemberRecord> members_;
  // A scratch batch's records moved into members_, as they were (serialized).
  std::vector<std::pair<std::string, std::string>> lent_;
  absl::flat_hash_map<std::string, std::optional<std::string>> aux_;
  std::map<AccountAsset, int64_t> program_deltas_;
  std::vector<loyalty::v1::JournalEntry> entries_;
  absl::flat_hash_map<std::string, std::vector<int64_t>> counter_deltas_;
  std::vector<ConsumedLot> consumed_lots_;
  loyalty::v1::ChainHead head_;
  bool head_staged_ = false;
  absl::Status refusal_;
};

}  // namespace loyalty::ledger

#endif  // LOYALTY_ENGINE_LEDGER_TRANSACTION_H_
