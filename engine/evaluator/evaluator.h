// Pure pricing: (rule set, member state, program state, purchase, time) ->
// priced purchase with an explanation of every number. No I/O, no clock of
// its own, no dependency on the ledger; the same inputs always give the same
// answer.
//
// Order of application (rules/README.md documents it for marketing staff),
// with the default program.application_order (DISCOUNTS_BURN_EARN):
//   1. subtotal = sum of quantity * unit_price_minor over the lines;
//   2. rules are selected: validity window, channels/partners/stores, promo
//      code, condition, caps left; in an exclusive group the first matching
//      rule in (priority descending, id ascending) order wins;
//   3. discounts, in that same order, each on what the ones before left;
//      clamped so no line (and so no total) goes below 0; then the member's
//      tier discount (TierBenefits.discount_percent) on what they left,
//      rounded down;
//   4. burning: points first, then cashback, together at most
//      burn.max_basket_share_percent of the lines that may be paid with
//      points (exclusions), after discounts; spread over those lines in
//      proportion to their amounts;
//   5. earning on what is actually paid, line by line (excluded lines earn
//      nothing): base points and cashback, then the tier's multiplier (the
//      extra part of the base points) and cashback, then campaign points,
//      multipliers, bonuses, cashback and gifts, each rounded with
//      earn.rounding. The tier's perks are copied into the answer.
// The member's tier is MemberState::tier looked up among the rule set's
// tiers.levels by id; an unknown or empty tier gives nothing. Tier rows have
// rule_id "tier:<id>", no caps and no usage.
// DISCOUNTS_EARN_BURN earns on the amounts after step 3; EARN_DISCOUNTS_BURN
// on the amounts before it. Points earned on an order cannot pay for that
// order: burning is checked against the balance before the order.
//
// Caps and budgets: the evaluator never gives more than what is left of a
// rule's per-order cap, the member's day/month/year caps (MemberState::
// rule_usage) and the campaign budget (ProgramState::budget_spent); it
// reduces the benefit to what remains and says so in the applied row.
//
// WHAT THE CALLER MUST RECORD after a purchase commits, in the same atomic
// write as the journal entry, so that caps and budgets hold:
//   for each row u in priced.usage():
//     for each key in u.member_usage_keys(): member counter[key] += u.amount()
//     if u.count_budget(): program budget counter[u.rule_id()] += u.amount()
//   for each c in priced.promo_codes_used():
//     member code uses[c.code()] += 1; if !c.personal():
//     program code uses[c.code()] += 1
// and price the purchase with counters read inside that same write (on the
// ledger's single writer thread), so no two commits can both spend the last
// of a budget. A refund does not give usage back (documented choice).
#ifndef LOYALTY_ENGINE_EVALUATOR_EVALUATOR_H_
#define LOYALTY_ENGINE_EVALUATOR_EVALUATOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/arena.h"
#include "loyalty/v1/rules.pb.h"
#include "loyalty/v1/types.pb.h"

namespace loyalty::evaluator {

// What the evaluator needs to know of the member, read before pricing.
struct MemberState {
  std::string member_id;
  int64_t points_available = 0;
  int64_t cashback_minor = 0;  // wallet in the purchase currency
  // A level id of rule_set.tiers (its benefits apply), or any other text
  // (conditions still see it; no benefits), or empty.
  std::string tier;
  std::vector<std::string> segments;
  std::string region;
  std::optional<absl::Time> enroll_time;      // unknown: enrolled_days = 0
  std::optional<absl::CivilDay> birth_date;   // unknown: no birthday
  int64_t purchase_count = 0;    // purchases committed before this one
  int64_t rewards_redeemed = 0;  // rewards redeemed so far
  // Usage so far, by member usage key ("rule-id/day/2024-06-15"), in the
  // rule's cap unit. Keys that are absent count as 0. MemberUsageKeys()
  // lists the keys a rule set reads at a given time.
  absl::flat_hash_map<std::string, int64_t> rule_usage;
  // How often this member used each promo code (upper case) before.
  absl::flat_hash_map<std::string, int64_t> promo_code_uses;
};

// What the evaluator needs to know of the whole program, read before
// pricing (inside the commit's write, see above).
struct ProgramState {
  // Campaign budget spent so far, by rule id, in the rule's cap unit.
  absl::flat_hash_map<std::string, int64_t> budget_spent;
  // Uses so far of each shared promo code (upper case), by all members.
  absl::flat_hash_map<std::string, int64_t> promo_code_uses;
};

namespace internal {
struct CompiledProgram;
}  // namespace internal

// A rule set checked and prepared for pricing: conditions compiled, texts
// interned, rules sorted. Immutable, so one instance is shared by any number
// of threads.
class CompiledRules {
 public:
  // Checks the rule set (every field in range, every condition well typed,
  // no overlapping exclusive rules, ...) and prepares it. Errors are
  // INVALID_ARGUMENT with reason INVALID_RULES, the field of the first
  // problem, and every problem in the text, e.g.
  //   "INVALID_RULES: earn.per_minor: must be greater than 0, got 0".
  // `version` is (re)computed from the content, so it always matches what
  // ParseRuleFile gives for the same rules; `source_name` is kept.
  static absl::StatusOr<std::shared_ptr<const CompiledRules>> Compile(
      loyalty::v1::RuleSet rule_set);

