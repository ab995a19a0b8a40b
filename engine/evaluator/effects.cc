// What the selected campaign rules give: discounts (on the line amounts left
// by the rules before them) and earning (points, multipliers, bonuses,
// cashback, gifts), each reduced to what is left of its caps, explained in
// one applied row and recorded in one usage row.
//
// Each step first works out the numbers (a plan), and only a rule that gives
// something gets words: they are written straight into its row's
// explanation, so a row costs no temporary strings (the budget is a
// few microseconds for ~20 rows).
#include <algorithm>
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

using Mask = absl::InlinedVector<uint8_t, 16>;

constexpr int64_t kBasisPointsPerWhole = 10000;
constexpr int64_t kPercent = 100;

Mask MatchingLines(Pricing& pricing, const CompiledRule& rule) {
  Mask mask(pricing.lines.size(), 1);
  if (!rule.line_scoped) return mask;
  for (size_t i = 0; i < pricing.line_facts.size(); ++i) {
    mask[i] = rule.lines.Evaluate(pricing.line_facts[i]);
  }
  return mask;
}

const std::string& Currency(const Pricing& pricing) {
  return pricing.rules.program().currency();
}

absl::string_view Scope(const CompiledRule& rule) {
  return rule.line_scoped ? " of matching items" : "";
}

struct Benefit {
  int64_t points = 0;
  int64_t discount_minor = 0;
  int64_t cashback_minor = 0;
  int64_t gifts = 0;
  int64_t InUnit(CapUnit unit) const {
    return unit == CapUnit::kPoints ? points
           : unit == CapUnit::kGifts ? gifts
                                     : discount_minor + cashback_minor;
  }
};

void AddUnit(const Pricing& pricing, CapUnit unit, int64_t amount,
             WordBuffer& words) {
  switch (unit) {
    case CapUnit::kPoints:
      words.AddPoints(amount);
      return;
    case CapUnit::kMoney:
      words.AddMoney(amount, Currency(pricing));
      return;
    case CapUnit::kGifts:
      words.AddInteger(amount);
      words.Add(amount == 1 ? " gift" : " gifts");
      return;
  }
}

// "; limited to 3 points by the per-order cap of 3 points": why a benefit
// was reduced to what its caps leave.
void AddCapNote(const Pricing& pricing, const SelectedRule& selected,
                WordBuffer& words) {
  const Allowance& allowance = selected.allowance;
  const CapUnit unit = selected.rule->unit;
  words.Add("; limited to ");
  AddUnit(pricing, unit, allowance.left, words);
  words.Add({allowance.used_before ? ", what is left of" : " by", " the ",
             allowance.what, " of "});
  AddUnit(pricing, unit, allowance.cap, words);
}

void RecordUsage(Pricing& pricing, const SelectedRule& selected,
                 const Benefit& benefit) {
  const CompiledRule& rule = *selected.rule;
  const loyalty::v1::Caps& caps = rule.rule->caps();
  if (selected.promo_code >= 0) pricing.code_gave[selected.promo_code] = true;
  // Only what a counter must remember: per-member caps and budgets.
  if (!rule.member_capped && !caps.has_budget()) return;
  loyalty::v1::RuleUsage& usage = *pricing.priced.add_usage();
  usage.set_rule_id(rule.rule->id());
  usage.set_points(benefit.points);
  usage.set_discount_minor(benefit.discount_minor);
  usage.set_cashback_minor(benefit.cashback_minor);
  usage.set_gift_quantity(benefit.gifts);
  usage.set_amount(benefit.InUnit(rule.unit));
  const std::string& id = rule.rule->id();
  const PeriodKeys& periods = pricing.periods;  // filled when member-capped
  if (caps.has_per_member_per_day()) {
    usage.add_member_usage_keys(absl::StrCat(id, "/day/", periods.day));
  }
  if (caps.has_per_member_per_month()) {
    usage.add_member_usage_keys(absl::StrCat(id, "/month/", periods.month));
  }
  if (caps.has_per_member_per_year()) {
    usage.add_member_usage_keys(absl::StrCat(id, "/year/", periods.year));
  }
  usage.set_count_budget(caps.has_budget());
}

