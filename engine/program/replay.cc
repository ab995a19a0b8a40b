// Replay: recorded operations decided again on a scratch batch (replay.h).
#include "engine/program/replay.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"
#include "engine/ledger/accounts.h"
#include "engine/program/decisions.h"
#include "engine/program/member_data.h"
#include "engine/program/order_record.h"
#include "engine/program/partners.h"
#include "engine/program/refund.h"
#include "engine/program/tiers.h"
#include "engine/program/upkeep.h"

namespace loyalty::program {
namespace {

using loyalty::v1::JournalEntry;
using loyalty::v1::MemberRecord;

// A replay accepts every time the history accepted: the bounds were
// checked when it was recorded, at the same "now".
const TimeBounds kReplayBounds{kMaxBackdateHorizon, kMaxBackdateHorizon};

// A business refusal ends one replayed operation; a fault ends the replay.
bool IsFault(const absl::Status& status) {
  return status.code() == absl::StatusCode::kDataLoss ||
         status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kInternal;
}

// The adjustment a recorded ADJUSTMENT entry answered.
loyalty::v1::AdjustBalanceRequest AdjustmentOf(const JournalEntry& entry) {
  loyalty::v1::AdjustBalanceRequest request;
  request.set_member_id(entry.member_id());
  request.set_reason_code(entry.reason_code());
  request.set_note(entry.note());
  for (const loyalty::v1::Posting& posting : entry.postings()) {
    const auto account = ledger::ParseMemberAccount(posting.account());
    if (!account || account->member_id != entry.member_id()) continue;
    if (account->kind == ledger::MemberAccount::Kind::kCashback) {
      request.set_cashback_minor(request.cashback_minor() + posting.amount());
      request.set_currency(account->currency);
    } else {
      request.set_points(request.points() + posting.amount());
    }
  }
  return request;
}

// The refund a recorded REFUND entry answered: its lines as the order's
// record keeps them (an older record keeps none: everything left).
loyalty::v1::RefundPurchaseRequest RefundOf(
    const JournalEntry& entry, const loyalty::v1::OrderRecord& order) {
  loyalty::v1::RefundPurchaseRequest request;
  request.set_member_id(entry.member_id());
  request.set_order_id(entry.order_id());
  request.set_partner_id(entry.partner_id());
  for (const loyalty::v1::OrderRefund& refund : order.refunds()) {
    if (refund.sequence() == entry.sequence()) {
      *request.mutable_lines() = refund.lines();
    }
  }
  return request;
}

}  // namespace

// Beneath the scratch batch: members are all in the batch, so a member not
// there is unknown, unless the replay makes up guests; partner records are
// read from the snapshot, every other record starts empty.
class Replay::Beneath : public ledger::EarlierState {
 public:
  Beneath(const ledger::EntryReader* snapshot, Replay* replay)
      : snapshot_(snapshot), replay_(replay) {}

  absl::StatusOr<MemberRecord> TakeMember(
      absl::string_view member_id) override {
    if (!guests_allowed_) return absl::NotFoundError("not replayed");
    ASSIGN_OR_RETURN(MemberRecord stored, snapshot_->GetMember(member_id));
    MemberRecord guest;
    *guest.mutable_profile() = stored.profile();
    guest.set_birthday(stored.birthday());
    replay_->guests_.insert(std::string(member_id));
    return guest;
  }
  absl::StatusOr<std::optional<std::string>> FindAux(
      absl::string_view key) override {
    if (absl::StartsWith(key, kPartnerKeyPrefix)) return snapshot_->GetAux(key);
    return std::optional<std::string>();
  }
  void AllowGuests(bool allowed) { guests_allowed_ = allowed; }

