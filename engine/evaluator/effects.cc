// What the selected campaign rules give: discounts (on the line amounts left
// by the rules before them) and earning (points, multipliers, bonuses,
// cashback, gifts), each reduced to what is left of its caps, explained in
// one applied row and recorded in one usage row.
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
  for (size_t i = 0; i < pricing.lines.size(); ++i) {
    LoadLine(pricing, i);
    mask[i] = rule.lines.Evaluate(pricing.facts);
  }
  return mask;
}

// "Weekend double points (Sat–Sun)"
std::string Title(const CompiledRule& rule) {
  return rule.window_words.empty()
             ? rule.rule->description()
             : absl::StrCat(rule.rule->description(), " (", rule.window_words,
                            ")");
}

const std::string& Currency(const Pricing& pricing) {
  return pricing.rules.program().currency();
}

std::string Scope(const CompiledRule& rule) {
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

std::string UnitWords(const Pricing& pricing, CapUnit unit, int64_t amount) {
  switch (unit) {
    case CapUnit::kPoints: return Points(amount);
    case CapUnit::kMoney: return Money(amount, Currency(pricing));
    case CapUnit::kGifts: return absl::StrCat(amount, amount == 1 ? " gift" : " gifts");
  }
  return "";
}

// `value` reduced to what the caps leave; `note` says why when it was.
int64_t Capped(const Pricing& pricing, const SelectedRule& selected,
               int64_t value, std::string& note) {
  const Allowance& allowance = selected.allowance;
  if (value <= allowance.left) return value;
  const CapUnit unit = selected.rule->unit;
  note = absl::StrCat("; limited to ", UnitWords(pricing, unit, allowance.left),
                      allowance.used_before ? ", what is left of" : " by",
                      " the ", allowance.what, " of ",
                      UnitWords(pricing, unit, allowance.cap));
  return allowance.left;
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

void AddRow(Pricing& pricing, const SelectedRule& selected,
            const Benefit& benefit, const std::string& text,
            const std::string& note) {
  loyalty::v1::AppliedRule& row = *pricing.priced.add_applied();
  row.set_rule_id(selected.rule->rule->id());
  std::string* explanation = row.mutable_explanation();
  const CompiledRule& rule = *selected.rule;
  explanation->reserve(rule.rule->description().size() +
                       rule.window_words.size() + text.size() + note.size() + 8);
  absl::StrAppend(explanation, rule.rule->description());
  if (!rule.window_words.empty()) {
    absl::StrAppend(explanation, " (", rule.window_words, ")");
  }
  absl::StrAppend(explanation, ": ", text, note);
  row.set_points(benefit.points);
  row.set_discount_minor(benefit.discount_minor);
  row.set_cashback_minor(benefit.cashback_minor);
  row.set_gift_quantity(benefit.gifts);
  row.set_capped(!note.empty());
  RecordUsage(pricing, selected, benefit);
}

// --- Discounts ---

struct DiscountPlan {
  Amounts weights;  // how the discount spreads over the lines
  int64_t total = 0;
  std::string text;
};

int64_t PercentOf(int64_t base, int64_t percent) {
  // percent <= 100: the quotient is at most base.
  return static_cast<int64_t>(static_cast<__int128>(base) * percent / kPercent);
}

DiscountPlan PercentPlan(const Pricing& pricing, const Mask& mask,
                         int64_t percent, const CompiledRule& rule) {
  DiscountPlan plan;
  int64_t base = 0;
  plan.weights.resize(mask.size(), 0);
  for (size_t i = 0; i < mask.size(); ++i) {
    if (!mask[i]) continue;
    plan.weights[i] = pricing.net[i];
    base += pricing.net[i];  // at most the subtotal
  }
  plan.total = PercentOf(base, percent);
  plan.text = absl::StrCat(percent, "% off ", Money(base, Currency(pricing)),
                           Scope(rule), " = ",
                           Money(plan.total, Currency(pricing)), " off");
  return plan;
}

DiscountPlan FixedPlan(const Pricing& pricing, const Mask& mask,
                       const CompiledRule& rule) {
  const int64_t amount = rule.rule->fixed_discount().amount_minor();
  DiscountPlan plan;
  plan.weights.resize(mask.size(), 0);
  int64_t units = 0;
  int64_t room = 0;
  for (size_t i = 0; i < mask.size(); ++i) {
    if (!mask[i]) continue;
    units += pricing.lines[i].quantity;
    room += pricing.net[i];
    const std::optional<int64_t> off =
        CheckedMul(amount, pricing.lines[i].quantity);
    // Per unit on matching lines; never more than the line has left.
    plan.weights[i] = rule.line_scoped
                          ? std::min(off.value_or(pricing.net[i]), pricing.net[i])
                          : pricing.net[i];
    if (rule.line_scoped) plan.total += plan.weights[i];
  }
  const std::string& currency = Currency(pricing);
  if (!rule.line_scoped) {
    plan.total = std::min(amount, room);
    plan.text = absl::StrCat(Money(plan.total, currency), " off",
                             plan.total < amount ? " (no more than the basket)" : "");
    return plan;
  }
  plan.text = absl::StrCat(Money(amount, currency), " off each of ", units,
                           " matching items = ", Money(plan.total, currency),
                           " off");
  return plan;
}

std::optional<DiscountPlan> PlanDiscount(Pricing& pricing,
                                         const CompiledRule& rule) {
  const Mask mask = MatchingLines(pricing, rule);
  switch (rule.kind) {
    case EffectKind::kPercentDiscount:
      return PercentPlan(pricing, mask, rule.rule->percent_discount().percent(), rule);
    case EffectKind::kFixedDiscount:
      return FixedPlan(pricing, mask, rule);
    case EffectKind::kVolumeLadder: {
      const loyalty::v1::VolumeBand* band = nullptr;
      for (const loyalty::v1::VolumeBand& each : rule.rule->volume_ladder().bands()) {
        if (each.from_minor() <= pricing.subtotal) band = &each;
      }
      if (band == nullptr || band->percent() == 0) return std::nullopt;
      DiscountPlan plan = PercentPlan(pricing, mask, band->percent(), rule);
      plan.text = absl::StrCat(
          "subtotal ", Money(pricing.subtotal, Currency(pricing)),
          " reaches the band from ", Money(band->from_minor(), Currency(pricing)),
          ": ", plan.text);
      return plan;
    }
    default:
      return std::nullopt;
  }
}

// --- Earning ---

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

// Points (or cashback) of one earning rule before caps, with its words.
absl::StatusOr<std::pair<Benefit, std::string>> PlanEarning(
    Pricing& pricing, const CompiledRule& rule, const Amounts& basis) {
  const loyalty::v1::Rule& r = *rule.rule;
  const loyalty::v1::Rounding rounding = pricing.rules.earn().rounding();
  const std::string& currency = Currency(pricing);
  const Mask mask = MatchingLines(pricing, rule);
  const int64_t spent = SumEarning(pricing, mask, basis);
  Benefit benefit;
  switch (rule.kind) {
    case EffectKind::kPointsPerAmount: {
      auto points = RoundQuotient(static_cast<__int128>(spent) *
                                      r.points_per_amount().points(),
                                  r.points_per_amount().per_minor(), rounding);
      if (!points.has_value()) return Overflow(pricing, rule);
      benefit.points = points->value;
      return std::pair{benefit, absl::StrCat(
          Points(r.points_per_amount().points()), " per ",
          Money(r.points_per_amount().per_minor(), currency), " on ",
          Money(spent, currency), Scope(rule), " = ", Points(benefit.points))};
    }
    case EffectKind::kMultiplyPoints: {
      int64_t base = pricing.base_points;
      if (rule.line_scoped) {
        auto scoped = RoundQuotient(
            static_cast<__int128>(spent) * pricing.rules.earn().points(),
            pricing.rules.earn().per_minor(), rounding);
        if (!scoped.has_value()) return Overflow(pricing, rule);
        base = scoped->value;
      }
      const int64_t percent = r.multiply_points().percent();
      auto extra = RoundQuotient(static_cast<__int128>(base) * (percent - kPercent),
                                 kPercent, rounding);
      if (!extra.has_value()) return Overflow(pricing, rule);
      benefit.points = extra->value;
      const std::string factor =
          percent % kPercent == 0 ? absl::StrCat(percent / kPercent, " × ")
                                  : absl::StrCat(percent, "% of ");
      return std::pair{benefit, absl::StrCat(
          factor, Points(base), Scope(rule), " = ",
          Points(base + benefit.points), " (", benefit.points, " extra)")};
    }
    case EffectKind::kBonusPoints:
      benefit.points = r.bonus_points().points();
      return std::pair{benefit, absl::StrCat(Points(benefit.points), " bonus")};
    case EffectKind::kCashback: {
      // basis points <= 10000: the result is at most `spent`.
      benefit.cashback_minor = RoundQuotient(static_cast<__int128>(spent) *
                                                 r.cashback().basis_points(),
                                             kBasisPointsPerWhole, rounding)
                                   ->value;
      return std::pair{benefit, absl::StrCat(
          BasisPointsPercent(r.cashback().basis_points()), " cashback on ",
          Money(spent, currency), Scope(rule), " = ",
          Money(benefit.cashback_minor, currency))};
    }
    case EffectKind::kGift:
      benefit.gifts = std::max<int64_t>(1, r.gift().quantity());
      return std::pair{benefit, absl::StrCat("free ", r.gift().description(),
                                             " (", r.gift().sku(), ") × ",
                                             benefit.gifts)};
    default:
      return std::pair{benefit, std::string()};
  }
}

void SetInUnit(Benefit& benefit, CapUnit unit, int64_t value) {
  if (unit == CapUnit::kPoints) benefit.points = value;
  if (unit == CapUnit::kGifts) benefit.gifts = value;
  if (unit == CapUnit::kMoney) benefit.cashback_minor = value;
}

bool IsDiscount(EffectKind kind) {
  return kind == EffectKind::kPercentDiscount ||
         kind == EffectKind::kFixedDiscount || kind == EffectKind::kVolumeLadder;
}

}  // namespace

absl::Status ApplyDiscounts(Pricing& pricing) {
  for (const SelectedRule& selected : pricing.selected) {
    if (!IsDiscount(selected.rule->kind)) continue;
    std::optional<DiscountPlan> plan = PlanDiscount(pricing, *selected.rule);
    if (!plan.has_value() || plan->total == 0) continue;
    std::string note;
    const int64_t total = Capped(pricing, selected, plan->total, note);
    const Amounts shares = Allocate(total, plan->weights);
    for (size_t i = 0; i < shares.size(); ++i) pricing.net[i] -= shares[i];
    Benefit benefit;
    benefit.discount_minor = total;
    pricing.priced.set_discount_minor(pricing.priced.discount_minor() + total);
    AddRow(pricing, selected, benefit, plan->text, note);
  }
  return absl::OkStatus();
}

absl::Status ApplyEarning(Pricing& pricing, const Amounts& basis) {
  loyalty::v1::PricedPurchase& priced = pricing.priced;
  for (const SelectedRule& selected : pricing.selected) {
    const CompiledRule& rule = *selected.rule;
    if (IsDiscount(rule.kind)) continue;
    ASSIGN_OR_RETURN(auto planned, PlanEarning(pricing, rule, basis));
    auto& [benefit, text] = planned;
    if (benefit.InUnit(rule.unit) == 0) continue;
    std::string note;
    SetInUnit(benefit, rule.unit,
              Capped(pricing, selected, benefit.InUnit(rule.unit), note));
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
    if (benefit.gifts > 0) {
      loyalty::v1::GiftLine& gift = *priced.add_gift_lines();
      gift.set_sku(rule.rule->gift().sku());
      gift.set_description(rule.rule->gift().description());
      gift.set_quantity(benefit.gifts);
      gift.set_rule_id(rule.rule->id());
    }
    AddRow(pricing, selected, benefit, text, note);
  }
  return absl::OkStatus();
}

void ExplainUsedUp(Pricing& pricing) {
  for (const SelectedRule& selected : pricing.used_up) {
    loyalty::v1::AppliedRule& row = *pricing.priced.add_applied();
    row.set_rule_id(selected.rule->rule->id());
    row.set_capped(true);
    const Allowance& allowance = selected.allowance;
    row.set_explanation(absl::StrCat(
        Title(*selected.rule), ": not applied, the ", allowance.what, " of ",
        UnitWords(pricing, selected.rule->unit, allowance.cap),
        allowance.cap == 0 ? " gives nothing" : " is used up"));
  }
}

}  // namespace loyalty::evaluator::internal