// Adds the rule's applied row (and usage row); returns its explanation for
// the caller to write.
std::string* AddRow(Pricing& pricing, const SelectedRule& selected,
                    const Benefit& benefit, bool capped) {
  loyalty::v1::AppliedRule& row = *pricing.priced.add_applied();
  row.set_rule_id(selected.rule->rule->id());
  row.set_points(benefit.points);
  row.set_discount_minor(benefit.discount_minor);
  row.set_cashback_minor(benefit.cashback_minor);
  row.set_gift_quantity(benefit.gifts);
  row.set_capped(capped);
  RecordUsage(pricing, selected, benefit);
  return row.mutable_explanation();
}

// --- Discounts ---

struct DiscountPlan {
  Amounts weights;  // how the discount spreads over the lines
  int64_t total = 0;
  // What the words need.
  int64_t percent = 0;  // percent discounts and volume bands
  int64_t base = 0;     // what the percentage was taken of
  int64_t units = 0;    // items counted by a per-item fixed discount
  const loyalty::v1::VolumeBand* band = nullptr;
};

int64_t PercentOf(int64_t base, int64_t percent) {
  // percent <= 100: the quotient is at most base.
  return static_cast<int64_t>(static_cast<__int128>(base) * percent / kPercent);
}

DiscountPlan PercentPlan(const Pricing& pricing, const Mask& mask,
                         int64_t percent) {
  DiscountPlan plan;
  plan.percent = percent;
  plan.weights.resize(mask.size(), 0);
  for (size_t i = 0; i < mask.size(); ++i) {
    if (!mask[i]) continue;
    plan.weights[i] = pricing.net[i];
    plan.base += pricing.net[i];  // at most the subtotal
  }
  plan.total = PercentOf(plan.base, percent);
  return plan;
}

DiscountPlan FixedPlan(const Pricing& pricing, const Mask& mask,
                       const CompiledRule& rule) {
  const int64_t amount = rule.rule->fixed_discount().amount_minor();
  DiscountPlan plan;
  plan.weights.resize(mask.size(), 0);
  int64_t room = 0;
  for (size_t i = 0; i < mask.size(); ++i) {
    if (!mask[i]) continue;
    plan.units += pricing.lines[i].quantity;
    room += pricing.net[i];
    const std::optional<int64_t> off =
        CheckedMul(amount, pricing.lines[i].quantity);
    // Per unit on matching lines; never more than the line has left.
    plan.weights[i] = rule.line_scoped
                          ? std::min(off.value_or(pricing.net[i]), pricing.net[i])
                          : pricing.net[i];
    if (rule.line_scoped) plan.total += plan.weights[i];
  }
  if (!rule.line_scoped) plan.total = std::min(amount, room);
  return plan;
}

std::optional<DiscountPlan> PlanDiscount(Pricing& pricing,
                                         const CompiledRule& rule) {
  const Mask mask = MatchingLines(pricing, rule);
  switch (rule.kind) {
    case EffectKind::kPercentDiscount:
      return PercentPlan(pricing, mask, rule.rule->percent_discount().percent());
    case EffectKind::kFixedDiscount:
      return FixedPlan(pricing, mask, rule);
    case EffectKind::kVolumeLadder: {
      const loyalty::v1::VolumeBand* band = nullptr;
      for (const loyalty::v1::VolumeBand& each : rule.rule->volume_ladder().bands()) {
        if (each.from_minor() <= pricing.subtotal) band = &each;
      }
      if (band == nullptr || band->percent() == 0) return std::nullopt;
      DiscountPlan plan = PercentPlan(pricing, mask, band->percent());
      plan.band = band;
      return plan;
    }
    default:
      return std::nullopt;
  }
}

