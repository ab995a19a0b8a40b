#include "engine/program/purchase_entry.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "engine/base/time_util.h"
#include "engine/ledger/accounts.h"
#include "engine/program/postings.h"

namespace loyalty::program {

loyalty::v1::JournalEntry PurchaseEntry(
    const loyalty::v1::Purchase& purchase,
    const loyalty::v1::PricedPurchase& priced, absl::Time purchase_time,
    const LotDates& earned) {
  using ledger::kPointsAsset;
  const std::string& member = purchase.member_id();
  const std::string& currency = priced.currency();
  loyalty::v1::JournalEntry entry;
  entry.set_kind(loyalty::v1::ENTRY_KIND_PURCHASE);
  entry.set_member_id(member);
  entry.set_order_id(purchase.order_id());
  entry.set_partner_id(purchase.partner_id());
  entry.set_store_id(purchase.store_id());
  entry.set_terminal_id(purchase.terminal_id());
  entry.set_rules_version(priced.rules_version());
  *entry.mutable_effective_time() = ToTimestamp(purchase_time);
  loyalty::v1::PurchaseSummary* summary = entry.mutable_purchase();
  summary->set_currency(currency);
  summary->set_subtotal_minor(priced.subtotal_minor());
  summary->set_discount_minor(priced.discount_minor());
  summary->set_total_due_minor(priced.total_due_minor());
  summary->set_tier(priced.tier());
  summary->set_channel(purchase.channel());
  entry.set_description(absl::StrCat("purchase ", purchase.order_id(), ": ",
                                     priced.total_due_minor(), " ", currency,
                                     " minor paid"));
  Move(&entry, ledger::MemberPointsAvailable(member),
       ledger::kProgramPointsRedeemed, kPointsAsset, priced.redeemed_points());
  Move(&entry, ledger::MemberCashback(member, currency),
       ledger::ProgramCashbackRedeemed(currency), currency,
       priced.cashback_used_minor());
  Move(&entry, ledger::kProgramPointsIssued,
       earned.release ? ledger::MemberPointsPending(member)
                      : ledger::MemberPointsAvailable(member),
       kPointsAsset, priced.points_earned());
  if (priced.points_earned() > 0) {
    loyalty::v1::Posting& credit = *entry.mutable_postings()->rbegin();
    if (earned.release) *credit.mutable_lot_release_time() = ToTimestamp(*earned.release);
    if (earned.expiry) *credit.mutable_lot_expire_time() = ToTimestamp(*earned.expiry);
  }
  Move(&entry, ledger::ProgramCashbackIssued(currency),
       ledger::MemberCashback(member, currency), currency,
       priced.cashback_earned_minor());
  return entry;
}

}  // namespace loyalty::program
