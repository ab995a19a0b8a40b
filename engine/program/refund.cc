#include "engine/program/refund.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/analytics/counters.h"
#include "engine/base/error.h"
#include "engine/base/status_macros.h"
#include "engine/ledger/accounts.h"
#include "engine/program/member_view.h"
#include "engine/program/partners.h"
#include "engine/program/postings.h"
#include "engine/program/referral.h"
#include "engine/program/tiers.h"
#include "engine/program/upkeep.h"

namespace loyalty::program {
namespace {

using loyalty::v1::JournalEntry;
using loyalty::v1::OrderRecord;
using loyalty::v1::RefundAmounts;

// x scaled to the refunded share, rounded down; exactly x at the full share.
int64_t Share(int64_t x, int64_t refunded_subtotal, int64_t subtotal) {
  if (refunded_subtotal >= subtotal) return x;
  return static_cast<int64_t>((__int128)x * refunded_subtotal / subtotal);
}

// What the whole order's refund moves, at a refunded subtotal.
RefundAmounts Targets(const OrderRecord& order, int64_t refunded_subtotal) {
  const auto& priced = order.priced();
  const int64_t subtotal = priced.subtotal_minor();
  RefundAmounts amounts;
  amounts.set_subtotal_minor(refunded_subtotal);
  amounts.set_money_minor(Share(priced.total_due_minor(), refunded_subtotal, subtotal));
  amounts.set_points_reversed(Share(priced.points_earned(), refunded_subtotal, subtotal));
  amounts.set_cashback_reversed_minor(
      Share(priced.cashback_earned_minor(), refunded_subtotal, subtotal));
  amounts.set_points_returned(Share(priced.redeemed_points(), refunded_subtotal, subtotal));
  amounts.set_cashback_returned_minor(
      Share(priced.cashback_used_minor(), refunded_subtotal, subtotal));
  return amounts;
}

// The refunded subtotal after this request, checking every line asked for.
absl::StatusOr<int64_t> RefundLines(const loyalty::v1::RefundPurchaseRequest& request,
                                    OrderRecord* order) {
  const auto& lines = order->purchase().lines();
  order->mutable_refunded_quantity()->Resize(lines.size(), 0);
  std::vector<int64_t> asked(lines.size(), 0);
  if (request.lines().empty()) {
    for (int i = 0; i < lines.size(); ++i) {
      asked[i] = lines[i].quantity() - order->refunded_quantity(i);
    }
  }
  for (int i = 0; i < request.lines_size(); ++i) {
    const auto& line = request.lines(i);
    const std::string field = absl::StrCat("lines[", i, "]");
    if (line.line_index() < 0 || line.line_index() >= lines.size()) {
      return InvalidArgument("UNKNOWN_LINE", field + ".line_index",
                             absl::StrCat("the order has ", lines.size(), " lines"));
    }
    if (line.quantity() <= 0) {
      return InvalidArgument("INVALID_QUANTITY", field + ".quantity", "must be > 0");
    }
    asked[line.line_index()] += line.quantity();
  }
  int64_t subtotal = order->refunded().subtotal_minor();
  bool any = false;
  for (int i = 0; i < lines.size(); ++i) {
    const int64_t left = lines[i].quantity() - order->refunded_quantity(i);
    if (asked[i] > left) {
      return FailedPrecondition(
          left == 0 ? "ALREADY_REFUNDED" : "REFUND_EXCEEDS_PURCHASE", "lines",
          absl::StrCat("line ", i, " has ", left, " left to refund, ", asked[i],
                       " asked"));
    }
    order->set_refunded_quantity(i, order->refunded_quantity(i) + asked[i]);
    subtotal += asked[i] * lines[i].unit_price_minor();  // bounded by the order
    any |= asked[i] > 0;
  }
  if (!any) {
    return FailedPrecondition("ALREADY_REFUNDED", "order_id",
                              "everything in this order is refunded already");
  }
  return subtotal;
}

// Gives `amount` burned points back into the lots they came from: the most
// recently taken first, skipping what earlier refunds gave back.
// Points that fill a negative balance (`hole`) make no lot: they come back
// as the program's, untagged, so that partner-funded points stay in lots.
void ReturnPoints(const OrderRecord& order, int64_t returned_before, int64_t amount,
                  int64_t hole, const std::string& member, JournalEntry* entry) {
  int64_t skip = returned_before;
  for (int i = order.burned_lots_size() - 1; i >= 0 && amount > 0; --i) {
    const auto& lot = order.burned_lots(i);
    const int64_t skipped = std::min(skip, lot.remaining());
    skip -= skipped;
    const int64_t take = std::min(amount, lot.remaining() - skipped);
    if (take == 0) continue;
    const int64_t filling = std::min(take, hole);
    hole -= filling;
    Move(entry, ledger::PointsRedeemed(order.settlement_partner_id()),
         ledger::MemberPointsAvailable(member), ledger::kPointsAsset, filling);
    amount -= filling;
    if (take == filling) continue;
    // Back from the partner the order burned at, into a lot of its funder.
    Post(entry, ledger::PointsRedeemed(order.settlement_partner_id()),
         ledger::kPointsAsset, filling - take)
        ->set_lot_partner_id(lot.partner_id());
    loyalty::v1::Posting* credit =
        Post(entry, ledger::MemberPointsAvailable(member), ledger::kPointsAsset,
             take - filling);
    credit->set_lot_partner_id(lot.partner_id());
    *credit->mutable_lot_earn_time() = lot.earn_time();
    if (lot.has_expire_time()) *credit->mutable_lot_expire_time() = lot.expire_time();
    amount -= take - filling;
  }
}

// Takes back `points` earned points: first what is still pending of the
// order's own lot, then available points, following the clawback policy.
// `preview`: the member as the entry so far leaves it.
void ReversePoints(const loyalty::v1::MemberRecord& preview,
                   int64_t order_sequence, int64_t points, int64_t pending,
                   int64_t available, int64_t wallet,
                   int64_t point_value, loyalty::v1::ClawbackPolicy policy,
                   const std::string& member, const std::string& currency,
                   JournalEntry* entry, RefundAmounts* moved) {
  // The order's own lots first, each part back to the funder of its lot.
  const auto issued_of = [](const std::string& funder) {
    return ledger::PointsIssued(funder);
  };
  const int64_t from_pending = std::min(points, pending);
  DebitLots(preview, from_pending, order_sequence, issued_of, entry, /*pending=*/true);
  points -= from_pending;
  const int64_t covered = std::min(points, std::max<int64_t>(available, 0));
  int64_t short_points = points - covered;
  moved->set_points_short(short_points);
  DebitLots(preview, covered, order_sequence, issued_of, entry);
  if (short_points == 0) return;
  if (policy == loyalty::v1::CLAWBACK_POLICY_FORGIVE) {
    moved->set_points_forgiven(short_points);
    moved->set_points_reversed(from_pending + covered);
    return;
  }
  if (policy == loyalty::v1::CLAWBACK_POLICY_CASHBACK && point_value > 0) {
    const int64_t paid = std::min(short_points, wallet / point_value);
    if (paid > 0) {
      Move(entry, ledger::MemberCashback(member, currency),
           ledger::ProgramCashbackIssued(currency), currency,
           paid * point_value);
      moved->set_cashback_taken_for_points_minor(paid * point_value);
      short_points -= paid;
    }
  }
  if (short_points == 0) return;
  moved->set_points_left_negative(short_points);
  TakePointsBelowZero(entry, member, short_points);
}

// The record of the order a refund names, under `key`; the order must be
// the member's when the request names one.
absl::StatusOr<OrderRecord> LoadOrder(
    const loyalty::v1::RefundPurchaseRequest& request, const std::string& key,
    ledger::Transaction& transaction) {
  ASSIGN_OR_RETURN(auto stored, transaction.GetAux(key));
  if (!stored.has_value()) {
    return NotFound("UNKNOWN_ORDER", "order_id",
                    absl::StrCat("no committed order ", Quoted(request.order_id())));
  }
  OrderRecord order;
  if (!ReadStoredOrder(*stored, request.partner_id(), request.order_id(),
                       &order)) {
    // Not an answer to keep: the order exists, its record is damaged.
    return MakeError(absl::StatusCode::kDataLoss, "STORED_RECORD_UNREADABLE",
                     "order_id",
                     absl::StrCat("the record of order '", request.order_id(),
                                  "' cannot be read; nothing was refunded"));
  }
  if (!request.member_id().empty() &&
      request.member_id() != order.purchase().member_id()) {
    return InvalidArgument("ORDER_MEMBER_MISMATCH", "member_id",
                           "the order belongs to another member");
  }
  return order;
}

// What the whole order's refund moves before and after this request, and
// what this request moves: the difference (see the top of refund.h).
struct RefundShares {
  RefundAmounts before;
  RefundAmounts after;
  int64_t refunded_subtotal = 0;  // after this request
  // The difference; the cashback taken back and the points figures of the
  // clawback are settled as the entry is built.
  RefundAmounts moved;
};

// The shares of a refund of the lines `request` asks for, which it marks
// refunded in `order`.
absl::StatusOr<RefundShares> SharesOf(
    const loyalty::v1::RefundPurchaseRequest& request, OrderRecord* order) {
  RefundShares shares;
  shares.before = Targets(*order, order->refunded().subtotal_minor());
  ASSIGN_OR_RETURN(shares.refunded_subtotal, RefundLines(request, order));
  shares.after = Targets(*order, shares.refunded_subtotal);
  const RefundAmounts& before = shares.before;
  const RefundAmounts& after = shares.after;
  RefundAmounts& moved = shares.moved;
  moved.set_currency(order->priced().currency());
  moved.set_subtotal_minor(after.subtotal_minor() - before.subtotal_minor());
  moved.set_money_minor(after.money_minor() - before.money_minor());
  moved.set_points_returned(after.points_returned() - before.points_returned());
  moved.set_cashback_returned_minor(after.cashback_returned_minor() -
                                    before.cashback_returned_minor());
  moved.set_points_reversed(after.points_reversed() - before.points_reversed());
  return shares;
}

// The refund entry of `order`, without postings.
JournalEntry RefundEntry(const OrderRecord& order,
                         const evaluator::CompiledRules& rules) {
  JournalEntry entry;
  entry.set_kind(loyalty::v1::ENTRY_KIND_REFUND);
  entry.set_member_id(order.purchase().member_id());
  entry.set_order_id(order.purchase().order_id());
  entry.set_partner_id(order.purchase().partner_id());
  entry.set_store_id(order.purchase().store_id());
  entry.set_rules_version(rules.version());
  return entry;
}

// Gives back what paid for the refunded part (points into their lots,
// cashback) and takes back the cashback it earned, as far as the wallet
// (plus what this refund gives back) holds: cashback is money and never
// goes negative. `record`: the member before this entry.
void PostReturns(const OrderRecord& order,
                 const loyalty::v1::MemberRecord& record, RefundShares* shares,
                 JournalEntry* entry) {
  const std::string& member = order.purchase().member_id();
  const std::string& currency = order.priced().currency();
  RefundAmounts& moved = shares->moved;
  const int64_t cashback_due = shares->after.cashback_reversed_minor() -
                               shares->before.cashback_reversed_minor();
  const int64_t wallet_after_return =
      CashbackIn(record, currency) + moved.cashback_returned_minor();
  moved.set_cashback_reversed_minor(std::min(cashback_due, wallet_after_return));
  ReturnPoints(order, shares->before.points_returned(), moved.points_returned(),
               std::max<int64_t>(-record.points_available(), 0), member, entry);
  if (moved.cashback_returned_minor() > 0) {
    Move(entry, ledger::ProgramCashbackRedeemed(currency),
         ledger::MemberCashback(member, currency), currency,
         moved.cashback_returned_minor());
  }
  if (moved.cashback_reversed_minor() > 0) {
    Move(entry, ledger::MemberCashback(member, currency),
         ledger::ProgramCashbackIssued(currency), currency,
         moved.cashback_reversed_minor());
  }
}

// Takes back the points the refunded part earned (ReversePoints), planned
// on the member as the entry so far leaves it. `record`: the member before
// this entry.
absl::Status ClawBackPoints(const OrderRecord& order,
                            const loyalty::v1::MemberRecord& record,
                            const evaluator::CompiledRules& rules,
                            RefundAmounts* moved, JournalEntry* entry) {
  int64_t pending_of_order = 0;
  for (const auto& lot : record.pending_lots()) {
    if (lot.sequence() == order.sequence()) pending_of_order += lot.remaining();
  }
  const std::string& currency = order.priced().currency();
  const int64_t wallet_after_return =
      CashbackIn(record, currency) + moved->cashback_returned_minor();
  ASSIGN_OR_RETURN(const loyalty::v1::MemberRecord preview,
                   ledger::ApplyMemberPostings(record, *entry));
  ReversePoints(preview, order.sequence(), moved->points_reversed(),
                pending_of_order,
                record.points_available() + moved->points_returned(),
                wallet_after_return - moved->cashback_reversed_minor(),
                rules.rule_set().program().point_value_minor(),
                rules.rule_set().refund().clawback(),
                order.purchase().member_id(), currency, entry, moved);
  return absl::OkStatus();
}

// The refund's money side and description, for audits and metrics.
void DescribeRefund(const OrderRecord& order, const RefundAmounts& moved,
                    JournalEntry* entry) {
  const std::string& currency = order.priced().currency();
  loyalty::v1::PurchaseSummary* summary = entry->mutable_purchase();
  summary->set_currency(currency);
  summary->set_subtotal_minor(-moved.subtotal_minor());
  summary->set_total_due_minor(-moved.money_minor());
  summary->set_tier(order.priced().tier());
  entry->set_description(
      absl::StrCat("refund of order ", order.purchase().order_id(), ": ",
                   moved.money_minor(), " ", currency, " minor back"));
  entry->set_point_value_minor(order.point_value_minor());
}

// Campaign budget and cap usage come back in the refunded share.
void GiveBackUsage(const OrderRecord& order, const RefundShares& shares,
                   loyalty::v1::MemberRecord* member,
                   ledger::Transaction& transaction) {
  const int64_t subtotal = order.priced().subtotal_minor();
  for (const auto& usage : order.priced().usage()) {
    const int64_t back =
        Share(usage.amount(), shares.refunded_subtotal, subtotal) -
        Share(usage.amount(), shares.before.subtotal_minor(), subtotal);
    for (const std::string& key : usage.member_usage_keys()) {
      auto it = member->mutable_rule_usage()->find(key);
      if (it != member->mutable_rule_usage()->end()) {
        it->second = std::max<int64_t>(it->second - back, 0);
      }
    }
    if (usage.count_budget() && back > 0) {
      transaction.AddCounter(absl::StrCat("budget/", usage.rule_id()), 0, -back);
    }
  }
}

// After the entry is appended, in the same write: the referral's month
// freed, usage and tier progress given back (the tier itself waits for its
// review), the metrics counted, and the order's record, under `key`, marked
// refunded. Returns the member as it ends.
absl::StatusOr<loyalty::v1::MemberRecord*> RecordRefund(
    const std::string& key, const RefundShares& shares, bool referral_reversed,
    const evaluator::CompiledRules& rules, const JournalEntry& entry,
    ledger::Transaction& transaction, OrderRecord* order) {
  if (referral_reversed) RETURN_IF_ERROR(FreeReferral(*order, transaction));
  ASSIGN_OR_RETURN(loyalty::v1::MemberRecord * member,
                   transaction.MutableMember(order->purchase().member_id()));
  GiveBackUsage(*order, shares, member, transaction);
  const bool all_refunded_now = std::equal(
      order->refunded_quantity().begin(), order->refunded_quantity().end(),
      order->purchase().lines().begin(), order->purchase().lines().end(),
      [](int64_t refunded, const auto& line) {
        return refunded == line.quantity();
      });
  AddQualifying(rules, order->qualifying_period(), -shares.moved.money_minor(),
                -shares.moved.points_reversed(), all_refunded_now ? -1 : 0,
                transaction.now(), member);
  analytics::CountRefund(entry, *member, transaction);
  *order->mutable_refunded() = shares.after;
  transaction.PutAux(key, StoredOrder(*order));
  return member;
}

}  // namespace

absl::StatusOr<std::string> DecideRefund(
    const loyalty::v1::RefundPurchaseRequest& request,
    const evaluator::CompiledRules& rules, ledger::Transaction& transaction) {
  const std::string key = OrderKey(request.partner_id(), request.order_id());
  ASSIGN_OR_RETURN(OrderRecord order, LoadOrder(request, key, transaction));
  ASSIGN_OR_RETURN(RefundShares shares, SharesOf(request, &order));
  // Releases and expiries due come first, so that the reversal sees where
  // the order's points are now.
  const std::string& member = order.purchase().member_id();
  RETURN_IF_ERROR(RunUpkeep(rules, transaction, member).status());
  ASSIGN_OR_RETURN(const loyalty::v1::MemberRecord* record,
                   transaction.Member(member));
  JournalEntry entry = RefundEntry(order, rules);
  PostReturns(order, *record, &shares, &entry);
  RETURN_IF_ERROR(ClawBackPoints(order, *record, rules, &shares.moved, &entry));
  DescribeRefund(order, shares.moved, &entry);
  ASSIGN_OR_RETURN(const bool referral_reversed,
                   ReverseReferral(&order, shares.after.money_minor(),
                                   shares.refunded_subtotal >=
                                       order.priced().subtotal_minor(),
                                   transaction, &entry));
  ASSIGN_OR_RETURN(const int64_t sequence, transaction.Append(entry));
  loyalty::v1::OrderRefund* made = order.add_refunds();
  made->set_sequence(sequence);
  *made->mutable_lines() = request.lines();
  ASSIGN_OR_RETURN(loyalty::v1::MemberRecord * after,
                   RecordRefund(key, shares, referral_reversed, rules, entry,
                                transaction, &order));
  loyalty::v1::RefundPurchaseResponse response;
  response.set_transaction_id(absl::StrCat(sequence));
  *response.mutable_refunded() = shares.moved;
  *response.mutable_balance() = BalanceAt(rules, *after, transaction.now());
  return response.SerializeAsString();
}

}  // namespace loyalty::program
