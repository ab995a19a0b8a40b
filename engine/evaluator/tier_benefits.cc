// What the member's tier gives on a purchase (rules.proto TierBenefits):
//   - discount_percent: after the campaign discounts and before burning, a
//     percentage of what the basket still costs, rounded down and spread
//     over the lines like a percent_discount rule without `lines:` (so it
//     can never take a line below 0, and it lowers the burn share's base);
//   - earn_multiplier_percent: after base earning, the extra part of the
//     base points, like a multiply_points rule on the whole basket, rounded
//     with earn.rounding;
//   - cashback_basis_points: after base earning, cashback on the amount base
//     cashback is computed on (what is paid in the default order; excluded
//     lines earn nothing), rounded with earn.rounding;
//   - perks: copied into PricedPurchase.perks.
// Each number gets one applied row with rule_id "tier:<id>". Tier benefits
// have no caps and no usage counters. A member whose tier the rule set does
// not have (or has without benefits) gets nothing.
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/base/checked_math.h"
#include "engine/base/error.h"
#include "engine/base/status_macros.h"
#include "engine/evaluator/pricing.h"
#include "engine/evaluator/text.h"

namespace loyalty::evaluator::internal {
namespace {

constexpr int64_t kPercent = 100;
constexpr int64_t kBasisPointsPerWhole = 10000;

loyalty::v1::AppliedRule& AddTierRow(Pricing& pricing) {
  loyalty::v1::AppliedRule& row = *pricing.priced.add_applied();
  row.set_rule_id(pricing.tier->row_id);
  return row;
}

// The row of a money benefit, explained as "Gold tier: 5% off 95.00 EUR =
// 4.75 EUR" (`how` is " off " or " cashback on "); the caller sets the
// amount and may add words.
loyalty::v1::AppliedRule& AddTierMoneyRow(Pricing& pricing,
                                          int64_t basis_points,
                                          absl::string_view how,
                                          int64_t basis_minor,
                                          int64_t amount_minor) {
  const std::string& currency = pricing.rules.program().currency();
  loyalty::v1::AppliedRule& row = AddTierRow(pricing);
  WordBuffer words(row.mutable_explanation());
  words.Add({pricing.tier->title, ": "});
  words.AddBasisPointsPercent(basis_points);
  words.Add(how);
  words.AddMoney(basis_minor, currency);
  words.Add(" = ");
  words.AddMoney(amount_minor, currency);
  return row;
}

absl::Status Overflow(const Pricing& pricing) {
  return InvalidArgument(
      "AMOUNT_OVERFLOW", "purchase.lines",
      absl::StrCat("the points of tier '", pricing.tier->tier->id(), "' on ",
                   Money(pricing.subtotal, pricing.rules.program().currency()),
                   " do not fit in a 64-bit amount"));
}

void AddRoundingNote(const Pricing& pricing, const Rounded& rounded,
                     WordBuffer& words) {
  if (rounded.exact) return;
  words.Add({", ", RoundingWords(pricing.rules.earn().rounding())});
}

// "Gold tier: 150% of 34 points = 51 points (17 extra)", or "2 × 34 points
// = 68 points (34 extra)" as a multiply_points rule says it.
absl::Status ApplyTierMultiplier(Pricing& pricing) {
  const int64_t percent =
      pricing.tier->tier->benefits().earn_multiplier_percent();
  if (percent <= kPercent || pricing.base_points <= 0) return absl::OkStatus();
  const std::optional<Rounded> extra = RoundQuotient(
      static_cast<__int128>(pricing.base_points) * (percent - kPercent),
      kPercent, pricing.rules.earn().rounding());
  if (!extra.has_value()) return Overflow(pricing);
  if (extra->value == 0) return absl::OkStatus();
  const std::optional<int64_t> total =
      CheckedAdd(pricing.priced.points_earned(), extra->value);
  const std::optional<int64_t> multiplied =
      CheckedAdd(pricing.base_points, extra->value);
  if (!total.has_value() || !multiplied.has_value()) return Overflow(pricing);
  pricing.priced.set_points_earned(*total);
  loyalty::v1::AppliedRule& row = AddTierRow(pricing);
  row.set_points(extra->value);
  WordBuffer words(row.mutable_explanation());
  words.Add({pricing.tier->title, ": "});
  words.AddMultiplier(percent);
  words.AddPoints(pricing.base_points);
  words.Add(" = ");
  words.AddPoints(*multiplied);
  words.Add(" (");
  words.AddInteger(extra->value);
  words.Add(" extra");
  AddRoundingNote(pricing, *extra, words);
  words.Add(")");
  return absl::OkStatus();
}

// "Gold tier: 1% cashback on 90.25 EUR = 0.90 EUR (rounded down)"
absl::Status ApplyTierCashback(Pricing& pricing, int64_t basis_minor) {
  const int64_t basis_points =
      pricing.tier->tier->benefits().cashback_basis_points();
  if (basis_points <= 0 || basis_minor <= 0) return absl::OkStatus();
  // basis points <= 10000: the cashback is at most the basis, so it fits.
  const Rounded cashback =
      *RoundQuotient(static_cast<__int128>(basis_minor) * basis_points,
                     kBasisPointsPerWhole, pricing.rules.earn().rounding());
  if (cashback.value == 0) return absl::OkStatus();
  const std::optional<int64_t> total =
      CheckedAdd(pricing.priced.cashback_earned_minor(), cashback.value);
  if (!total.has_value()) return Overflow(pricing);
  pricing.priced.set_cashback_earned_minor(*total);
  loyalty::v1::AppliedRule& row = AddTierMoneyRow(
      pricing, basis_points, " cashback on ", basis_minor, cashback.value);
  row.set_cashback_minor(cashback.value);
  if (!cashback.exact) {
    absl::StrAppend(row.mutable_explanation(), " (",
                    RoundingWords(pricing.rules.earn().rounding()), ")");
  }
  return absl::OkStatus();
}

}  // namespace

const CompiledTier* FindTier(const CompiledProgram& program, int64_t symbol) {
  if (symbol == kUnknownText) return nullptr;
  for (const CompiledTier& tier : program.tiers) {
    if (tier.symbol == symbol) return &tier;
  }
  return nullptr;
}

void ApplyTierDiscount(Pricing& pricing) {
  if (pricing.tier == nullptr) return;
  const int64_t percent = pricing.tier->tier->benefits().discount_percent();
  if (percent <= 0) return;
  int64_t base = 0;
  for (int64_t amount : pricing.net) base += amount;  // at most the subtotal
  // percent <= 100: the quotient is at most base.
  const int64_t total = static_cast<int64_t>(
      static_cast<__int128>(base) * percent / kPercent);
  if (total == 0) return;
  const Amounts shares = Allocate(total, pricing.net);
  for (size_t i = 0; i < shares.size(); ++i) pricing.net[i] -= shares[i];
  pricing.priced.set_discount_minor(pricing.priced.discount_minor() + total);
  // "Gold tier: 5% off 95.00 EUR = 4.75 EUR off" (percent <= 100, so its
  // basis points are at most 10000).
  loyalty::v1::AppliedRule& row =
      AddTierMoneyRow(pricing, percent * (kBasisPointsPerWhole / kPercent),
                      " off ", base, total);
  row.set_discount_minor(total);
  row.mutable_explanation()->append(" off");
}

absl::Status ApplyTierEarning(Pricing& pricing, int64_t basis_minor) {
  if (pricing.tier == nullptr) return absl::OkStatus();
  RETURN_IF_ERROR(ApplyTierMultiplier(pricing));
  RETURN_IF_ERROR(ApplyTierCashback(pricing, basis_minor));
  const auto& perks = pricing.tier->tier->benefits().perks();
  pricing.priced.mutable_perks()->Reserve(perks.size());
  for (const std::string& perk : perks) pricing.priced.add_perks(perk);
  return absl::OkStatus();
}

}  // namespace loyalty::evaluator::internal