 private:
  const ledger::EntryReader* const snapshot_;
  Replay* const replay_;
  bool guests_allowed_ = false;
};

Replay::Replay(const ledger::EntryReader* snapshot)
    : snapshot_(snapshot), beneath_(std::make_unique<Beneath>(snapshot, this)) {
  batch_.earlier = beneath_.get();
  batch_.program_balances = &program_balances_;
  batch_.counters = &counters_;
  batch_.appended = &appended_;
}

Replay::~Replay() = default;

void Replay::AllowGuests(bool allowed) {
  allow_guests_ = allowed;
  beneath_->AllowGuests(allowed);
}

int64_t Replay::Counter(const std::string& key) const {
  auto it = counters_.find(key);
  return it == counters_.end() || it->second.empty() ? 0 : it->second[0];
}

absl::StatusOr<loyalty::v1::OrderRecord> Replay::RecordedOrder(
    const JournalEntry& entry) const {
  ASSIGN_OR_RETURN(
      std::optional<std::string> stored,
      snapshot_->GetAux(OrderKey(entry.partner_id(), entry.order_id())));
  loyalty::v1::OrderRecord order;
  if (!stored.has_value() ||
      !ReadStoredOrder(*stored, entry.partner_id(), entry.order_id(), &order)) {
    return absl::DataLossError(absl::StrCat(
        "the order record of entry ", entry.sequence(), " cannot be read"));
  }
  return order;
}

absl::StatusOr<std::string> Replay::Enroll(
    const JournalEntry& main, const evaluator::CompiledRules& rules,
    ledger::Transaction& transaction) {
  ASSIGN_OR_RETURN(MemberRecord stored, snapshot_->GetMember(main.member_id()));
  MemberRecord record;
  *record.mutable_profile() = stored.profile();
  record.set_birthday(stored.birthday());
  StartTier(rules, &record);
  beneath_->AllowGuests(false);  // the member is new here, never a guest
  const absl::Status added = transaction.AddMember(std::move(record));
  beneath_->AllowGuests(allow_guests_);
  RETURN_IF_ERROR(added);
  JournalEntry entry;
  entry.set_kind(loyalty::v1::ENTRY_KIND_ENROLL);
  entry.set_member_id(main.member_id());
  entry.set_description("enrolled");
  *entry.mutable_effective_time() = main.effective_time();
  RETURN_IF_ERROR(transaction.Append(std::move(entry)).status());
  return std::string();
}

absl::StatusOr<std::string> Replay::Decide(
    const JournalEntry& main, const std::vector<JournalEntry>& operation,
    const RuleBook& book, const absl::flat_hash_set<std::string>* members,
    ledger::Transaction& transaction, Replayed* replayed) {
  const evaluator::CompiledRules& rules = *book.ActiveAt(transaction.now());
  switch (main.kind()) {
    case loyalty::v1::ENTRY_KIND_ENROLL:
      return Enroll(main, rules, transaction);
    case loyalty::v1::ENTRY_KIND_PURCHASE: {
      ASSIGN_OR_RETURN(loyalty::v1::OrderRecord order, RecordedOrder(main));
      // Only a refund reads an order's record again (a journal never holds
      // two sales of one order): the replay keeps the records of the orders
      // refunded in the snapshot, not one per sale.
      if (order.refunds_size() == 0 && order.refunded_quantity_size() == 0 &&
          !order.has_refunded()) {
        unrefunded_order_ = OrderKey(main.partner_id(), main.order_id());
      }
      replayed->sale = true;
      replayed->recorded_priced = std::move(*order.mutable_priced());
      ASSIGN_OR_RETURN(loyalty::v1::CommitPurchaseResponse answer,
                       internal::DecidePurchaseMessage(
                           order.purchase(), book, kReplayBounds, transaction));
      replayed->priced = std::move(*answer.mutable_priced());
      return std::string();
    }
    case loyalty::v1::ENTRY_KIND_REFUND: {
      ASSIGN_OR_RETURN(loyalty::v1::OrderRecord order, RecordedOrder(main));
      return DecideRefund(RefundOf(main, order), rules, transaction);
    }
    case loyalty::v1::ENTRY_KIND_ADJUSTMENT:
      return internal::DecideAdjust(AdjustmentOf(main), rules, transaction);
    case loyalty::v1::ENTRY_KIND_REWARD: {
      loyalty::v1::RedeemRewardRequest request;
      request.set_member_id(main.member_id());
      request.set_reward_id(main.reward_id());
      return internal::DecideRedeem(request, rules, transaction);
    }
    case loyalty::v1::ENTRY_KIND_ERASURE: {  // forfeits what is left, as then
      loyalty::v1::EraseMemberResponse forfeited;
      RETURN_IF_ERROR(internal::AppendForfeiture(main.member_id(), main.actor(),
                                                 transaction, &forfeited)
                          .status());
      return std::string();
    }
    case loyalty::v1::ENTRY_KIND_FEEDBACK:
      return internal::DecideFeedback(main.feedback(), rules, transaction);
    // A maintenance run: its upkeep again. Its expiry notices move nothing
    // and are not replayed (a chunk may end with one).
    case loyalty::v1::ENTRY_KIND_EXPIRY_NOTICE:
    case loyalty::v1::ENTRY_KIND_UPKEEP:
      for (const JournalEntry& entry : operation) {
        if (entry.kind() != loyalty::v1::ENTRY_KIND_UPKEEP) continue;
        if (members != nullptr && !members->contains(entry.member_id()))
          continue;
        RETURN_IF_ERROR(
            RunUpkeep(rules, transaction, entry.member_id()).status());
      }
      return std::string();
    default:
      return std::string();
  }
}

absl::StatusOr<Replayed> Replay::Run(
    const std::vector<JournalEntry>& operation, const RuleBook& book,
    const absl::flat_hash_set<std::string>* members) {
  const JournalEntry& main = operation.back();
  ledger::Transaction transaction(&batch_, FromTimestamp(main.record_time()),
                                  main.request_id());
  Replayed replayed;
  unrefunded_order_.clear();
  absl::StatusOr<std::string> response =
      Decide(main, operation, book, members, transaction, &replayed);
  if (response.ok() && !transaction.refusal().ok())
    response = transaction.refusal();
  if (!response.ok()) {
    if (IsFault(response.status())) return response.status();
    replayed.status = response.status();
    return replayed;
  }
  transaction.CommitTo(&batch_);
  if (!unrefunded_order_.empty()) batch_.aux.erase(unrefunded_order_);
  replayed.entries = std::move(appended_);
  appended_.clear();
  batch_.dirty_program_accounts.clear();
  batch_.dirty_counters.clear();
  return replayed;
}

}  // namespace loyalty::program