  CompiledRules(const CompiledRules&) = delete;
  CompiledRules& operator=(const CompiledRules&) = delete;
  ~CompiledRules();

  const loyalty::v1::RuleSet& rule_set() const { return rule_set_; }
  const std::string& version() const { return rule_set_.version(); }
  const internal::CompiledProgram& program() const { return *program_; }
  // The program time zone (program.time_zone), resolved.
  const absl::TimeZone& time_zone() const;

 private:
  explicit CompiledRules(loyalty::v1::RuleSet rule_set);
  loyalty::v1::RuleSet rule_set_;
  std::unique_ptr<const internal::CompiledProgram> program_;
};

// The member usage keys `rules` reads when pricing at `now`: for each rule
// with a per-member cap, "<rule id>/day|month|year/<period>" in the program
// time zone. The caller loads these counters into MemberState::rule_usage.
std::vector<std::string> MemberUsageKeys(const CompiledRules& rules,
                                         absl::Time now);

// Ids of the rules that have a campaign budget; the caller loads their
// counters into ProgramState::budget_spent.
std::vector<std::string> BudgetRuleIds(const CompiledRules& rules);

// Whether `validity` (checked, e.g. a catalogue reward's) holds at `now` in
// the program time zone of `rules`, exactly as for rules and promo codes.
bool ValidAt(const CompiledRules& rules, const loyalty::v1::Validity& validity,
             absl::Time now);

// A promo code as the evaluator and the counters spell it: upper case.
std::string NormalizePromoCode(const std::string& code);

// Prices `purchase` for `member` at time `now` (the purchase time).
// Refusals carry a reason and field (engine/base/error.h):
//   INVALID_ARGUMENT: EMPTY_BASKET, TOO_MANY_LINES (over 1000),
//     INVALID_QUANTITY, INVALID_PRICE, INVALID_CURRENCY,
//     UNSUPPORTED_CURRENCY, INVALID_AMOUNT (negative redeem_points or
//     use_cashback_minor), AMOUNT_OVERFLOW, MISSING_FIELD,
//     TOO_MANY_PROMO_CODES (over 10), DUPLICATE_PROMO_CODE;
//   FAILED_PRECONDITION: UNKNOWN_PROMO_CODE, PROMO_CODE_NOT_VALID_NOW,
//     PROMO_CODE_NOT_FOR_MEMBER (a personal code of someone else),
//     PROMO_CODE_ALREADY_USED (personal code, or per-member limit),
//     PROMO_CODE_USED_UP (total uses reached), INSUFFICIENT_POINTS,
//     INSUFFICIENT_CASHBACK, REDEEM_LIMIT_EXCEEDED (more than the basket
//     share allows).
// Request problems (INVALID_ARGUMENT) are reported before business refusals.
// A negative balance (after a clawback) redeems nothing. INTERNAL when
// `member.member_id` is set and is not the purchase's member (a caller bug).
absl::StatusOr<loyalty::v1::PricedPurchase> PricePurchase(
    const CompiledRules& rules, const MemberState& member,
    const ProgramState& program, const loyalty::v1::Purchase& purchase,
    absl::Time now);

// The same with no usage recorded yet (a quote before any campaign runs,
// tests). Prefer the overload above wherever counters exist.
absl::StatusOr<loyalty::v1::PricedPurchase> PricePurchase(
    const CompiledRules& rules, const MemberState& member,
    const loyalty::v1::Purchase& purchase, absl::Time now);

// The same answer built on `arena`, which owns it (and, after an error,
// whatever was built). Its rows and their strings come from the arena
// instead of about four heap allocations per applied row, which is ~15% of
// the time of pricing a typical basket; for callers that keep the answer on
// an arena anyway (e.g. a response message) or price in bulk.
absl::StatusOr<loyalty::v1::PricedPurchase*> PricePurchase(
    const CompiledRules& rules, const MemberState& member,
    const ProgramState& program, const loyalty::v1::Purchase& purchase,
    absl::Time now, google::protobuf::Arena& arena);

// Pieces shared by CompiledRules::Compile and the rule-file reader so that
// both apply one set of checks and one digest. Not for use outside
// engine/evaluator.
namespace internal {

// One setting out of range.
struct RuleProblem {
  std::string field;  // proto path, e.g. "earn.per_minor", "rules[2].caps"
  std::string text;   // e.g. "must be greater than 0, got 0"
};

// Every problem of `rule_set`, in field order; empty when it is good.
std::vector<RuleProblem> CheckRuleSet(const loyalty::v1::RuleSet& rule_set);

// First 16 lower-case hex digits of the SHA-256 of `rule_set` serialized
// deterministically with `version` and `source_name` cleared.
std::string RuleSetVersion(const loyalty::v1::RuleSet& rule_set);

}  // namespace internal
}  // namespace loyalty::evaluator

#endif  // LOYALTY_ENGINE_EVALUATOR_EVALUATOR_H_