// "0.50 EUR off each of 2 matching items = 1.00 EUR off", or for the whole
// basket "5.00 EUR off (no more than the basket)".
void AddFixedWords(const Pricing& pricing, const CompiledRule& rule,
                   const DiscountPlan& plan, WordBuffer& words) {
  const int64_t amount = rule.rule->fixed_discount().amount_minor();
  const std::string& currency = Currency(pricing);
  if (!rule.line_scoped) {
    words.AddMoney(plan.total, currency);
    words.Add(plan.total < amount ? " off (no more than the basket)" : " off");
    return;
  }
  words.AddMoney(amount, currency);
  words.Add(" off each of ");
  words.AddInteger(plan.units);
  words.Add(" matching items = ");
  words.AddMoney(plan.total, currency);
  words.Add(" off");
}

// "[subtotal 124.81 EUR reaches the band from 50.00 EUR: ]5% off 43.92 EUR
// of matching items = 2.19 EUR off"
void AddDiscountWords(const Pricing& pricing, const CompiledRule& rule,
                      const DiscountPlan& plan, WordBuffer& words) {
  if (rule.kind == EffectKind::kFixedDiscount) {
    AddFixedWords(pricing, rule, plan, words);
    return;
  }
  const std::string& currency = Currency(pricing);
  if (plan.band != nullptr) {
    words.Add("subtotal ");
    words.AddMoney(pricing.subtotal, currency);
    words.Add(" reaches the band from ");
    words.AddMoney(plan.band->from_minor(), currency);
    words.Add(": ");
  }
  words.AddInteger(plan.percent);
  words.Add("% off ");
  words.AddMoney(plan.base, currency);
  words.Add({Scope(rule), " = "});
  words.AddMoney(plan.total, currency);
  words.Add(" off");
}

// --- Earning ---

// One earning rule's benefit before caps, and what its words need.
struct EarningPlan {
  Benefit benefit;
  int64_t spent = 0;  // on the lines the rule counts
  int64_t base = 0;   // multipliers: the points multiplied
};

int64_t SumEarning(const Pricing& pricing, const Mask& mask,
                   const Amounts& basis) {
  int64_t sum = 0;
  for (size_t i = 0; i < mask.size(); ++i) {
    if (mask[i] && !pricing.lines[i].no_earn()) sum += basis[i];
  }
  return sum;  // at most the subtotal
}

absl::Status Overflow(const Pricing& pricing, const CompiledRule& rule) {
  return InvalidArgument("AMOUNT_OVERFLOW", "purchase.lines",
                         absl::StrCat("the points of rule '", rule.rule->id(),
                                      "' on ",
                                      Money(pricing.subtotal, Currency(pricing)),
                                      " do not fit in a 64-bit amount"));
}

// The extra points of a multiplier: on the base earning, or for a line
// condition on the base earning of the matching lines.
absl::Status PlanMultiplier(const Pricing& pricing, const CompiledRule& rule,
                            EarningPlan& plan) {
  const loyalty::v1::Rounding rounding = pricing.rules.earn().rounding();
  plan.base = pricing.base_points;
  if (rule.line_scoped) {
    auto scoped = RoundQuotient(
        static_cast<__int128>(plan.spent) * pricing.rules.earn().points(),
        pricing.rules.earn().per_minor(), rounding);
    if (!scoped.has_value()) return Overflow(pricing, rule);
    plan.base = scoped->value;
  }
  const int64_t percent = rule.rule->multiply_points().percent();
  auto extra = RoundQuotient(
      static_cast<__int128>(plan.base) * (percent - kPercent), kPercent,
      rounding);
  if (!extra.has_value()) return Overflow(pricing, rule);
  plan.benefit.points = extra->value;
  return absl::OkStatus();
}

// Whether a rule's earning depends on what was spent on its lines; bonuses,
// gifts and whole-basket multipliers do not, and skip summing it.
bool CountsSpending(const CompiledRule& rule) {
  return rule.kind == EffectKind::kPointsPerAmount ||
         rule.kind == EffectKind::kCashback ||
         (rule.kind == EffectKind::kMultiplyPoints && rule.line_scoped);
}

