// Rule sets for tests, written out in the rule-file format so that a test
// states the numbers it prices with.
#ifndef LOYALTY_TESTS_SUPPORT_TEST_RULES_H_
#define LOYALTY_TESTS_SUPPORT_TEST_RULES_H_

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/evaluator/evaluator.h"
#include "engine/evaluator/rule_file.h"
#include "gtest/gtest.h"

namespace loyalty::testing {

// 1 point per `per_minor` paid, rounded down; a point pays 1 minor unit;
// points and cashback may pay `share_percent` of a basket.
inline std::string RulesYaml(int per_minor = 100, int share_percent = 50,
                             int cashback_basis_points = 0) {
  return absl::StrCat(
      "program:\n  id: test\n  currency: EUR\n  point_value_minor: 1\n"
      "earn:\n  points: 1\n  per_minor: ", per_minor,
      "\n  rounding: down\n  cashback_basis_points: ", cashback_basis_points,
      "\nburn:\n  max_basket_share_percent: ", share_percent,
      "\n  earned_points_pay_same_order: false\n");
}

inline std::shared_ptr<const evaluator::CompiledRules> CompileRules(
    const std::string& yaml) {
  auto rule_set = evaluator::ParseRuleFile("test.yaml", yaml);
  EXPECT_TRUE(rule_set.ok()) << rule_set.status();
  auto compiled = evaluator::CompiledRules::Compile(*rule_set);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return *compiled;
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SUPPORT_TEST_RULES_H_
