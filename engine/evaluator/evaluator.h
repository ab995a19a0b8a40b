// Pure pricing: (rule set, member state, purchase, time) -> priced purchase
// with an explanation of every number. No I/O, no clock of its own, no
// dependency on the ledger; the same inputs always give the same answer.
//
// Order of application (rules/README.md documents it for marketing staff):
//   1. subtotal = sum of quantity * unit_price_minor over the lines;
//   2. discounts (none in the base settings; campaigns add them);
//   3. burning: points first, then cashback, together at most
//      burn.max_basket_share_percent of (subtotal - discount);
//   4. earning on what is actually paid (total_due_minor): base points and
//      base cashback, rounded with earn.rounding.
// Points earned on an order cannot pay for that order: burning is checked
// against the balance before the order, and earning comes after it.
#ifndef LOYALTY_ENGINE_EVALUATOR_EVALUATOR_H_
#define LOYALTY_ENGINE_EVALUATOR_EVALUATOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "loyalty/v1/rules.pb.h"
#include "loyalty/v1/types.pb.h"

namespace loyalty::evaluator {

// What the evaluator needs to know of the member, read before pricing.
struct MemberState {
  std::string member_id;
  int64_t points_available = 0;
  int64_t cashback_minor = 0;  // wallet in the purchase currency
  std::string tier;
};

// A rule set checked and prepared for pricing. Immutable, so one instance is
// shared by any number of threads.
class CompiledRules {
 public:
  // Checks the rule set (every field in range) and prepares it. Errors are
  // INVALID_ARGUMENT with reason INVALID_RULES, the field of the first
  // problem, and every problem in the text, e.g.
  //   "INVALID_RULES: earn.per_minor: must be greater than 0, got 0".
  // `version` is (re)computed from the content, so it always matches what
  // ParseRuleFile gives for the same rules; `source_name` is kept.
  static absl::StatusOr<std::shared_ptr<const CompiledRules>> Compile(
      loyalty::v1::RuleSet rule_set);

  const loyalty::v1::RuleSet& rule_set() const { return rule_set_; }
  const std::string& version() const { return rule_set_.version(); }

 private:
  explicit CompiledRules(loyalty::v1::RuleSet rule_set)
      : rule_set_(std::move(rule_set)) {}
  loyalty::v1::RuleSet rule_set_;
};

// Prices `purchase` for `member` at time `now` (the purchase time).
// Refusals carry a reason and field (engine/base/error.h):
//   INVALID_ARGUMENT: EMPTY_BASKET, TOO_MANY_LINES (over 1000),
//     INVALID_QUANTITY, INVALID_PRICE, INVALID_CURRENCY,
//     UNSUPPORTED_CURRENCY, INVALID_AMOUNT (negative redeem_points or
//     use_cashback_minor), AMOUNT_OVERFLOW, MISSING_FIELD;
//   FAILED_PRECONDITION: UNKNOWN_PROMO_CODE (no promotions exist yet),
//     INSUFFICIENT_POINTS, INSUFFICIENT_CASHBACK,
//     REDEEM_LIMIT_EXCEEDED (more than the basket share allows).
// Request problems (INVALID_ARGUMENT) are reported before business refusals.
// A negative balance (after a clawback) redeems nothing. INTERNAL when
// `member.member_id` is set and is not the purchase's member (a caller bug).
absl::StatusOr<loyalty::v1::PricedPurchase> PricePurchase(
    const CompiledRules& rules, const MemberState& member,
    const loyalty::v1::Purchase& purchase, absl::Time now);

// Pieces shared by CompiledRules::Compile and the rule-file reader so that
// both apply one set of checks and one digest. Not for use outside
// engine/evaluator.
namespace internal {

// One setting out of range.
struct RuleProblem {
  std::string field;  // proto path, e.g. "earn.per_minor"
  std::string text;   // e.g. "must be greater than 0, got 0"
};

// Every range problem of `rule_set`, in field order; empty when it is good.
std::vector<RuleProblem> CheckRuleSet(const loyalty::v1::RuleSet& rule_set);

// First 16 lower-case hex digits of the SHA-256 of `rule_set` serialized
// deterministically with `version` and `source_name` cleared.
std::string RuleSetVersion(const loyalty::v1::RuleSet& rule_set);

}  // namespace internal
}  // namespace loyalty::evaluator

#endif  // LOYALTY_ENGINE_EVALUATOR_EVALUATOR_H_
