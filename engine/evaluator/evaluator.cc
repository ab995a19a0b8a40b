// PricePurchase in the order evaluator.h documents: request checks, facts,
// promo codes, rule selection, discounts, burning, earning, explanation.
// Every amount is an int64 in minor units or points; products that could
// leave int64 are computed in __int128 or with checked arithmetic, and
// rounding is exact integer division, never floating point, so the same
// inputs give the same bytes.
#include "engine/evaluator/evaluator.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/base/checked_math.h"
#include "engine/base/error.h"
#include "engine/base/status_macros.h"
#include "engine/evaluator/arithmetic.h"
#include "engine/evaluator/pricing.h"
#include "engine/evaluator/text.h"

namespace loyalty::evaluator {
namespace {

using internal::Amounts;
using internal::Money;
using internal::Points;
using internal::Pricing;
using internal::Rounded;
using internal::WordBuffer;
using loyalty::v1::AppliedRule;
using loyalty::v1::PricedPurchase;
using loyalty::v1::Purchase;
using loyalty::v1::RuleSet;

constexpr int64_t kBasisPointsPerWhole = 10000;
constexpr int64_t kMaxBasketSharePercent = 100;

// "up to 50% of the basket (5.00 EUR) may be paid with points and cashback"
std::string CapWords(const RuleSet& rules, int64_t share_cap_minor) {
  return absl::StrCat("up to ", rules.burn().max_basket_share_percent(),
                      "% of the basket (",
                      Money(share_cap_minor, rules.program().currency()),
                      ") may be paid with points and cashback");
}

// --- Burning ---

struct Burn {
  int64_t share_cap_minor = 0;  // most that points and cashback may pay
  int64_t max_redeemable_points = 0;
  int64_t points = 0;
  int64_t points_value_minor = 0;
  int64_t cashback_minor = 0;
};

// Fills share_cap_minor and max_redeemable_points for `base_minor`, the part
// of the basket that points may pay.
Burn BurnLimits(const RuleSet& rules, const MemberState& member,
                int64_t base_minor) {
  Burn burn;
  // base <= INT64_MAX and percent <= 100: the product fits in __int128 and
  // the quotient is at most base, so it fits back into int64.
  burn.share_cap_minor = static_cast<int64_t>(
      static_cast<__int128>(base_minor) *
      rules.burn().max_basket_share_percent() / kMaxBasketSharePercent);
  const int64_t cap_points =
      burn.share_cap_minor / rules.program().point_value_minor();
  // A clawback may leave the balance negative; then nothing is redeemable.
  burn.max_redeemable_points =
      std::max<int64_t>(0, std::min(member.points_available, cap_points));
  return burn;
}

absl::Status CheckPoints(const RuleSet& rules, const MemberState& member,
                         const Purchase& purchase, const Burn& burn) {
  const int64_t requested = purchase.redeem_points();
  if (requested > 0 && requested > member.points_available) {
    return FailedPrecondition(
        "INSUFFICIENT_POINTS", "purchase.redeem_points",
        absl::StrCat("requested ", Points(requested), " but only ",
                     Points(std::max<int64_t>(0, member.points_available)),
                     " are available"));
  }
  if (requested > burn.max_redeemable_points) {
    return FailedPrecondition(
        "REDEEM_LIMIT_EXCEEDED", "purchase.redeem_points",
        absl::StrCat("requested ", Points(requested), " but at most ",
                     Points(burn.max_redeemable_points),
                     " may pay for this basket: ",
                     CapWords(rules, burn.share_cap_minor)));
  }
  return absl::OkStatus();
}

absl::Status CheckCashback(const RuleSet& rules, const MemberState& member,
                           const Purchase& purchase, const Burn& burn) {
  const int64_t requested = purchase.use_cashback_minor();
  const std::string& currency = rules.program().currency();
  if (requested > 0 && requested > member.cashback_minor) {
    return FailedPrecondition(
        "INSUFFICIENT_CASHBACK", "purchase.use_cashback_minor",
        absl::StrCat(
            "requested ", Money(requested, currency), " but the wallet holds ",
            Money(std::max<int64_t>(0, member.cashback_minor), currency)));
  }
  // Compare with what is left under the cap rather than adding, which could
  // overflow for a huge wallet; points never exceed the cap (checked before).
  const int64_t room_minor = burn.share_cap_minor - burn.points_value_minor;
  if (requested > room_minor) {
    return FailedPrecondition(
        "REDEEM_LIMIT_EXCEEDED", "purchase.use_cashback_minor",
        absl::StrCat("requested ", Money(requested, currency), " but at most ",
                     Money(room_minor, currency),
                     " more may be paid with cashback: ",
                     CapWords(rules, burn.share_cap_minor)));
  }
  return absl::OkStatus();
}

absl::StatusOr<Burn> PlanBurn(const RuleSet& rules, const MemberState& member,
                              const Purchase& purchase, int64_t base_minor) {
  Burn burn = BurnLimits(rules, member, base_minor);
  RETURN_IF_ERROR(CheckPoints(rules, member, purchase, burn));
  burn.points = purchase.redeem_points();
  // points <= share_cap / point_value, so the product is at most share_cap.
  burn.points_value_minor = burn.points * rules.program().point_value_minor();
  RETURN_IF_ERROR(CheckCashback(rules, member, purchase, burn));
  burn.cashback_minor = purchase.use_cashback_minor();
  return burn;
}

// Burns on the lines that points may pay, spread in proportion to what is
// left on them; fills pricing.paid. Returns the burn.
absl::StatusOr<Burn> ApplyBurn(Pricing& pricing) {
  Amounts burnable(pricing.net.size(), 0);
  int64_t base_minor = 0;
  for (size_t i = 0; i < pricing.net.size(); ++i) {
    if (pricing.lines[i].no_burn()) continue;
    burnable[i] = pricing.net[i];
    base_minor += pricing.net[i];  // at most the subtotal
  }
  ASSIGN_OR_RETURN(Burn burn, PlanBurn(pricing.rules, pricing.member,
                                       pricing.purchase, base_minor));
  // Both within the share cap, which is at most base_minor: no overflow.
  const Amounts shares =
      internal::Allocate(burn.points_value_minor + burn.cashback_minor, burnable);
  pricing.paid = pricing.net;
  for (size_t i = 0; i < shares.size(); ++i) pricing.paid[i] -= shares[i];
  return burn;
}

// --- Earning ---

struct Earn {
  Rounded points;
  Rounded cashback_minor;
  int64_t basis_minor = 0;  // what earning was computed on
};

absl::StatusOr<Earn> PlanBaseEarn(const Pricing& pricing, const Amounts& basis) {
  const loyalty::v1::EarnSettings& earn = pricing.rules.earn();
  Earn result;
  for (size_t i = 0; i < basis.size(); ++i) {
    if (!pricing.lines[i].no_earn()) result.basis_minor += basis[i];
  }
  // Both factors are below 2^63, so the product is below 2^126.
  std::optional<Rounded> points = internal::RoundQuotient(
      static_cast<__int128>(result.basis_minor) * earn.points(),
      earn.per_minor(), earn.rounding());
  if (!points.has_value()) {
    return InvalidArgument(
        "AMOUNT_OVERFLOW", "purchase.lines",
        absl::StrCat("the points earned on ",
                     Money(result.basis_minor, pricing.rules.program().currency()),
                     " do not fit in a 64-bit amount"));
  }
  // At most the basis, since basis points are at most 10000: always fits.
  std::optional<Rounded> cashback = internal::RoundQuotient(
      static_cast<__int128>(result.basis_minor) * earn.cashback_basis_points(),
      kBasisPointsPerWhole, earn.rounding());
  assert(cashback.has_value());
  result.points = *points;
  result.cashback_minor = *cashback;
  return result;
}

// --- Explanation ---
// Rows are written through a WordBuffer (text.h): no temporary strings.

// " (up to 50% of the basket may be paid with points and cashback)"
void AddShareNote(const RuleSet& rules, WordBuffer& words) {
  words.Add(" (up to ");
  words.AddInteger(rules.burn().max_basket_share_percent());
  words.Add("% of the basket may be paid with points and cashback)");
}

void ExplainBurn(const RuleSet& rules, const Burn& burn,
                 PricedPurchase& priced) {
  const std::string& currency = rules.program().currency();
  if (burn.points != 0) {
    AppliedRule& row = *priced.add_applied();
    row.set_rule_id("points-redeemed");
    row.set_points(-burn.points);
    row.set_value_minor(burn.points_value_minor);
    // "200 points pay 2.00 EUR (up to 50% of ...)"
    WordBuffer words(row.mutable_explanation());
    words.AddPoints(burn.points);
    words.Add(burn.points == 1 ? " pays " : " pay ");
    words.AddMoney(burn.points_value_minor, currency);
    AddShareNote(rules, words);
  }
  if (burn.cashback_minor != 0) {
    AppliedRule& row = *priced.add_applied();
    row.set_rule_id("cashback-used");
    row.set_cashback_minor(-burn.cashback_minor);
    row.set_value_minor(burn.cashback_minor);
    WordBuffer words(row.mutable_explanation());
    words.Add("Cashback wallet pays ");
    words.AddMoney(burn.cashback_minor, currency);
    AddShareNote(rules, words);
  }
}

absl::string_view ExclusionWords(const internal::LineFacts& line) {
  return line.no_earn() && line.no_burn()
             ? "earns nothing and cannot be paid with points or cashback"
         : line.no_earn() ? "earns nothing"
                          : "cannot be paid with points or cashback";
}

// One row per excluded line, so the cashier can tell the customer why.
void ExplainExclusions(const Pricing& pricing) {
  for (size_t i = 0; i < pricing.lines.size(); ++i) {
    const internal::LineFacts& line = pricing.lines[i];
    if (!line.no_earn() && !line.no_burn()) continue;
    AppliedRule& row = *pricing.priced.add_applied();
    row.set_rule_id("excluded");
    // "GC-50 (50.00 EUR) earns nothing ...: excluded by the program"
    WordBuffer words(row.mutable_explanation());
    words.Add({pricing.purchase.lines(i).sku(), " ("});
    words.AddMoney(line.gross, pricing.rules.program().currency());
    words.Add({") ", ExclusionWords(line), ": excluded by the program"});
  }
}

void AddRoundingNote(const Rounded& rounded, loyalty::v1::Rounding rounding,
                     WordBuffer& words) {
  if (rounded.exact) return;
  words.Add({" (", internal::RoundingWords(rounding), ")"});
}

// "paid" in the default order; what earning is computed on otherwise.
absl::string_view BasisWords(loyalty::v1::ApplicationOrder order) {
  switch (order) {
    case loyalty::v1::APPLICATION_ORDER_DISCOUNTS_EARN_BURN:
      return "spent after discounts";
    case loyalty::v1::APPLICATION_ORDER_EARN_DISCOUNTS_BURN:
      return "spent before discounts";
    default:
      return "paid";
  }
}

// "paid: 109.87 EUR paid earns ", the middle of both base earning rows.
void AddBasisWords(const Pricing& pricing, const Earn& earn,
                   WordBuffer& words) {
  const absl::string_view basis = BasisWords(pricing.program.order);
  words.Add({basis, ": "});
  words.AddMoney(earn.basis_minor, pricing.rules.program().currency());
  words.Add({" ", basis, " earns "});
}

// "1 point per 1.00 EUR paid: 109.87 EUR paid earns 109 points (rounded
// down)"
void ExplainBasePoints(const Pricing& pricing, const Earn& earn) {
  const loyalty::v1::EarnSettings& settings = pricing.rules.earn();
  AppliedRule& row = *pricing.priced.add_applied();
  row.set_rule_id("base-earn");
  row.set_points(earn.points.value);
  WordBuffer words(row.mutable_explanation());
  words.AddPoints(settings.points());
  words.Add(" per ");
  words.AddMoney(settings.per_minor(), pricing.rules.program().currency());
  words.Add(" ");
  AddBasisWords(pricing, earn, words);
  words.AddPoints(earn.points.value);
  AddRoundingNote(earn.points, settings.rounding(), words);
}

// "0.5% cashback on what is paid: 109.87 EUR paid earns 0.54 EUR cashback
// (rounded down)"
void ExplainBaseCashback(const Pricing& pricing, const Earn& earn) {
  const loyalty::v1::EarnSettings& settings = pricing.rules.earn();
  AppliedRule& row = *pricing.priced.add_applied();
  row.set_rule_id("base-cashback");
  row.set_cashback_minor(earn.cashback_minor.value);
  WordBuffer words(row.mutable_explanation());
  words.AddBasisPointsPercent(settings.cashback_basis_points());
  words.Add(" cashback on what is ");
  AddBasisWords(pricing, earn, words);
  words.AddMoney(earn.cashback_minor.value, pricing.rules.program().currency());
  words.Add(" cashback");
  AddRoundingNote(earn.cashback_minor, settings.rounding(), words);
}

void ExplainBaseEarn(const Pricing& pricing, const Earn& earn) {
  if (earn.points.value != 0) ExplainBasePoints(pricing, earn);
  if (earn.cashback_minor.value != 0) ExplainBaseCashback(pricing, earn);
}

// The per-line amounts earning is computed on, as the order says.
Amounts EarnBasis(const Pricing& pricing) {
  switch (pricing.program.order) {
    case loyalty::v1::APPLICATION_ORDER_DISCOUNTS_EARN_BURN:
      return pricing.net;
    case loyalty::v1::APPLICATION_ORDER_EARN_DISCOUNTS_BURN: {
      Amounts gross(pricing.lines.size());
      for (size_t i = 0; i < gross.size(); ++i) gross[i] = pricing.lines[i].gross;
      return gross;
    }
    default:
      return pricing.paid;
  }
}

absl::Status Prepare(Pricing& pricing) {
  const RuleSet& rules = pricing.rules;
  RETURN_IF_ERROR(internal::CheckPurchaseHeader(pricing.purchase,
                                                rules.program().currency()));
  ASSIGN_OR_RETURN(pricing.subtotal, internal::CheckLines(pricing.purchase));
  RETURN_IF_ERROR(internal::CheckPaymentRequest(pricing.purchase));
  if (!pricing.member.member_id.empty() &&
      pricing.member.member_id != pricing.purchase.member_id()) {
    // The caller read the wrong member: a bug in the caller, not the client.
    return absl::InternalError(absl::StrCat(
        "member state of '", pricing.member.member_id,
        "' used to price a purchase of '", pricing.purchase.member_id(), "'"));
  }
  pricing.local = absl::ToCivilSecond(pricing.now, pricing.program.zone);
  internal::FillFacts(pricing);
  pricing.tier = internal::FindTier(pricing.program,
                                    pricing.facts.slot[internal::kSlotTier]);
  RETURN_IF_ERROR(internal::CheckPromoCodes(pricing));
  internal::SelectRules(pricing);
  return absl::OkStatus();
}

// The most applied rows this purchase can get, known after selection:
// reserving them grows the row array once instead of doubling it.
int MaxRows(const Pricing& pricing) {
  // Points and cashback redeemed, base points and cashback, and the tier's
  // discount, points and cashback.
  size_t rows = 7;
  for (const internal::LineFacts& line : pricing.lines) {
    rows += line.exclusion != 0 ? 1 : 0;
  }
  rows += pricing.selected.size() + pricing.used_up.size() +
          pricing.codes.size();
  return static_cast<int>(rows);  // at most 1000 lines + 500 rules + 14
}

// Both PricePurchase forms: fills `priced`, which is empty, wherever it
// lives (the stack or an arena).
absl::Status Price(const CompiledRules& rules, const MemberState& member,
                   const ProgramState& program, const Purchase& purchase,
                   absl::Time now, PricedPurchase& priced) {
  Pricing pricing(rules, member, program, purchase, now, priced);
  RETURN_IF_ERROR(Prepare(pricing));
  priced.mutable_applied()->Reserve(MaxRows(pricing));
  RETURN_IF_ERROR(internal::ApplyDiscounts(pricing));
  internal::ApplyTierDiscount(pricing);
  ASSIGN_OR_RETURN(const Burn burn, ApplyBurn(pricing));
  const Amounts basis = EarnBasis(pricing);
  ASSIGN_OR_RETURN(const Earn earn, PlanBaseEarn(pricing, basis));
  priced.set_points_earned(earn.points.value);
  priced.set_cashback_earned_minor(earn.cashback_minor.value);
  pricing.base_points = earn.points.value;
  ExplainExclusions(pricing);
  ExplainBurn(rules.rule_set(), burn, priced);
  ExplainBaseEarn(pricing, earn);
  RETURN_IF_ERROR(internal::ApplyTierEarning(pricing, earn.basis_minor));
  RETURN_IF_ERROR(internal::ApplyEarning(pricing, basis));
  internal::ExplainUsedUp(pricing);
  internal::RecordPromoCodes(pricing);

  int64_t net_minor = 0;
  for (int64_t amount : pricing.net) net_minor += amount;
  priced.set_currency(rules.rule_set().program().currency());
  priced.set_subtotal_minor(pricing.subtotal);
  priced.set_redeemed_points(burn.points);
  priced.set_redeemed_value_minor(burn.points_value_minor);
  priced.set_cashback_used_minor(burn.cashback_minor);
  // Burning stays within the share cap, at most the net: never negative.
  priced.set_total_due_minor(net_minor - burn.points_value_minor -
                             burn.cashback_minor);
  assert(priced.total_due_minor() >= 0);
  priced.set_max_redeemable_points(burn.max_redeemable_points);
  priced.set_tier(member.tier);
  priced.set_rules_version(rules.version());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PricedPurchase> PricePurchase(const CompiledRules& rules,
                                             const MemberState& member,
                                             const ProgramState& program,
                                             const Purchase& purchase,
                                             absl::Time now) {
  PricedPurchase priced;
  RETURN_IF_ERROR(Price(rules, member, program, purchase, now, priced));
  return priced;
}

absl::StatusOr<PricedPurchase*> PricePurchase(const CompiledRules& rules,
                                              const MemberState& member,
                                              const ProgramState& program,
                                              const Purchase& purchase,
                                              absl::Time now,
                                              google::protobuf::Arena& arena) {
  PricedPurchase* priced =
      google::protobuf::Arena::CreateMessage<PricedPurchase>(&arena);
  RETURN_IF_ERROR(Price(rules, member, program, purchase, now, *priced));
  return priced;
}

absl::StatusOr<PricedPurchase> PricePurchase(const CompiledRules& rules,
                                             const MemberState& member,
                                             const Purchase& purchase,
                                             absl::Time now) {
  static const ProgramState* const kNothingSpent = new ProgramState();
  return PricePurchase(rules, member, *kNothingSpent, purchase, now);
}

const absl::TimeZone& CompiledRules::time_zone() const { return program_->zone; }

bool ValidAt(const CompiledRules& rules, const loyalty::v1::Validity& validity,
             absl::Time now) {
  return internal::WindowHolds(internal::MakeWindow(validity), now,
                               absl::ToCivilSecond(now, rules.time_zone()));
}

}  // namespace loyalty::evaluator
