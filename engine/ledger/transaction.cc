#include "engine/ledger/transaction.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/base/checked_math.h"
#include "engine/base/error.h"
#include "engine/base/sha256.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"
#include "engine/ledger/accounts.h"
#include "engine/ledger/keys.h"

namespace loyalty::ledger {
namespace {

using loyalty::v1::JournalEntry;
using loyalty::v1::MemberRecord;
using loyalty::v1::PointLot;
using loyalty::v1::Posting;

absl::Status Overflow(absl::string_view account) {
  return InvalidArgument("AMOUNT_OVERFLOW", account,
                         "the balance would not fit in a 64-bit integer");
}

// Inserts `lot` after every lot that does not come after it by `later`, so
// the list stays in order and equal lots keep their journal order.
template <typename Later>
void InsertLot(google::protobuf::RepeatedPtrField<PointLot>& lots, PointLot lot,
               Later later) {
  const auto position =
      std::find_if(lots.begin(), lots.end(),
                   [&](const PointLot& other) { return later(other, lot); }) -
      lots.begin();
  lots.Add(std::move(lot));  // may move the elements: rotate by index
  std::rotate(lots.begin() + position, lots.end() - 1, lots.end());
}

bool EarnedLater(const PointLot& a, const PointLot& b) {
  return FromTimestamp(a.earn_time()) > FromTimestamp(b.earn_time());
}

bool ReleasedLater(const PointLot& a, const PointLot& b) {
  return FromTimestamp(a.release_time()) > FromTimestamp(b.release_time());
}

// The lot a credit makes: dates from the posting, else the entry's time; the
// sequence of the posting's from_lot_sequence (a released lot keeps the
// sequence of the entry that earned it), else the entry's.
PointLot LotOf(const Posting& posting, const JournalEntry& entry,
               int64_t amount) {
  PointLot lot;
  lot.set_sequence(posting.from_lot_sequence() != 0 ? posting.from_lot_sequence()
                                                     : entry.sequence());
  *lot.mutable_earn_time() = posting.has_lot_earn_time() ? posting.lot_earn_time()
                                                         : entry.effective_time();
  if (posting.has_lot_expire_time()) {
    *lot.mutable_expire_time() = posting.lot_expire_time();
  }
  if (posting.has_lot_release_time()) {
    *lot.mutable_release_time() = posting.lot_release_time();
  }
  lot.set_remaining(amount);
  lot.set_partner_id(posting.lot_partner_id());
  return lot;
}

// Which lots a debit may take from: with `due` set, only lots whose
// `time_of` is set and not after it (expired or released lots); with
// `partner` set, only lots that partner funds (empty: the program).
struct LotFilter {
  const google::protobuf::Timestamp* due = nullptr;
  const google::protobuf::Timestamp& (PointLot::*time_of)() const = nullptr;
  bool (PointLot::*has_time)() const = nullptr;
  const std::string* partner = nullptr;
  bool Allows(const PointLot& lot) const {
    if (partner != nullptr && lot.partner_id() != *partner) return false;
    if (due == nullptr) return true;
    return (lot.*has_time)() &&
           FromTimestamp((lot.*time_of)()) <= FromTimestamp(*due);
  }
};

// Takes `amount` points from the lots made by entry `preferred` (0: none)
// first, then from the lots in their order, only from lots `filter` allows.
// Returns what it could not take.
int64_t TakeFromLots(google::protobuf::RepeatedPtrField<PointLot>& lots,
                     int64_t amount, int64_t preferred, const LotFilter& filter,
                     std::vector<ConsumedLot>* consumed) {
  for (int pass = preferred == 0 ? 1 : 0; pass < 2 && amount > 0; ++pass) {
    for (PointLot& lot : lots) {
      if (amount == 0) break;
      if (pass == 0 && lot.sequence() != preferred) continue;
      if (!filter.Allows(lot)) continue;
      const int64_t take = std::min(amount, lot.remaining());
      if (take == 0) continue;
      lot.set_remaining(lot.remaining() - take);
      amount -= take;
      if (consumed != nullptr) {
        consumed->push_back(
            ConsumedLot{lot.earn_time(), lot.expire_time(), take, lot.partner_id()});
      }
    }
  }
  lots.erase(std::remove_if(lots.begin(), lots.end(),
                            [](const PointLot& lot) { return lot.remaining() == 0; }),
             lots.end());
  return amount;
}

absl::Status AddCashback(MemberRecord* record, absl::string_view currency,
                         int64_t amount, absl::string_view account) {
  auto& wallets = *record->mutable_cashback();
  auto it = std::find_if(wallets.begin(), wallets.end(), [&](const auto& w) {
    return w.currency() >= currency;
  });
  if (it == wallets.end() || it->currency() != currency) {
    loyalty::v1::CurrencyAmount wallet;
    wallet.set_currency(std::string(currency));
    const int index = static_cast<int>(it - wallets.begin());
    wallets.Add(std::move(wallet));
    std::rotate(wallets.begin() + index, wallets.end() - 1, wallets.end());
    it = wallets.begin() + index;
  }
  auto sum = CheckedAdd(it->amount_minor(), amount);
  if (!sum) return Overflow(account);
  if (*sum < 0) {
    return FailedPrecondition(
        "INSUFFICIENT_CASHBACK", account,
        absl::StrCat("the wallet holds ", it->amount_minor(), " but ", -amount,
                     " would be taken"));
  }
  it->set_amount_minor(*sum);
  return absl::OkStatus();
}

// Applies a posting to the member's pending points: a credit makes a lot,
// a debit (a release) takes from the lots due by its time.
absl::Status ApplyToPending(MemberRecord* record, const Posting& posting,
                            const JournalEntry& entry) {
  const int64_t amount = posting.amount();
  auto sum = CheckedAdd(record->points_pending(), amount);
  if (!sum) return Overflow(posting.account());
  if (*sum < 0) {
    return FailedPrecondition("INSUFFICIENT_POINTS", posting.account(),
                              "pending points would go negative");
  }
  record->set_points_pending(*sum);
  if (amount > 0) {
    InsertLot(*record->mutable_pending_lots(), LotOf(posting, entry, amount),
              ReleasedLater);
    return absl::OkStatus();
  }
  // A release names the time: only lots due by then are taken (and only the
  // named funder's, for a debit planned by funder).
  const LotFilter filter{
      posting.has_lot_release_time() ? &posting.lot_release_time() : nullptr,
      &PointLot::release_time, &PointLot::has_release_time,
      posting.by_lot_partner() ? &posting.lot_partner_id() : nullptr};
  if (TakeFromLots(*record->mutable_pending_lots(), -amount,
                   posting.from_lot_sequence(), filter, nullptr) != 0) {
    return absl::InternalError(absl::StrCat(
        posting.account(), ": fewer pending points are due than released"));
  }
  return absl::OkStatus();
}

// Takes a debit of available points, which held `before`, from the lots.
// Lots hold what is above zero; a clawback below zero empties them. An
// expiry names the time: only lots expired by then are taken. A debit that
// names its funder (by_lot_partner) takes only that funder's lots: the
// decision planned it with PlanBurn.
absl::Status DebitAvailableLots(MemberRecord* record, const Posting& posting,
                                int64_t before,
                                std::vector<ConsumedLot>* consumed) {
  const LotFilter filter{
      posting.has_lot_expire_time() ? &posting.lot_expire_time() : nullptr,
      &PointLot::expire_time, &PointLot::has_expire_time,
      posting.by_lot_partner() ? &posting.lot_partner_id() : nullptr};
  const int64_t from_lots =
      std::min(-posting.amount(), std::max<int64_t>(before, 0));
  if (TakeFromLots(*record->mutable_lots(), from_lots,
                   posting.from_lot_sequence(), filter, consumed) != 0) {
    return absl::InternalError(
        absl::StrCat(posting.account(),
                     ": fewer points in lots (expired by the time, or "
                     "funded by '",
                     posting.lot_partner_id(), "') than taken"));
  }
  return absl::OkStatus();
}

// Applies a posting to the member's available points: a debit takes from
// the lots, a credit makes a lot of what lifts the balance above zero.
absl::Status ApplyToAvailable(MemberRecord* record, const Posting& posting,
                              const JournalEntry& entry,
                              std::vector<ConsumedLot>* consumed) {
  const int64_t amount = posting.amount();
  auto sum = CheckedAdd(record->points_available(), amount);
  if (!sum) return Overflow(posting.account());
  // A credit may leave a negative balance (it pays part of the debt).
  if (*sum < 0 && amount < 0 && !posting.allow_negative()) {
    return FailedPrecondition(
        "INSUFFICIENT_POINTS", posting.account(),
        absl::StrCat(-amount, " points requested but ",
                     record->points_available(), " available"));
  }
  const int64_t before = record->points_available();
  record->set_points_available(*sum);
  if (amount < 0) return DebitAvailableLots(record, posting, before, consumed);
  if (*sum > 0) {
    // Points that fill a negative balance first make no lot.
    InsertLot(*record->mutable_lots(),
              LotOf(posting, entry, std::min(amount, *sum)), EarnedLater);
  }
  return absl::OkStatus();
}

// Applies one posting to a member's record.
absl::Status ApplyToMember(MemberRecord* record, const MemberAccount& target,
                           const Posting& posting, const JournalEntry& entry,
                           std::vector<ConsumedLot>* consumed) {
  switch (target.kind) {
    case MemberAccount::Kind::kCashback:
      return AddCashback(record, target.currency, posting.amount(),
                         posting.account());
    case MemberAccount::Kind::kPointsPending:
      return ApplyToPending(record, posting, entry);
    case MemberAccount::Kind::kPointsAvailable:
      return ApplyToAvailable(record, posting, entry, consumed);
  }
  return absl::InternalError("unknown member account kind");
}

absl::Status CheckPostingsBalance(const JournalEntry& entry) {
  std::map<std::string, int64_t> sums;
  for (const Posting& posting : entry.postings()) {
    if (posting.account().empty() || posting.asset().empty() ||
        posting.amount() == 0) {
      return absl::InternalError(
          absl::StrCat("posting without account, asset or amount: ",
                       posting.ShortDebugString()));
    }
    auto sum = CheckedAdd(sums[posting.asset()], posting.amount());
    if (!sum) return Overflow(posting.account());
    sums[posting.asset()] = *sum;
  }
  for (const auto& [asset, sum] : sums) {
    if (sum != 0) {
      return absl::InternalError(absl::StrCat(
          "postings of ", asset, " sum to ", sum, " instead of zero"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::pair<std::string, int64_t>> PlanBurn(const MemberRecord& record,
                                                      int64_t amount,
                                                      int64_t preferred,
                                                      bool pending) {
  MemberRecord copy = record;
  std::vector<ConsumedLot> consumed;
  const int64_t held = pending ? record.points_pending() : record.points_available();
  TakeFromLots(pending ? *copy.mutable_pending_lots() : *copy.mutable_lots(),
               std::min(amount, std::max<int64_t>(held, 0)), preferred, LotFilter{},
               &consumed);
  std::vector<std::pair<std::string, int64_t>> plan;
  for (const ConsumedLot& lot : consumed) {
    if (!plan.empty() && plan.back().first == lot.partner_id) {
      plan.back().second += lot.amount;
    } else {
      plan.emplace_back(lot.partner_id, lot.amount);
    }
  }
  return plan;
}

absl::StatusOr<MemberRecord> ApplyMemberPostings(MemberRecord record,
                                                 const JournalEntry& entry) {
  std::vector<ConsumedLot> consumed;
  for (const Posting& posting : entry.postings()) {
    auto target = ParseMemberAccount(posting.account());
    if (!target || target->member_id != record.profile().member_id()) continue;
    RETURN_IF_ERROR(ApplyToMember(&record, *target, posting, entry, &consumed));
  }
  return record;
}

bool Transaction::points_or_money_moved() const {
  return !program_deltas_.empty() || !batch_->program_balances->empty();
}

int64_t Transaction::member_count() const {
  return (head_staged_ ? head_ : batch_->head).member_count();
}

absl::StatusOr<MemberRecord*> Transaction::StagedMember(
    absl::string_view member_id) {
  if (auto it = members_.find(member_id); it != members_.end()) {
    return &it->second;
  }
  MemberRecord record;
  if (auto it = batch_->members.find(member_id); it != batch_->members.end()) {
    if (batch_->write_batch == nullptr) {
      // A scratch batch (a replay) lends the record and keeps its bytes,
      // put back unless the operation commits (~Transaction).
      lent_.emplace_back(std::string(member_id),
                         it->second.SerializeAsString());
      record = std::move(it->second);
    } else {
      record = it->second;
    }
  } else if (batch_->earlier != nullptr) {
    auto earlier = batch_->earlier->TakeMember(member_id);
    if (earlier.status().code() == absl::StatusCode::kNotFound) {
      return NotFound("UNKNOWN_MEMBER", "member_id",
                      absl::StrCat("no member with id ", Quoted(member_id)));
    }
    if (!earlier.ok()) return earlier.status();
    record = *std::move(earlier);
  } else {
    std::string value;
    rocksdb::Status status =
        batch_->db->Get(rocksdb::ReadOptions(), keys::Member(member_id), &value);
    if (status.IsNotFound()) {
      return NotFound("UNKNOWN_MEMBER", "member_id",
                      absl::StrCat("no member with id ", Quoted(member_id)));
    }
    if (!status.ok()) return absl::UnavailableError(status.ToString());
    if (!record.ParseFromString(value)) {
      return absl::DataLossError(
          absl::StrCat("member record of ", Quoted(member_id), " does not parse"));
    }
  }
  return &members_.emplace(std::string(member_id), std::move(record))
              .first->second;
}

absl::StatusOr<const MemberRecord*> Transaction::Member(
    absl::string_view member_id) {
  ASSIGN_OR_RETURN(MemberRecord * record, StagedMember(member_id));
  return record;
}

absl::StatusOr<MemberRecord*> Transaction::MutableMember(
    absl::string_view member_id) {
  return StagedMember(member_id);
}

absl::Status Transaction::AddMember(MemberRecord record) {
  const std::string id = record.profile().member_id();
  if (!IsValidMemberId(id)) {
    return InvalidArgument("INVALID_MEMBER_ID", "member_id",
                           "use 1 to 64 letters, digits, '-', '_' or '.'");
  }
  auto existing = StagedMember(id);
  if (existing.ok()) {
    return MakeError(absl::StatusCode::kAlreadyExists, "MEMBER_EXISTS",
                     "member_id",
                     absl::StrCat("a member with id ", Quoted(id), " exists"));
  }
  if (existing.status().code() != absl::StatusCode::kNotFound) {
    return existing.status();
  }
  if (!head_staged_) head_ = batch_->head;
  head_staged_ = true;
  head_.set_member_count(head_.member_count() + 1);
  members_[id] = std::move(record);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> Transaction::GetAux(
    absl::string_view key) {
  if (auto it = aux_.find(key); it != aux_.end()) return it->second;
  if (auto it = batch_->aux.find(key); it != batch_->aux.end()) {
    return it->second;
  }
  if (batch_->earlier != nullptr) return batch_->earlier->FindAux(key);
  std::string value;
  rocksdb::Status status =
      batch_->db->Get(rocksdb::ReadOptions(), keys::Aux(key), &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  if (!status.ok()) return absl::UnavailableError(status.ToString());
  return std::optional<std::string>(std::move(value));
}

void Transaction::PutAux(absl::string_view key, std::string value) {
  aux_[key] = std::move(value);
}

void Transaction::DeleteAux(absl::string_view key) { aux_[key] = std::nullopt; }

// First-touch prior states: an entry has a handful of postings, so the
// lists stay short and a linear search is the cheapest lookup.
struct Transaction::AppendUndo {
  // Each member the Append changed, with its record from before
  // (serialized); nullopt for a member the Append itself staged (dropped
  // again on a rollback).
  std::vector<std::pair<std::string, std::optional<std::string>>> members;
  // Each program account the Append changed, with its staged delta from
  // before; nullopt when there was none.
  std::vector<std::pair<AccountAsset, std::optional<int64_t>>> program_deltas;

  bool Touched(absl::string_view member_id) const {
    return std::any_of(members.begin(), members.end(), [&](const auto& member) {
      return member.first == member_id;
    });
  }
  bool Touched(const AccountAsset& key) const {
    return std::any_of(program_deltas.begin(), program_deltas.end(),
                       [&](const auto& delta) { return delta.first == key; });
  }
};

absl::Status Transaction::ApplyPosting(const Posting& posting,
                                       const JournalEntry& entry,
                                       std::vector<ConsumedLot>* consumed,
                                       AppendUndo* undo) {
  if (auto target = ParseMemberAccount(posting.account())) {
    const std::string& id = target->member_id;
    const bool first_touch = !undo->Touched(id);
    const bool staged_before = members_.contains(id);
    ASSIGN_OR_RETURN(MemberRecord * record, StagedMember(id));
    if (first_touch) {
      // Its bytes, not a copy: serializing a record with many lots costs
      // a fraction of copying it, and a rollback is rare.
      undo->members.emplace_back(
          id, staged_before
                  ? std::optional<std::string>(record->SerializeAsString())
                  : std::nullopt);
    }
    RETURN_IF_ERROR(ApplyToMember(record, *target, posting, entry, consumed));
    record->set_last_sequence(entry.sequence());
    return absl::OkStatus();
  }
  if (absl::StartsWith(posting.account(), "member/")) {
    return absl::InternalError(
        absl::StrCat("malformed member account '", posting.account(), "'"));
  }
  const AccountAsset key{posting.account(), posting.asset()};
  auto it = batch_->program_balances->find(key);
  const int64_t current =
      it == batch_->program_balances->end() ? 0 : it->second;
  auto delta = program_deltas_.find(key);
  if (!undo->Touched(key)) {
    undo->program_deltas.emplace_back(
        key, delta == program_deltas_.end()
                 ? std::nullopt
                 : std::optional<int64_t>(delta->second));
  }
  const int64_t delta_before =
      delta == program_deltas_.end() ? 0 : delta->second;
  auto staged = CheckedAdd(delta_before, posting.amount());
  if (!staged || !CheckedAdd(current, *staged)) {
    return Overflow(posting.account());
  }
  program_deltas_[key] = *staged;
  return absl::OkStatus();
}

void Transaction::RollBack(AppendUndo& undo) {
  for (auto& [id, before] : undo.members) {
    auto it = members_.find(id);
    if (before.has_value()) {
      it->second.ParseFromString(*before);  // in place: handles stay valid
    } else {
      members_.erase(it);
    }
  }
  for (auto& [key, before] : undo.program_deltas) {
    if (before.has_value()) {
      program_deltas_[key] = *before;
    } else {
      program_deltas_.erase(key);
    }
  }
}

absl::StatusOr<int64_t> Transaction::Append(JournalEntry entry) {
  RETURN_IF_ERROR(CheckPostingsBalance(entry));
  if (!head_staged_) head_ = batch_->head;
  entry.set_sequence(head_.sequence() + 1);
  entry.set_request_id(request_id_);
  *entry.mutable_record_time() = ToTimestamp(now_);
  if (!entry.has_effective_time()) {
    *entry.mutable_effective_time() = entry.record_time();
  }
  // A refused posting puts back what the postings before it changed.
  AppendUndo undo;
  std::vector<ConsumedLot> consumed;
  for (const Posting& posting : entry.postings()) {
    absl::Status status = ApplyPosting(posting, entry, &consumed, &undo);
    if (!status.ok()) {
      RollBack(undo);
      return status;
    }
  }
  consumed_lots_.insert(consumed_lots_.end(), consumed.begin(), consumed.end());
  // A scratch batch (a replay) is never written: it chains no hashes.
  if (batch_->write_batch != nullptr) {
    entry.set_previous_hash(
        head_.hash().empty() ? std::string(kSha256Bytes, '\0') : head_.hash());
    entry.clear_hash();
    entry.set_hash(
        Sha256Pair(entry.previous_hash(), entry.SerializeAsString()));
  }
  head_staged_ = true;
  head_.set_sequence(entry.sequence());
  head_.set_hash(entry.hash());
  entries_.push_back(std::move(entry));
  return head_.sequence();
}

int64_t Transaction::StoredCounter(absl::string_view key, int index) const {
  auto it = batch_->counters->find(key);
  if (it == batch_->counters->end() || static_cast<int>(it->second.size()) <= index) {
    return 0;
  }
  return it->second[index];
}

int64_t Transaction::Counter(absl::string_view key, int index) const {
  int64_t delta = 0;
  if (auto it = counter_deltas_.find(key); it != counter_deltas_.end() &&
                                           static_cast<int>(it->second.size()) > index) {
    delta = it->second[index];
  }
  // AddCounter let in only deltas whose total fits.
  return CheckedAdd(StoredCounter(key, index), delta).value();
}

void Transaction::AddCounter(absl::string_view key, int index,
                             int64_t delta) {
  if (!refusal_.ok()) return;  // refused already: nothing of it is written
  std::vector<int64_t>& values = counter_deltas_[key];
  if (values.size() <= static_cast<size_t>(index)) values.resize(index + 1);
  const std::optional<int64_t> staged = CheckedAdd(values[index], delta);
  if (!staged || !CheckedAdd(StoredCounter(key, index), *staged)) {
    Refuse(InvalidArgument(
        "AMOUNT_OVERFLOW", "",
        absl::StrCat("counter '", key, "' would not fit in a 64-bit integer")));
    return;
  }
  values[index] = *staged;
}

void Transaction::Refuse(absl::Status status) {
  if (refusal_.ok()) refusal_ = std::move(status);
}

Transaction::~Transaction() {
  for (const auto& [id, bytes] : lent_) {
    // Parsing the bytes back is exact: the record as it was lent.
    batch_->members[id].ParseFromString(bytes);
  }
}

void Transaction::CommitTo(BatchState* batch) {
  lent_.clear();
  if (batch->write_batch == nullptr) {
    if (batch->appended != nullptr) {
      for (JournalEntry& entry : entries_)
        batch->appended->push_back(std::move(entry));
    }
    entries_.clear();
  }
  for (const JournalEntry& entry : entries_) {
    batch->write_batch->Put(keys::Entry(entry.sequence()),
                            entry.SerializeAsString());
    std::vector<std::string> members;
    if (!entry.member_id().empty()) members.push_back(entry.member_id());
    for (const Posting& posting : entry.postings()) {
      if (auto target = ParseMemberAccount(posting.account())) {
        members.push_back(target->member_id);
      }
    }
    std::sort(members.begin(), members.end());
    members.erase(std::unique(members.begin(), members.end()), members.end());
    for (const std::string& member : members) {
      batch->write_batch->Put(keys::History(member, entry.sequence()), "");
    }
  }
  for (auto& [id, record] : members_) batch->members[id] = std::move(record);
  for (auto& [key, value] : aux_) {
    if (batch->write_batch != nullptr && value.has_value()) {
      batch->write_batch->Put(keys::Aux(key), *value);
    } else if (batch->write_batch != nullptr) {
      batch->write_batch->Delete(keys::Aux(key));
    }
    batch->aux[key] = std::move(value);
  }
  for (const auto& [key, delta] : program_deltas_) {
    (*batch->program_balances)[key] += delta;
    batch->dirty_program_accounts.push_back(key);
  }
  for (auto& [key, deltas] : counter_deltas_) {
    std::vector<int64_t>& values = (*batch->counters)[key];
    if (values.size() < deltas.size()) values.resize(deltas.size());
    // AddCounter checked each total against these very values (the writer
    // commits an operation right after deciding it).
    for (size_t i = 0; i < deltas.size(); ++i) {
      values[i] = CheckedAdd(values[i], deltas[i]).value();
    }
    batch->dirty_counters.push_back(key);
  }
  if (head_staged_) batch->head = head_;
}

}  // namespace loyalty::ledger
