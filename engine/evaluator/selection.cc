// Which rules apply to a purchase: facts first (purchase, member, lines,
// resolved once to slot values), then each rule in pricing order against its
// promo code, window, scope, condition and caps.
#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "engine/evaluator/pricing.h"
#include "engine/evaluator/text.h"

namespace loyalty::evaluator::internal {
namespace {

// ISO weekday 1..7 (Monday first).
int IsoWeekday(absl::CivilDay day) {
  return static_cast<int>(absl::GetWeekday(day)) + 1;
}

// The birthday in `year`; 29 February becomes 28 February in other years.
absl::CivilDay BirthdayIn(absl::CivilDay birth, absl::civil_year_t year) {
  const absl::CivilDay day(year, birth.month(), birth.day());
  if (day.month() != birth.month()) return absl::CivilDay(year, 2, 28);
  return day;
}

// The birthday falls in today's Monday-to-Sunday week (which may span a new
// year).
bool BirthdayThisWeek(absl::CivilDay birth, absl::CivilDay today) {
  const absl::CivilDay monday = today - (IsoWeekday(today) - 1);
  for (absl::civil_year_t year = today.year() - 1; year <= today.year() + 1;
       ++year) {
    const absl::CivilDay birthday = BirthdayIn(birth, year);
    if (birthday >= monday && birthday < monday + 7) return true;
  }
  return false;
}

void FillMemberFacts(Pricing& pricing, absl::CivilDay today) {
  const MemberState& member = pricing.member;
  const Symbols& symbols = pricing.program.symbols;
  int64_t* slot = pricing.facts.slot;
  slot[kSlotTier] = symbols.Find(member.tier);
  slot[kSlotSegments] = static_cast<int64_t>(symbols.SegmentMask(member.segments));
  slot[kSlotRegion] = symbols.Find(member.region);
  slot[kSlotEnrolledDays] =
      member.enroll_time.has_value()
          ? std::max<int64_t>(
                0, today - absl::ToCivilDay(*member.enroll_time,
                                            pricing.program.zone))
          : 0;
  slot[kSlotBirthdayThisWeek] =
      member.birth_date.has_value() && BirthdayThisWeek(*member.birth_date, today);
  slot[kSlotBirthdayThisMonth] =
      member.birth_date.has_value() && member.birth_date->month() == today.month();
  slot[kSlotPurchases] = member.purchase_count;
  slot[kSlotFirstPurchase] = member.purchase_count == 0;
  slot[kSlotRewardsRedeemed] = member.rewards_redeemed;
}

void FillLineFacts(Pricing& pricing) {
  const CompiledProgram& program = pricing.program;
  pricing.lines.resize(pricing.purchase.lines_size());
  pricing.net.resize(pricing.purchase.lines_size());
  for (int i = 0; i < pricing.purchase.lines_size(); ++i) {
    const loyalty::v1::PurchaseLine& line = pricing.purchase.lines(i);
    LineFacts& facts = pricing.lines[i];
    facts.sku = program.symbols.Find(line.sku());
    facts.category = program.symbols.Find(line.category());
    facts.quantity = line.quantity();
    facts.price = line.unit_price_minor();
    facts.gross = line.quantity() * line.unit_price_minor();  // checked before
    if (program.has_exclusions) {
      if (facts.sku >= 0) {
        facts.exclusion |= program.exclusion_bits[facts.sku] &
                           (kSkuNoEarn | kSkuNoBurn);
      }
      if (facts.category >= 0) {
        facts.exclusion |= program.exclusion_bits[facts.category] &
                           (kCategoryNoEarn | kCategoryNoBurn);
      }
    }
    pricing.net[i] = facts.gross;
  }
}

// pricing.line_facts: the purchase and member facts, and each line's own.
void FillLineSlots(Pricing& pricing) {
  pricing.line_facts.assign(pricing.lines.size(), pricing.facts);
  for (size_t i = 0; i < pricing.lines.size(); ++i) {
    const LineFacts& line = pricing.lines[i];
    int64_t* slot = pricing.line_facts[i].slot;
    slot[kSlotSku] = line.sku;
    slot[kSlotCategory] = line.category;
    slot[kSlotQuantity] = line.quantity;
    slot[kSlotPrice] = line.price;
    slot[kSlotAmount] = line.gross;
  }
}

int64_t Lookup(const absl::flat_hash_map<std::string, int64_t>& counters,
               const std::string& key) {
  auto it = counters.find(key);
  return it == counters.end() ? 0 : std::max<int64_t>(0, it->second);
}

// What the member used of rule `id` in a period ("/day/", "2024-06-15").
// The key is built in a buffer reused across rules: no allocation per rule.
int64_t MemberUsage(Pricing& pricing, const std::string& id,
                    absl::string_view unit, const std::string& period) {
  std::string& key = pricing.usage_key;
  key.clear();
  absl::StrAppend(&key, id, unit, period);
  return Lookup(pricing.member.rule_usage, key);
}

// The tightest of a rule's caps for this purchase.
Allowance AllowanceFor(Pricing& pricing, const CompiledRule& rule) {
  Allowance allowance;
  const loyalty::v1::Caps& caps = rule.rule->caps();
  auto consider = [&](int64_t cap, int64_t used, absl::string_view what) {
    const int64_t left = std::max<int64_t>(0, cap - used);  // both >= 0
    if (left >= allowance.left) return;
    allowance.left = left;
    allowance.what = what;
    allowance.cap = cap;
    allowance.used_before = used > 0;
  };
  if (caps.has_per_order()) consider(caps.per_order(), 0, "per-order cap");
  if (rule.member_capped && pricing.periods.day.empty()) {
    pricing.periods = PeriodKeysAt(pricing.now, pricing.program.zone);
  }
  const std::string& id = rule.rule->id();
  const PeriodKeys& periods = pricing.periods;
  if (caps.has_per_member_per_day()) {
    consider(caps.per_member_per_day(),
             MemberUsage(pricing, id, "/day/", periods.day),
             "member's daily cap");
  }
  if (caps.has_per_member_per_month()) {
    consider(caps.per_member_per_month(),
             MemberUsage(pricing, id, "/month/", periods.month),
             "member's monthly cap");
  }
  if (caps.has_per_member_per_year()) {
    consider(caps.per_member_per_year(),
             MemberUsage(pricing, id, "/year/", periods.year),
             "member's yearly cap");
  }
  if (caps.has_budget()) {
    consider(caps.budget(), Lookup(pricing.state.budget_spent, id),
             "campaign budget");
  }
  return allowance;
}

bool Contains(const std::vector<int64_t>& ids, int64_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

bool AnyLineMatches(Pricing& pricing, const CompiledRule& rule) {
  for (const Facts& facts : pricing.line_facts) {
    if (rule.lines.Evaluate(facts)) return true;
  }
  return false;
}

bool Applies(Pricing& pricing, const CompiledRule& rule, size_t position) {
  if (rule.needs_promo_code && pricing.activated_by[position] < 0) return false;
  if (!WindowHolds(rule.window, pricing.now, pricing.local)) return false;
  const int64_t* slot = pricing.facts.slot;
  const int64_t channel = slot[kSlotChannel];
  if (rule.channels != 0 &&
      (channel < 0 || channel > 31 || (rule.channels & (1u << channel)) == 0)) {
    return false;
  }
  if (!rule.partners.empty() && !Contains(rule.partners, slot[kSlotPartner])) {
    return false;
  }
  if (!rule.stores.empty() && !Contains(rule.stores, slot[kSlotStore])) {
    return false;
  }
  if (!rule.condition.Evaluate(pricing.facts)) return false;
  // A grouped rule whose lines match nothing must not block its group.
  return rule.group < 0 || !rule.line_scoped || AnyLineMatches(pricing, rule);
}

}  // namespace

void FillFacts(Pricing& pricing) {
  const absl::CivilDay today(pricing.local);
  const Symbols& symbols = pricing.program.symbols;
  int64_t* slot = pricing.facts.slot;
  slot[kSlotSubtotal] = pricing.subtotal;
  slot[kSlotChannel] = pricing.purchase.channel();
  slot[kSlotStore] = symbols.Find(pricing.purchase.store_id());
  slot[kSlotPartner] = symbols.Find(pricing.purchase.partner_id());
  slot[kSlotWeekday] = IsoWeekday(today);
  slot[kSlotHour] = pricing.local.hour();
  slot[kSlotDate] = today - absl::CivilDay(1970, 1, 1);
  FillMemberFacts(pricing, today);
  FillLineFacts(pricing);
  FillLineSlots(pricing);
}

void SelectRules(Pricing& pricing) {
  const std::vector<CompiledRule>& rules = pricing.program.rules;
  absl::InlinedVector<bool, 16> group_taken(pricing.program.group_count, false);
  for (size_t position = 0; position < rules.size(); ++position) {
    const CompiledRule& rule = rules[position];
    if (rule.group >= 0 && group_taken[rule.group]) continue;
    if (!Applies(pricing, rule, position)) continue;
    SelectedRule selected{&rule, AllowanceFor(pricing, rule),
                          pricing.activated_by[position]};
    if (selected.allowance.left == 0) {
      // Nothing left to give: the next rule of its group may apply instead.
      pricing.used_up.push_back(std::move(selected));
      continue;
    }
    if (rule.group >= 0) group_taken[rule.group] = true;
    pricing.selected.push_back(std::move(selected));
  }
}

}  // namespace loyalty::evaluator::internal