// Points (or cashback, or gifts) of one earning rule before caps.
absl::StatusOr<EarningPlan> PlanEarning(Pricing& pricing,
                                        const CompiledRule& rule,
                                        const Amounts& basis) {
  const loyalty::v1::Rule& r = *rule.rule;
  const loyalty::v1::Rounding rounding = pricing.rules.earn().rounding();
  EarningPlan plan;
  if (CountsSpending(rule)) {
    plan.spent = SumEarning(pricing, MatchingLines(pricing, rule), basis);
  }
  switch (rule.kind) {
    case EffectKind::kPointsPerAmount: {
      auto points = RoundQuotient(static_cast<__int128>(plan.spent) *
                                      r.points_per_amount().points(),
                                  r.points_per_amount().per_minor(), rounding);
      if (!points.has_value()) return Overflow(pricing, rule);
      plan.benefit.points = points->value;
      break;
    }
    case EffectKind::kMultiplyPoints:
      RETURN_IF_ERROR(PlanMultiplier(pricing, rule, plan));
      break;
    case EffectKind::kBonusPoints:
      plan.benefit.points = r.bonus_points().points();
      break;
    case EffectKind::kCashback:
      // basis points <= 10000: the result is at most `spent`.
      plan.benefit.cashback_minor =
          RoundQuotient(static_cast<__int128>(plan.spent) *
                            r.cashback().basis_points(),
                        kBasisPointsPerWhole, rounding)
              ->value;
      break;
    case EffectKind::kGift:
      plan.benefit.gifts = std::max<int64_t>(1, r.gift().quantity());
      break;
    default:
      break;  // discounts are not earning: nothing
  }
  return plan;
}

// "150% of 32 points of matching items = 48 points (16 extra)", or
// "2 × 109 points = 218 points (109 extra)".
void AddMultiplierWords(const CompiledRule& rule, const EarningPlan& plan,
                        WordBuffer& words) {
  words.AddMultiplier(rule.rule->multiply_points().percent());
  words.AddPoints(plan.base);
  words.Add({Scope(rule), " = "});
  words.AddPoints(plan.base + plan.benefit.points);
  words.Add(" (");
  words.AddInteger(plan.benefit.points);
  words.Add(" extra)");
}

// The words of an earning rule, with the amounts before caps.
void AddEarningWords(const Pricing& pricing, const CompiledRule& rule,
                     const EarningPlan& plan, WordBuffer& words) {
  const loyalty::v1::Rule& r = *rule.rule;
  const std::string& currency = Currency(pricing);
  switch (rule.kind) {
    case EffectKind::kPointsPerAmount:
      words.AddPoints(r.points_per_amount().points());
      words.Add(" per ");
      words.AddMoney(r.points_per_amount().per_minor(), currency);
      words.Add(" on ");
      words.AddMoney(plan.spent, currency);
      words.Add({Scope(rule), " = "});
      words.AddPoints(plan.benefit.points);
      return;
    case EffectKind::kMultiplyPoints:
      AddMultiplierWords(rule, plan, words);
      return;
    case EffectKind::kBonusPoints:
      words.AddPoints(plan.benefit.points);
      words.Add(" bonus");
      return;
    case EffectKind::kCashback:
      words.AddBasisPointsPercent(r.cashback().basis_points());
      words.Add(" cashback on ");
      words.AddMoney(plan.spent, currency);
      words.Add({Scope(rule), " = "});
      words.AddMoney(plan.benefit.cashback_minor, currency);
      return;
    case EffectKind::kGift:
      words.Add(
          {"free ", r.gift().description(), " (", r.gift().sku(), ") × "});
      words.AddInteger(plan.benefit.gifts);
      return;
    default:
      return;
  }
}

void SetInUnit(Benefit& benefit, CapUnit unit, int64_t value) {
  if (unit == CapUnit::kPoints) benefit.points = value;
  if (unit == CapUnit::kGifts) benefit.gifts = value;
  if (unit == CapUnit::kMoney) benefit.cashback_minor = value;
}

