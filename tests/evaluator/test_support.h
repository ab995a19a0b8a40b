// Helpers shared by the evaluator tests: reading files from the source tree,
// compiling rule text, building baskets and members, and local times.
#ifndef LOYALTY_TESTS_EVALUATOR_TEST_SUPPORT_H_
#define LOYALTY_TESTS_EVALUATOR_TEST_SUPPORT_H_

#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "engine/evaluator/evaluator.h"
#include "engine/evaluator/rule_file.h"
#include "gtest/gtest.h"

namespace loyalty::evaluator::testing {

inline std::string ReadSourceFile(const std::string& relative_path) {
  std::ifstream in(std::string(LOYALTY_SOURCE_DIR) + "/" + relative_path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Parses and compiles `yaml`; fails the test (and returns null) if either
// step refuses it.
inline std::shared_ptr<const CompiledRules> CompileYaml(
    const std::string& yaml, const std::string& name = "test.yaml") {
  absl::StatusOr<loyalty::v1::RuleSet> rule_set = ParseRuleFile(name, yaml);
  EXPECT_TRUE(rule_set.ok()) << rule_set.status();
  if (!rule_set.ok()) return nullptr;
  absl::StatusOr<std::shared_ptr<const CompiledRules>> compiled =
      CompiledRules::Compile(*rule_set);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return compiled.ok() ? *compiled : nullptr;
}

// The settings every test program starts from: EUR, a point pays 0.01 EUR,
// 1 point per 1.00 EUR rounded down, points pay at most 100%, UTC.
inline std::string Settings(const std::string& extra_program = "") {
  return "program:\n  id: test\n  currency: EUR\n  point_value_minor: 1\n" +
         extra_program +
         "earn:\n  points: 1\n  per_minor: 100\n  rounding: down\n"
         "burn:\n  max_basket_share_percent: 100\n"
         "  earned_points_pay_same_order: false\n";
}

inline loyalty::v1::Purchase Purchase(const std::string& member_id = "m-1") {
  loyalty::v1::Purchase purchase;
  purchase.set_member_id(member_id);
  purchase.set_order_id("o-1");
  purchase.set_currency("EUR");
  return purchase;
}

inline void AddLine(loyalty::v1::Purchase& purchase, const std::string& sku,
                    const std::string& category, int64_t quantity,
                    int64_t unit_price_minor) {
  loyalty::v1::PurchaseLine& line = *purchase.add_lines();
  line.set_sku(sku);
  line.set_category(category);
  line.set_quantity(quantity);
  line.set_unit_price_minor(unit_price_minor);
}

inline MemberState Member(const std::string& member_id = "m-1",
                          int64_t points = 0) {
  MemberState member;
  member.member_id = member_id;
  member.points_available = points;
  member.tier = "silver";
  member.purchase_count = 3;
  return member;
}

// A local wall-clock time in `zone` ("Europe/Berlin", "UTC", ...).
inline absl::Time At(const std::string& zone_name, int year, int month,
                     int day, int hour = 12, int minute = 0, int second = 0) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(zone_name, &zone)) << zone_name;
  return absl::FromCivil(
      absl::CivilSecond(year, month, day, hour, minute, second), zone);
}

// The applied row of `rule_id`, or a failure.
inline const loyalty::v1::AppliedRule* Row(
    const loyalty::v1::PricedPurchase& priced, const std::string& rule_id) {
  for (const loyalty::v1::AppliedRule& row : priced.applied()) {
    if (row.rule_id() == rule_id) return &row;
  }
  ADD_FAILURE() << "no applied row '" << rule_id << "' in "
                << priced.DebugString();
  static const loyalty::v1::AppliedRule* const kEmpty =
      new loyalty::v1::AppliedRule();
  return kEmpty;
}

inline bool HasRow(const loyalty::v1::PricedPurchase& priced,
                   const std::string& rule_id) {
  for (const loyalty::v1::AppliedRule& row : priced.applied()) {
    if (row.rule_id() == rule_id) return true;
  }
  return false;
}

}  // namespace loyalty::evaluator::testing

#endif  // LOYALTY_TESTS_EVALUATOR_TEST_SUPPORT_H_
