// Rule files with campaigns, promo codes and exclusions: every bad input is
// reported as file:line, all at once.
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "engine/base/error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/evaluator/test_support.h"

namespace loyalty::evaluator {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;

// A good file with every list section; line numbers below refer to it.
constexpr char kGood[] =
    "program:\n"                                          // 1
    "  id: shop\n"                                        // 2
    "  currency: EUR\n"                                   // 3
    "  point_value_minor: 1\n"                            // 4
    "  time_zone: Europe/Berlin\n"                        // 5
    "earn:\n"                                             // 6
    "  points: 1\n"                                       // 7
    "  per_minor: 100\n"                                  // 8
    "  rounding: down\n"                                  // 9
    "burn:\n"                                             // 10
    "  max_basket_share_percent: 50\n"                    // 11
    "  earned_points_pay_same_order: false\n"             // 12
    "rules:\n"                                            // 13
    "  - id: weekend\n"                                   // 14
    "    description: Weekend double points\n"            // 15
    "    priority: 10\n"                                  // 16
    "    exclusive_group: points\n"                       // 17
    "    condition: channel == \"pos\"\n"                 // 18
    "    valid: {from: 2025-06-01, to: 2025-08-31, weekdays: [sat, sun]}\n"  // 19
    "    caps: {per_order: 200, budget: 100000}\n"        // 20
    "    multiply_points: {percent: 200}\n"               // 21
    "  - id: beans\n"                                     // 22
    "    description: Beans 20% off\n"                    // 23
    "    priority: 5\n"                                   // 24
    "    exclusive_group: points\n"                       // 25
    "    percent_discount: {percent: 20, lines: category == \"beans\"}\n"  // 26
    "promo_codes:\n"                                      // 27
    "  - code: SUMMER\n"                                  // 28
    "    rules: [beans]\n"                                // 29
    "    max_uses: 100\n"                                 // 30
    "exclusions:\n"                                       // 31
    "  - categories: [gift-cards]\n"                      // 32
    "    excluded_from: both\n";                          // 33

std::string GoodWith(const std::string& from, const std::string& to) {
  std::string text = kGood;
  EXPECT_NE(text.find(from), std::string::npos) << from;
  return absl::StrReplaceAll(text, {{from, to}});
}

TEST(RuleFileRulesTest, GoodFileParsesEverySection) {
  EXPECT_THAT(ValidateRuleFile("shop.yaml", kGood), IsEmpty());
  absl::StatusOr<loyalty::v1::RuleSet> rules = ParseRuleFile("shop.yaml", kGood);
  ASSERT_TRUE(rules.ok()) << rules.status();
  ASSERT_EQ(rules->rules_size(), 2);
  const loyalty::v1::Rule& weekend = rules->rules(0);
  EXPECT_EQ(weekend.priority(), 10);
  EXPECT_EQ(weekend.multiply_points().percent(), 200);
  EXPECT_EQ(weekend.caps().per_order(), 200);
  EXPECT_FALSE(weekend.caps().has_per_member_per_day());
  EXPECT_THAT(weekend.validity().weekdays(),
              ElementsAre(loyalty::v1::WEEKDAY_SATURDAY,
                          loyalty::v1::WEEKDAY_SUNDAY));
  // 2025-06-01 00:00 Berlin (summer time) is 2025-05-31T22:00Z; "to" a date
  // means through that day: 2025-09-01 00:00 Berlin.
  EXPECT_EQ(weekend.validity().from_time().seconds(), 1748728800);
  EXPECT_EQ(weekend.validity().to_time().seconds(), 1756677600);
  EXPECT_EQ(rules->rules(1).percent_discount().lines(), "category == \"beans\"");
  EXPECT_EQ(rules->promo_codes(0).rule_ids(0), "beans");
  EXPECT_EQ(rules->exclusions(0).scope(), loyalty::v1::EXCLUSION_SCOPE_BOTH);
  EXPECT_TRUE(CompiledRules::Compile(*rules).ok());
}

struct ProblemCase {
  std::string name;
  std::string from;
  std::string to;
  std::vector<std::string> problems;
};

void PrintTo(const ProblemCase& c, std::ostream* os) { *os << c.name; }

class RuleFileRulesProblemTest : public ::testing::TestWithParam<ProblemCase> {};

TEST_P(RuleFileRulesProblemTest, ReportsAtTheLine) {
  const ProblemCase& c = GetParam();
  EXPECT_THAT(ValidateRuleFile("shop.yaml", GoodWith(c.from, c.to)),
              ::testing::ElementsAreArray(c.problems));
}

INSTANTIATE_TEST_SUITE_P(
    RuleFileRules, RuleFileRulesProblemTest,
    ::testing::Values(
        ProblemCase{"ConditionTypeError", "channel == \"pos\"",
                    "subtotal >= \"lots\"",
                    {"shop.yaml:18: rule weekend: condition: column 13: "
                     "\"lots\" is not a whole number"}},
        ProblemCase{"ConditionUnknownField", "channel == \"pos\"",
                    "chanel == \"pos\"",
                    {"shop.yaml:18: rule weekend: condition: column 1: unknown "
                     "field 'chanel'; fields: subtotal, channel, store, partner, "
                     "weekday, hour, date, tier, segments, region, "
                     "enrolled_days, birthday_this_week, birthday_this_month, "
                     "purchases, first_purchase, rewards_redeemed"}},
        ProblemCase{"LineConditionError", "category == \"beans\"",
                    "category > 5",
                    {"shop.yaml:26: rule beans: percent_discount.lines: column "
                     "12: cannot compare 'category' (text) with '5' (a whole "
                     "number)"}},
        ProblemCase{"UnknownRuleKey", "    priority: 5\n",
                    "    priority: 5\n    prority: 6\n",
                    {"shop.yaml:25: rule beans: unknown key 'prority'; allowed "
                     "keys: id, description, priority, condition, valid, "
                     "channels, partners, stores, exclusive_group, caps, "
                     "points_per_amount, multiply_points, bonus_points, "
                     "percent_discount, fixed_discount, cashback, gift, "
                     "volume_ladder"}},
        ProblemCase{"OverlappingExclusiveRules", "    priority: 5\n",
                    "    priority: 10\n",
                    {"shop.yaml:25: rule beans: exclusive_group: rule 'beans' "
                     "and rule 'weekend' are in exclusive group 'points' with "
                     "the same priority 10 and can be valid at the same time; "
                     "give one a higher priority or make their windows not "
                     "overlap"}},
        ProblemCase{"NegativeCap", "per_order: 200", "per_order: -1",
                    {"shop.yaml:20: rule weekend: caps.per_order: must be 0 or "
                     "more, got -1"}},
        ProblemCase{"WindowEndsBeforeItStarts", "to: 2025-08-31",
                    "to: 2025-05-01",
                    {"shop.yaml:19: rule weekend: valid: ends ('to') before it "
                     "starts ('from'), or when it starts"}},
        ProblemCase{"PercentOver100", "percent: 20", "percent: 120",
                    {"shop.yaml:26: rule beans: percent_discount.percent: must "
                     "be between 1 and 100, got 120"}},
        ProblemCase{"DuplicateRuleId", "id: beans", "id: weekend",
                    {"shop.yaml:22: rule weekend: id: duplicate rule id "
                     "'weekend' (rules[0] has it too)",
                     "shop.yaml:29: promo code SUMMER: rules: no rule has the "
                     "id 'beans'"}},
        ProblemCase{"DuplicatePromoCode", "    max_uses: 100\n",
                    "    max_uses: 100\n  - code: summer\n    rules: [beans]\n",
                    {"shop.yaml:31: promo code summer: code: duplicate promo "
                     "code 'summer' (promo_codes[0] has it too; codes ignore "
                     "case)"}},
        ProblemCase{"TwoEffects", "    multiply_points: {percent: 200}\n",
                    "    multiply_points: {percent: 200}\n"
                    "    bonus_points: {points: 5}\n",
                    {"shop.yaml:22: rule weekend: has two effects "
                     "('multiply_points' and 'bonus_points'); a rule has "
                     "exactly one, so write two rules"}},
        ProblemCase{"NoEffect", "    multiply_points: {percent: 200}\n", "",
                    {"shop.yaml:14: rule weekend: needs exactly one effect: "
                     "points_per_amount, multiply_points, bonus_points, "
                     "percent_discount, fixed_discount, cashback, gift or "
                     "volume_ladder"}},
        ProblemCase{"BadWeekday", "weekdays: [sat, sun]",
                    "weekdays: [sat, sunday, funday]",
                    {"shop.yaml:19: rule weekend: valid.weekdays: 'funday' is "
                     "not a weekday (mon, tue, wed, thu, fri, sat, sun) or a "
                     "range such as mon-fri"}},
        ProblemCase{"BadHours", "weekdays: [sat, sun]", "hours: 9-9",
                    {"shop.yaml:19: rule weekend: valid.hours: must run from "
                     "an hour 0..23 to a different hour 1..24, got 9-9"}},
        ProblemCase{"BadDate", "from: 2025-06-01", "from: June",
                    {"shop.yaml:19: rule weekend: valid.from: must be a date "
                     "such as 2024-06-01 or a time such as 2024-06-01 08:30, "
                     "got 'June'"}},
        ProblemCase{"UnknownTimeZone", "Europe/Berlin", "Mars/Olympus",
                    {"shop.yaml:5: program.time_zone: unknown time zone "
                     "'Mars/Olympus'; use a tzdata name such as Europe/Berlin "
                     "(the tzdata package must be installed), UTC, or a fixed "
                     "offset such as +01:00"}},
        ProblemCase{"BadExclusionScope", "excluded_from: both",
                    "excluded_from: everything",
                    {"shop.yaml:33: exclusion #1: excluded_from: must be one "
                     "of earning, burning, both, got 'everything'"}},
        ProblemCase{"RulesNotAList", "rules:\n", "rules: weekend\nx:\n",
                    {"shop.yaml:13: rules: must be a list of rules, each "
                     "starting with '- ', got 'weekend'",
                     "shop.yaml:14: unknown section 'x'; allowed sections: "
                     "program, earn, burn, rules, promo_codes, exclusions, refund, "
                     "adjustment_reasons, feedback_reasons, points, tiers, "
                     "rewards, birthday, referral",
                     "shop.yaml:30: promo code SUMMER: rules: no rule has the "
                     "id 'beans'"}},
        ProblemCase{"PersonalCodeWithLimit", "    max_uses: 100\n",
                    "    max_uses: 100\n    member: m-1\n",
                    {"shop.yaml:30: promo code SUMMER: max_uses: a personal "
                     "code (with a member) is used once; leave the limit out"}},
        ProblemCase{"MissingDescription",
                    "    description: Beans 20% off\n", "",
                    {"shop.yaml:22: rule beans: missing key 'description' "
                     "(required)"}},
        ProblemCase{"BadBands", "percent_discount: {percent: 20, lines: "
                                "category == \"beans\"}",
                    "volume_ladder: {bands: [{from_minor: 500, percent: 3}, "
                    "{from_minor: 100, percent: 101}]}",
                    {"shop.yaml:26: rule beans: volume_ladder.bands[2].percent: "
                     "must be between 0 and 100, got 101",
                     "shop.yaml:26: rule beans: volume_ladder.bands[2]."
                     "from_minor: bands must go up: 100 is not above 500"}}),
    [](const ::testing::TestParamInfo<ProblemCase>& param_info) {
      return param_info.param.name;
    });

TEST(RuleFileRulesTest, CapsOfDiscountsAreMoneyAndCapsOfPointsWholeNumbers) {
  const std::string beans = "    percent_discount: {percent: 20, lines: category == \"beans\"}\n";
  auto rules = ParseRuleFile(
      "shop.yaml", GoodWith(beans, beans + "    caps: {per_order: 5.00, budget: \"1000 EUR\"}\n"));
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_EQ(rules->rules(1).caps().per_order(), 500);
  EXPECT_EQ(rules->rules(1).caps().budget(), 100000);
  EXPECT_EQ(rules->rules(0).caps().per_order(), 200);  // points
  EXPECT_THAT(
      ValidateRuleFile("shop.yaml",
                       GoodWith(beans, beans + "    caps: {per_order: 500}\n")),
      ElementsAre("shop.yaml:27: rule beans: caps.per_order: '500' is "
                  "ambiguous: amounts are written in EUR with decimals; write "
                  "500.00 for 500.00 EUR, or 5.00 if you meant 500 cents"));
  EXPECT_THAT(ValidateRuleFile("shop.yaml", GoodWith("per_order: 200,",
                                                     "per_order: 2.00,")),
              ElementsAre(::testing::HasSubstr(
                  "shop.yaml:20: rule weekend: caps.per_order: must be a "
                  "whole number")));
}

TEST(RuleFileRulesTest, LeftOutValuesAreReportedAtTheEnclosingLine) {
  // An effect with no keys: its points are 0, reported at the effect's line.
  EXPECT_THAT(ValidateRuleFile("shop.yaml",
                               GoodWith("multiply_points: {percent: 200}",
                                        "bonus_points: {}")),
              ElementsAre("shop.yaml:21: rule weekend: bonus_points: points: "
                          "must be greater than 0, got 0"));
}

TEST(RuleFileRulesTest, BinaryBytesAreRefusedBeforeYamlSeesThem) {
  // yaml-cpp can spin on invalid UTF-8 (found by tests/fuzz).
  EXPECT_THAT(ValidateRuleFile("shop.yaml",
                               GoodWith("  - id: beans\n", "  - id: be\xff\n")),
              ElementsAre("shop.yaml:22: column 11: the file must be UTF-8 "
                          "text without control characters"));
  EXPECT_THAT(ValidateRuleFile("shop.yaml", GoodWith("SUMMER", "SUM\x01ER")),
              ElementsAre("shop.yaml:28: column 14: the file must be UTF-8 "
                          "text without control characters"));
  // Real UTF-8 is fine: "Café crème".
  EXPECT_THAT(ValidateRuleFile("shop.yaml",
                               GoodWith("Beans 20% off", "Caf\xc3\xa9 cr\xc3\xa8me")),
              IsEmpty());
}

TEST(RuleFileRulesTest, DisjointWindowsMayShareAPriority) {
  // Same group and priority, but one is weekdays and one weekends: fine.
  std::string text = GoodWith("    priority: 5\n", "    priority: 10\n"
                                                  "    valid: {weekdays: mon-fri}\n");
  EXPECT_THAT(ValidateRuleFile("shop.yaml", text), IsEmpty());
}

TEST(RuleFileRulesTest, CompileNamesTheFieldForRpcCallers) {
  absl::StatusOr<loyalty::v1::RuleSet> rules = ParseRuleFile("shop.yaml", kGood);
  ASSERT_TRUE(rules.ok());
  rules->mutable_rules(0)->mutable_caps()->set_budget(-5);
  rules->mutable_rules(1)->set_condition("tier >");
  absl::Status status = CompiledRules::Compile(*rules).status();
  EXPECT_EQ(ErrorReason(status), "INVALID_RULES");
  EXPECT_EQ(ErrorField(status), "rules[0].caps.budget");
  EXPECT_EQ(status.message(),
            "INVALID_RULES: rules[0].caps.budget: must be 0 or more, got -5; "
            "rules[1].condition: column 7: the condition ends where a value "
            "was expected");
}

}  // namespace
}  // namespace loyalty::evaluator
