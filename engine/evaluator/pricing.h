// The state of one PricePurchase call and the steps that work on it
// (internal to engine/evaluator). A Pricing lives on the caller's stack for
// one purchase; nothing in it is shared between threads.
#ifndef LOYALTY_ENGINE_EVALUATOR_PRICING_H_
#define LOYALTY_ENGINE_EVALUATOR_PRICING_H_

#include <cstdint>
#include <limits>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "engine/evaluator/arithmetic.h"
#include "engine/evaluator/compiled.h"
#include "engine/evaluator/condition.h"
#include "engine/evaluator/evaluator.h"
#include "engine/evaluator/time_zone.h"
#include "loyalty/v1/rules.pb.h"
#include "loyalty/v1/types.pb.h"

namespace loyalty::evaluator::internal {

struct LineFacts {
  int64_t sku = kUnknownText;
  int64_t category = kUnknownText;
  int64_t quantity = 0;
  int64_t price = 0;
  int64_t gross = 0;  // quantity * price
  uint8_t exclusion = 0;  // kSkuNoEarn | ... bits
  bool no_earn() const { return (exclusion & (kSkuNoEarn | kCategoryNoEarn)) != 0; }
  bool no_burn() const { return (exclusion & (kSkuNoBurn | kCategoryNoBurn)) != 0; }
};

// What is left of a rule's caps for this purchase.
struct Allowance {
  int64_t left = std::numeric_limits<int64_t>::max();  // max: no cap
  // The tightest limit, when there is one: e.g. "campaign budget", 1000,
  // and whether earlier purchases used part of it.
  absl::string_view what;  // a literal: no allocation while pricing
  int64_t cap = 0;
  bool used_before = false;
};

struct SelectedRule {
  const CompiledRule* rule = nullptr;
  Allowance allowance;
  int promo_code = -1;  // index into Pricing::codes that activated it
};

struct Pricing {
  Pricing(const CompiledRules& compiled_rules, const MemberState& member_state,
          const ProgramState& program_state,
          const loyalty::v1::Purchase& the_purchase, absl::Time time,
          loyalty::v1::PricedPurchase& out)
      : compiled(compiled_rules),
        program(compiled_rules.program()),
        rules(compiled_rules.rule_set()),
        member(member_state),
        state(program_state),
        purchase(the_purchase),
        now(time),
        priced(out) {}

  const CompiledRules& compiled;
  const CompiledProgram& program;
  const loyalty::v1::RuleSet& rules;
  const MemberState& member;
  const ProgramState& state;
  const loyalty::v1::Purchase& purchase;
  const absl::Time now;
  loyalty::v1::PricedPurchase& priced;

  absl::CivilSecond local;  // `now` in the program time zone
  PeriodKeys periods;
  Facts facts;  // the purchase and the member
  absl::InlinedVector<LineFacts, 16> lines;
  // Per line: `facts` with that line's slots filled too, for line
  // conditions; filled once, read by every line-scoped rule.
  absl::InlinedVector<Facts, 16> line_facts;
  int64_t subtotal = 0;
  Amounts net;   // after discounts
  Amounts paid;  // after discounts and burning
  // Presented promo codes that are valid, and for each rule position the
  // code that activated it (-1: none).
  absl::InlinedVector<const CompiledPromoCode*, 4> codes;
  absl::InlinedVector<int16_t, 64> activated_by;
  absl::InlinedVector<SelectedRule, 64> selected;
  absl::InlinedVector<SelectedRule, 4> used_up;  // caps reached: no benefit
  absl::InlinedVector<bool, 4> code_gave;  // by Pricing::codes index
  const CompiledTier* tier = nullptr;  // the member's, when it gives something
  int64_t base_points = 0;  // filled by the earning step, read by multipliers
  std::string usage_key;    // reused to look up member usage counters
};

// purchase_check.cc: request checks, in the order the contract promises.
absl::Status CheckPurchaseHeader(const loyalty::v1::Purchase& purchase,
                                 absl::string_view program_currency);
absl::StatusOr<int64_t> CheckLines(const loyalty::v1::Purchase& purchase);
absl::Status CheckPaymentRequest(const loyalty::v1::Purchase& purchase);

// promo_codes.cc: checks the presented codes against the member and the
// program counters, and fills Pricing::codes and activated_by.
absl::Status CheckPromoCodes(Pricing& pricing);
// Adds promo_codes_used for every code whose rules gave something, and a
// note row for a code that gave nothing on this basket.
void RecordPromoCodes(Pricing& pricing);

// selection.cc: facts of the purchase, member and lines; the rules that
// apply, in pricing order, with what is left of their caps.
void FillFacts(Pricing& pricing);
void SelectRules(Pricing& pricing);

// effects.cc: campaign discounts (on pricing.net), then campaign earning on
// `basis` (per line, as the application order says).
absl::Status ApplyDiscounts(Pricing& pricing);
absl::Status ApplyEarning(Pricing& pricing, const Amounts& basis);
// Rows for rules whose caps were used up.
void ExplainUsedUp(Pricing& pricing);

// tier_benefits.cc: the member's tier by the interned id (null: unknown, or
// a level without benefits); its discount after the campaign discounts; its
// points multiplier and cashback (on `basis_minor`, what base cashback was
// computed on) after base earning, and its perks.
const CompiledTier* FindTier(const CompiledProgram& program, int64_t symbol);
void ApplyTierDiscount(Pricing& pricing);
absl::Status ApplyTierEarning(Pricing& pricing, int64_t basis_minor);

}  // namespace loyalty::evaluator::internal

#endif  // LOYALTY_ENGINE_EVALUATOR_PRICING_H_
