// libFuzzer target for the rule-file reader and the condition compiler.
// Input: the first byte picks the mode, the rest is the text.
//   mode even: a whole rule file -> ValidateRuleFile, ParseRuleFile and, when
//              it parses, CompiledRules::Compile and one pricing;
//   mode odd:  a condition -> Condition::Compile (purchase and line kinds)
//              and, when it compiles, one evaluation.
// Any crash, sanitizer report or broken invariant (a file that parses must
// compile; one that ValidateRuleFile accepts must parse) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/evaluator/condition.h"
#include "engine/evaluator/evaluator.h"
#include "engine/evaluator/rule_file.h"

namespace {

using loyalty::evaluator::internal::Condition;
using loyalty::evaluator::internal::ConditionKind;

void FuzzCondition(absl::string_view text) {
  for (ConditionKind kind : {ConditionKind::kPurchase, ConditionKind::kLine}) {
    loyalty::evaluator::internal::Symbols symbols;
    absl::StatusOr<Condition> condition = Condition::Compile(text, kind, symbols);
    if (!condition.ok()) continue;
    loyalty::evaluator::internal::Facts facts;
    for (int i = 0; i < loyalty::evaluator::internal::kSlotCount; ++i) {
      facts.slot[i] = static_cast<int64_t>(text.size()) - i;
    }
    (void)condition->Evaluate(facts);
  }
}

void PriceOnce(const loyalty::evaluator::CompiledRules& rules) {
  loyalty::v1::Purchase purchase;
  purchase.set_member_id("m-1");
  purchase.set_order_id("o-1");
  purchase.set_currency(rules.rule_set().program().currency());
  for (int i = 0; i < 3; ++i) {
    loyalty::v1::PurchaseLine& line = *purchase.add_lines();
    line.set_sku(i == 0 ? "SKU-1" : "GIFT");
    line.set_category(i == 2 ? "gift-cards" : "food");
    line.set_quantity(1 + i);
    line.set_unit_price_minor(1999);
  }
  loyalty::evaluator::MemberState member;
  member.member_id = "m-1";
  member.points_available = 100;
  member.tier = "gold";
  member.segments = {"vip"};
  (void)loyalty::evaluator::PricePurchase(rules, member, purchase,
                                          absl::FromUnixSeconds(1750000000));
}

void FuzzRuleFile(absl::string_view text) {
  const bool valid = loyalty::evaluator::ValidateRuleFile("f.yaml", text).empty();
  absl::StatusOr<loyalty::v1::RuleSet> rule_set =
      loyalty::evaluator::ParseRuleFile("f.yaml", text);
  if (valid != rule_set.ok()) std::abort();  // the two must agree
  if (!rule_set.ok()) return;
  auto compiled = loyalty::evaluator::CompiledRules::Compile(*rule_set);
  if (!compiled.ok()) std::abort();  // parsed files are checked files
  PriceOnce(**compiled);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view text(reinterpret_cast<const char*>(data + 1),
                               size - 1);
  if (data[0] % 2 == 0) {
    FuzzRuleFile(text);
  } else {
    FuzzCondition(text);
  }
  return 0;
}
