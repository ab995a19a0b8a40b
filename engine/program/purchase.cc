// CommitPurchase and QuotePurchase: the program's half of a sale
// (operations.h tells the whole path). A commit is decided on the ledger's
// writer thread in six steps, each a function below: load and bring up to
// date -> price -> build the entry -> append -> record -> answer.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/analytics/counters.h"
#include "engine/base/error.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"
#include "engine/program/decisions.h"
#include "engine/program/member_view.h"
#include "engine/program/operations.h"
#include "engine/program/order_record.h"
#include "engine/program/partners.h"
#include "engine/program/postings.h"
#include "engine/program/purchase_entry.h"
#include "engine/program/referral.h"
#include "engine/program/refund.h"
#include "engine/program/submit.h"
#include "engine/program/tiers.h"
#include "engine/program/upkeep.h"
#include "engine/program/usage.h"

namespace loyalty::program {
namespace {

using loyalty::v1::CommitPurchaseResponse;
using loyalty::v1::MemberRecord;
using loyalty::v1::Purchase;

std::string OrderKey(const Purchase& purchase) {
  return program::OrderKey(purchase.partner_id(), purchase.order_id());
}

// When the sale happened: its purchase_time within `bounds`, not before the
// member enrolled; now when unset.
absl::StatusOr<absl::Time> PurchaseTimeOf(const Purchase& purchase,
                                          const MemberRecord& member,
                                          absl::Time now,
                                          const TimeBounds& bounds) {
  std::optional<absl::Time> enrolled;
  if (member.profile().has_enroll_time()) {
    enrolled = FromTimestamp(member.profile().enroll_time());
  }
  return CallerTime(
      purchase.has_purchase_time() ? &purchase.purchase_time() : nullptr,
      "purchase.purchase_time", now, bounds, enrolled);
}

// The member as the evaluator prices a sale at `when`: with the tier held
// then (tiers.h keeps the changes within the back-dating horizon).
evaluator::MemberState MemberStateAt(const MemberRecord& member,
                                     const evaluator::CompiledRules& rules,
                                     absl::string_view currency,
                                     absl::Time when) {
  evaluator::MemberState state = MemberStateOf(member, rules, currency, when);
  state.tier = TierAt(member, when).value_or(member.tier());
  return state;
}

// What a sale's decision hands from one step to the next.
struct Sale {
  absl::Time time;  // the purchase_time
  loyalty::v1::PricedPurchase priced;
  LotDates earned;  // the dates of the lot the earned points make
  PartnerFunding funding;
  ReferralOutcome referral;
  std::string period;  // the tier-qualifying period; empty without tiers
  loyalty::v1::JournalEntry entry;
};

// Step 1, load and bring up to date: the member must exist and the sale's
// time be acceptable; then releases, expiries and a tier review that are
// due are written first, so the sale burns only points that are available
// and unexpired now. Returns the sale's time.
absl::StatusOr<absl::Time> BringUpToDate(
    const Purchase& purchase, const evaluator::CompiledRules& current,
    const TimeBounds& bounds, ledger::Transaction& transaction) {
  ASSIGN_OR_RETURN(
      const MemberRecord* member,
      ExistingMember(transaction, purchase.member_id(), "purchase.member_id"));
  ASSIGN_OR_RETURN(
      const absl::Time purchase_time,
      PurchaseTimeOf(purchase, *member, transaction.now(), bounds));
  RETURN_IF_ERROR(
      RunUpkeep(current, transaction, purchase.member_id()).status());
  return purchase_time;
}

// ALREADY_EXISTS (ORDER_ALREADY_COMMITTED) when the order was committed
// before, under any request id.
absl::Status CheckOrderIsNew(const Purchase& purchase,
                             ledger::Transaction& transaction) {
  ASSIGN_OR_RETURN(auto committed, transaction.GetAux(OrderKey(purchase)));
  if (!committed.has_value()) return absl::OkStatus();
  loyalty::v1::OrderRecord earlier;
  if (!earlier.ParseFromString(*committed)) {
    return MakeError(
        absl::StatusCode::kDataLoss, "STORED_RECORD_UNREADABLE",
        "purchase.order_id",
        absl::StrCat("order '", purchase.order_id(),
                     "' was committed, but its record cannot be read"));
  }
  return MakeError(
      absl::StatusCode::kAlreadyExists, "ORDER_ALREADY_COMMITTED",
      "purchase.order_id",
      absl::StrCat("order ", Quoted(purchase.order_id()),
                   " was committed as transaction ", earlier.sequence()));
}

// Step 2, price: by `rules`, the version active at the sale's time, with
// the tier the member held then; a new order only.
absl::StatusOr<loyalty::v1::PricedPurchase> Price(
    const Purchase& purchase, const MemberRecord& member,
    const evaluator::CompiledRules& rules, absl::Time purchase_time,
    ledger::Transaction& transaction) {
  ASSIGN_OR_RETURN(
      loyalty::v1::PricedPurchase priced,
      evaluator::PricePurchase(
          rules,
          MemberStateAt(member, rules, purchase.currency(), purchase_time),
          ProgramStateOf(rules, purchase, transaction), purchase,
          purchase_time));
  RETURN_IF_ERROR(CheckOrderIsNew(purchase, transaction));
  return priced;
}

// Step 3, build the entry: the purchase's postings (purchase_entry.h), its
// points funded by the partner (partners.h), and the referral reward it
// earns (referral.h).
absl::Status BuildEntry(const Purchase& purchase, const MemberRecord& member,
                        const evaluator::CompiledRules& rules,
                        ledger::Transaction& transaction, Sale* sale) {
  const loyalty::v1::PricedPurchase& priced = sale->priced;
  sale->earned = {ReleaseFor(rules, sale->time), ExpiryFor(rules, sale->time)};
  sale->entry = PurchaseEntry(purchase, priced, sale->time, sale->earned);
  // Coalition funding and referral rewards (partners.h, referral.h).
  ASSIGN_OR_RETURN(sale->funding,
                   FundingFor(purchase.partner_id(), transaction));
  FundPurchasePoints(member, sale->funding, priced.redeemed_points(),
                     priced.points_earned(), &sale->entry);
  sale->entry.set_point_value_minor(
      rules.rule_set().program().point_value_minor());
  ASSIGN_OR_RETURN(sale->referral, DecideReferral(member, priced, sale->time,
                                                  rules, transaction));
  if (sale->referral.reward.has_value()) {
    AddReferralPostings(*sale->referral.reward, purchase.member_id(),
                        priced.currency(), &sale->entry);
    *sale->priced.mutable_referral_reward() = *sale->referral.reward;
  }
  return absl::OkStatus();
}

// Step 3 continued: tier progress counts the sale; a threshold crossed
// raises the tier in this same entry (the sale itself was priced with the
// tier before it). Tier fields are not balances: they may change before the
// Append, and a refused Append drops the whole decision anyway. The ladder
// and window are today's (`current`); the period is the sale's, so a
// rolling window that has moved past it does not count it.
absl::Status CountTierProgress(const evaluator::CompiledRules& current,
                               const std::string& member_id,
                               ledger::Transaction& transaction, Sale* sale) {
  sale->period = QualifyingPeriodAt(current, sale->time);
  if (sale->period.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(MemberRecord * progress,
                   transaction.MutableMember(member_id));
  const std::string tier_before = progress->tier();
  AddQualifying(current, sale->period, sale->priced.total_due_minor(),
                sale->priced.points_earned(), 1, transaction.now(), progress);
  if (RaiseTier(current, transaction.now(), progress)) {
    sale->entry.set_tier_before(tier_before);
    sale->entry.set_tier_after(progress->tier());
  }
  return absl::OkStatus();
}

// The order's record, kept for refunds (refund.h): what was bought and
// priced, and the lots its burn took.
loyalty::v1::OrderRecord OrderRecordOf(
    const Purchase& purchase, const Sale& sale, int64_t sequence,
    const std::vector<ledger::ConsumedLot>& burned) {
  loyalty::v1::OrderRecord order;
  order.set_sequence(sequence);
  order.set_point_value_minor(sale.entry.point_value_minor());
  order.set_settlement_partner_id(sale.funding.partner_id);
  *order.mutable_purchase() = purchase;
  *order.mutable_priced() = sale.priced;
  for (const ledger::ConsumedLot& lot : burned) {
    loyalty::v1::PointLot* burned_lot = order.add_burned_lots();
    *burned_lot->mutable_earn_time() = lot.earn_time;
    if (lot.expire_time.seconds() != 0 || lot.expire_time.nanos() != 0) {
      *burned_lot->mutable_expire_time() = lot.expire_time;
    }
    burned_lot->set_remaining(lot.amount);
    burned_lot->set_partner_id(lot.partner_id);
  }
  order.set_qualifying_period(sale.period);
  order.set_qualifying_spend_minor(sale.priced.total_due_minor());
  if (sale.earned.release)
    order.set_points_pending(sale.priced.points_earned());
  return order;
}

// Step 5, record, beside the appended entry and in the same write: the
// referral settled, the order's record, the member's purchase count and
// campaign usage, and the metrics counters. Returns the member as it ends.
absl::StatusOr<MemberRecord*> RecordSale(
    const Purchase& purchase, const evaluator::CompiledRules& rules,
    const Sale& sale, int64_t sequence,
    const std::vector<ledger::ConsumedLot>& burned,
    ledger::Transaction& transaction) {
  RETURN_IF_ERROR(
      RecordReferral(purchase.member_id(), sale.referral, transaction));
  transaction.PutAux(
      OrderKey(purchase),
      StoredOrder(OrderRecordOf(purchase, sale, sequence, burned)));
  ASSIGN_OR_RETURN(MemberRecord * after,
                   transaction.MutableMember(purchase.member_id()));
  after->set_purchase_count(after->purchase_count() + 1);
  RecordUsage(sale.priced, rules, sale.time, after, transaction);
  RETURN_IF_ERROR(
      analytics::CountPurchase(sale.entry, burned, after, transaction));
  return after;
}

absl::StatusOr<CommitPurchaseResponse> DecidePurchaseResponse(
    const Purchase& purchase, const RuleBook& book, const TimeBounds& bounds,
    ledger::Transaction& transaction) {
  // Upkeep, tiers and the balance answered are as of now ...
  const std::shared_ptr<const evaluator::CompiledRules> now_rules =
      book.ActiveAt(transaction.now());
  const evaluator::CompiledRules& current = *now_rules;
  Sale sale;
  ASSIGN_OR_RETURN(sale.time,
                   BringUpToDate(purchase, current, bounds, transaction));
  ASSIGN_OR_RETURN(const MemberRecord* member,
                   transaction.Member(purchase.member_id()));
  // ... the price is the version's active at the sale's time.
  const std::shared_ptr<const evaluator::CompiledRules> then_rules =
      book.ActiveAt(sale.time);
  const evaluator::CompiledRules& rules = *then_rules;
  ASSIGN_OR_RETURN(sale.priced,
                   Price(purchase, *member, rules, sale.time, transaction));
  RETURN_IF_ERROR(BuildEntry(purchase, *member, rules, transaction, &sale));
  RETURN_IF_ERROR(
      CountTierProgress(current, purchase.member_id(), transaction, &sale));
  // Step 4, append. Only this entry's burn counts as the sale's (the upkeep
  // before it may have taken lots too).
  const size_t consumed_before = transaction.consumed_lots().size();
  ASSIGN_OR_RETURN(const int64_t sequence, transaction.Append(sale.entry));
  ASSIGN_OR_RETURN(
      MemberRecord * after,
      RecordSale(purchase, rules, sale, sequence,
                 ConsumedSince(transaction, consumed_before), transaction));
  // Step 6, answer (sent once the write is durable).
  CommitPurchaseResponse response;
  response.set_transaction_id(absl::StrCat(sequence));
  *response.mutable_priced() = std::move(sale.priced);
  *response.mutable_balance() = BalanceAt(current, *after, transaction.now());
  return response;
}

}  // namespace

namespace internal {

absl::StatusOr<std::string> DecidePurchase(const Purchase& purchase,
                                           const RuleBook& book,
                                           const TimeBounds& bounds,
                                           ledger::Transaction& transaction) {
  ASSIGN_OR_RETURN(CommitPurchaseResponse response,
                   DecidePurchaseResponse(purchase, book, bounds, transaction));
  return response.SerializeAsString();
}

absl::StatusOr<CommitPurchaseResponse> DecidePurchaseMessage(
    const Purchase& purchase, const RuleBook& book, const TimeBounds& bounds,
    ledger::Transaction& transaction) {
  return DecidePurchaseResponse(purchase, book, bounds, transaction);
}

absl::StatusOr<ledger::Decision> DecideKeptPurchase(
    const Purchase& purchase, const RuleBook& book, const TimeBounds& bounds,
    ledger::Transaction& transaction) {
  ASSIGN_OR_RETURN(CommitPurchaseResponse response,
                   DecidePurchaseResponse(purchase, book, bounds, transaction));
  std::string whole = response.SerializeAsString();
  // The priced purchase is in the order's record, the member's id in the
  // request: the request's record keeps the rest (RebuildPurchaseResponse).
  response.clear_priced();
  response.mutable_balance()->clear_member_id();
  return ledger::Decision(std::move(whole), response.SerializeAsString());
}

absl::StatusOr<std::string> RebuildPurchaseResponse(
    const Purchase& purchase, absl::string_view kept,
    ledger::Transaction& transaction) {
  CommitPurchaseResponse response;
  if (!response.ParseFromArray(kept.data(), static_cast<int>(kept.size()))) {
    return absl::DataLossError("its kept part does not parse");
  }
  ASSIGN_OR_RETURN(std::optional<std::string> stored,
                   transaction.GetAux(OrderKey(purchase)));
  loyalty::v1::OrderRecord order;
  if (!stored.has_value() ||
      !ReadStoredOrder(*stored, purchase.partner_id(), purchase.order_id(),
                       &order) ||
      absl::StrCat(order.sequence()) != response.transaction_id()) {
    return absl::DataLossError(absl::StrCat(
        "the record of order ", Quoted(purchase.order_id()),
        " that holds its priced purchase is missing or unreadable"));
  }
  *response.mutable_priced() = std::move(*order.mutable_priced());
  // Kept answers of ledgers before the format "loyalty-ledger-4" hold it.
  if (response.balance().member_id().empty()) {
    response.mutable_balance()->set_member_id(purchase.member_id());
  }
  return response.SerializeAsString();
}

}  // namespace internal

ledger::Operation Operations::PurchaseOperation(
    const loyalty::v1::CommitPurchaseRequest& request, absl::Time deadline) {
  // The rule set is read on the writer thread, at decision time, so that a
  // purchase is priced by exactly one version: the one active at its
  // purchase_time among those stored when it commits.
  auto purchase = std::make_shared<const Purchase>(request.purchase());
  return ledger::Operation{
      request.request_id(), internal::Fingerprint("CommitPurchase", request),
      [this, purchase](ledger::Transaction& t) {
        return internal::DecideKeptPurchase(*purchase, book_, bounds_, t);
      },
      deadline,
      [purchase](absl::string_view kept, ledger::Transaction& t) {
        return internal::RebuildPurchaseResponse(*purchase, kept, t);
      }};
}

void Operations::CommitPurchase(
    const loyalty::v1::CommitPurchaseRequest& request,
    Reply<loyalty::v1::CommitPurchaseResponse> reply, absl::Time deadline) {
  internal::SubmitToLedger(ledger_, PurchaseOperation(request, deadline),
                           std::move(reply));
}

absl::StatusOr<loyalty::v1::QuotePurchaseResponse> Operations::QuotePurchase(
    const loyalty::v1::QuotePurchaseRequest& request) const {
  const Purchase& purchase = request.purchase();
  if (purchase.member_id().empty()) {
    return InvalidArgument("MISSING_FIELD", "purchase.member_id",
                           "a member id is needed");
  }
  ASSIGN_OR_RETURN(MemberRecord record,
                   KnownMember(ledger_->GetMember(purchase.member_id()),
                               purchase.member_id(), "purchase.member_id"));
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(const absl::Time purchase_time,
                   PurchaseTimeOf(purchase, record, now, bounds_));
  // Priced as the commit would be: with the upkeep that is due done, by
  // the version and the tier of the sale's time.
  loyalty::v1::Balance balance = BalanceAt(*rules(), record, now);
  const std::shared_ptr<const evaluator::CompiledRules> then =
      book_.ActiveAt(purchase_time);
  ASSIGN_OR_RETURN(evaluator::ProgramState program,
                   StoredProgramState(*then, *ledger_));
  evaluator::MemberState member =
      MemberStateOf(record, *then, purchase.currency(), purchase_time);
  member.points_available = balance.points_available();
  member.tier = TierAt(record, purchase_time).value_or(balance.tier());
  ASSIGN_OR_RETURN(loyalty::v1::PricedPurchase priced,
                   evaluator::PricePurchase(*then, member, program, purchase,
                                            purchase_time));
  loyalty::v1::QuotePurchaseResponse response;
  *response.mutable_priced() = std::move(priced);
  *response.mutable_balance() = std::move(balance);
  return response;
}

}  // namespace loyalty::program