// Adds `benefit` to the purchase's points and cashback earned.
absl::Status AddEarned(Pricing& pricing, const CompiledRule& rule,
                       const Benefit& benefit) {
  loyalty::v1::PricedPurchase& priced = pricing.priced;
  const std::optional<int64_t> points =
      CheckedAdd(priced.points_earned(), benefit.points);
  if (!points.has_value()) return Overflow(pricing, rule);
  priced.set_points_earned(*points);
  // Cashback rules give at most what is spent each; 500 rules of at most
  // the subtotal each could still overflow, so check.
  const std::optional<int64_t> cashback =
      CheckedAdd(priced.cashback_earned_minor(), benefit.cashback_minor);
  if (!cashback.has_value()) return Overflow(pricing, rule);
  priced.set_cashback_earned_minor(*cashback);
  return absl::OkStatus();
}

void AddGiftLine(Pricing& pricing, const CompiledRule& rule, int64_t gifts) {
  loyalty::v1::GiftLine& gift = *pricing.priced.add_gift_lines();
  gift.set_sku(rule.rule->gift().sku());
  gift.set_description(rule.rule->gift().description());
  gift.set_quantity(gifts);
  gift.set_rule_id(rule.rule->id());
}

bool IsDiscount(EffectKind kind) {
  return kind == EffectKind::kPercentDiscount ||
         kind == EffectKind::kFixedDiscount || kind == EffectKind::kVolumeLadder;
}

}  // namespace

absl::Status ApplyDiscounts(Pricing& pricing) {
  for (const SelectedRule& selected : pricing.selected) {
    const CompiledRule& rule = *selected.rule;
    if (!IsDiscount(rule.kind)) continue;
    std::optional<DiscountPlan> plan = PlanDiscount(pricing, rule);
    if (!plan.has_value() || plan->total == 0) continue;
    const bool capped = plan->total > selected.allowance.left;
    const int64_t total = capped ? selected.allowance.left : plan->total;
    const Amounts shares = Allocate(total, plan->weights);
    for (size_t i = 0; i < shares.size(); ++i) pricing.net[i] -= shares[i];
    Benefit benefit;
    benefit.discount_minor = total;
    pricing.priced.set_discount_minor(pricing.priced.discount_minor() + total);
    WordBuffer words(AddRow(pricing, selected, benefit, capped));
    words.Add({rule.title, ": "});
    AddDiscountWords(pricing, rule, *plan, words);
    if (capped) AddCapNote(pricing, selected, words);
  }
  return absl::OkStatus();
}

absl::Status ApplyEarning(Pricing& pricing, const Amounts& basis) {
  for (const SelectedRule& selected : pricing.selected) {
    const CompiledRule& rule = *selected.rule;
    if (IsDiscount(rule.kind)) continue;
    ASSIGN_OR_RETURN(const EarningPlan plan, PlanEarning(pricing, rule, basis));
    const int64_t planned = plan.benefit.InUnit(rule.unit);
    if (planned == 0) continue;
    const bool capped = planned > selected.allowance.left;
    Benefit benefit = plan.benefit;
    SetInUnit(benefit, rule.unit, capped ? selected.allowance.left : planned);
    RETURN_IF_ERROR(AddEarned(pricing, rule, benefit));
    if (benefit.gifts > 0) AddGiftLine(pricing, rule, benefit.gifts);
    WordBuffer words(AddRow(pricing, selected, benefit, capped));
    words.Add({rule.title, ": "});
    AddEarningWords(pricing, rule, plan, words);
    if (capped) AddCapNote(pricing, selected, words);
  }
  return absl::OkStatus();
}

void ExplainUsedUp(Pricing& pricing) {
  for (const SelectedRule& selected : pricing.used_up) {
    loyalty::v1::AppliedRule& row = *pricing.priced.add_applied();
    row.set_rule_id(selected.rule->rule->id());
    row.set_capped(true);
    const Allowance& allowance = selected.allowance;
    // "<title>: not applied, the campaign budget of 100 points is used up"
    WordBuffer words(row.mutable_explanation());
    words.Add(selected.rule->title);
    words.Add({": not applied, the ", allowance.what, " of "});
    AddUnit(pricing, selected.rule->unit, allowance.cap, words);
    words.Add(allowance.cap == 0 ? " gives nothing" : " is used up");
  }
}

}  // namespace loyalty::evaluator::internal
