// The program sections of a rule file (points, tiers, rewards, birthday):
// read, checked with file:line problems, and the tier benefits in pricing.
// Every expected number is worked out by hand in the comment beside it.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "engine/base/error.h"
#include "engine/evaluator/tiers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/evaluator/test_support.h"

namespace loyalty::evaluator {
namespace {

using loyalty::v1::PricedPurchase;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace loyalty::evaluator::testing;  // NOLINT: test helpers

// A good file with every program section; line numbers below refer to it.
constexpr char kGood[] =
    "program:\n"                                          // 1
    "  id: shop\n"                                        // 2
    "  currency: EUR\n"                                   // 3
    "  point_value_minor: 1\n"                            // 4
    "earn:\n"                                             // 5
    "  points: 1\n"                                       // 6
    "  per_minor: 100\n"                                  // 7
    "  rounding: down\n"                                  // 8
    "burn:\n"                                             // 9
    "  max_basket_share_percent: 50\n"                    // 10
    "  earned_points_pay_same_order: false\n"             // 11
    "points:\n"                                           // 12
    "  pending_days: 14\n"                                // 13
    "  lifetime_days: 365\n"                              // 14
    "tiers:\n"                                            // 15
    "  measure: spend\n"                                  // 16
    "  window: rolling\n"                                 // 17
    "  window_days: 365\n"                                // 18
    "  review_days: 180\n"                                // 19
    "  grace_days: 30\n"                                  // 20
    "  levels:\n"                                         // 21
    "    - id: member\n"                                  // 22
    "      name: Member\n"                                // 23
    "      threshold: 0\n"                                // 24
    "    - id: silver\n"                                  // 25
    "      name: Silver\n"                                // 26
    "      threshold: 500.00\n"                           // 27
    "      benefits:\n"                                   // 28
    "        earn_multiplier_percent: 125\n"              // 29
    "        perks: [free delivery]\n"                    // 30
    "    - id: gold\n"                                    // 31
    "      name: Gold\n"                                  // 32
    "      threshold: \"1500.00 EUR\"\n"                  // 33
    "      benefits:\n"                                   // 34
    "        earn_multiplier_percent: 150\n"              // 35
    "        discount_percent: 5\n"                       // 36
    "        cashback_basis_points: 100\n"                // 37
    "        perks: [free delivery, priority support]\n"  // 38
    "rewards:\n"                                          // 39
    "  - id: coffee\n"                                    // 40
    "    description: A free coffee\n"                    // 41
    "    points: 250\n"                                   // 42
    "    stock: 1000\n"                                   // 43
    "    valid: {from: 2026-01-01}\n"                     // 44
    "  - id: mug\n"                                       // 45
    "    description: A mug\n"                            // 46
    "    points: 1200\n"                                  // 47
    "birthday:\n"                                         // 48
    "  points: 500\n"                                     // 49
    "  when: month\n";                                    // 50

std::string GoodWith(const std::string& from, const std::string& to) {
  std::string text = kGood;
  EXPECT_NE(text.find(from), std::string::npos) << from;
  return absl::StrReplaceAll(text, {{from, to}});
}

const std::pair<std::string, std::string> kWholeThresholdsYen[] = {
    {"threshold: 500.00", "threshold: 5000"},
    {"threshold: \"1500.00 EUR\"", "threshold: \"15000 JPY\""}};

std::vector<std::string> Problems(const std::string& from,
                                  const std::string& to) {
  return ValidateRuleFile("shop.yaml", GoodWith(from, to));
}

// --- Reading ---

TEST(TierFileTest, GoodFileReadsEveryProgramSection) {
  EXPECT_THAT(ValidateRuleFile("shop.yaml", kGood), IsEmpty());
  absl::StatusOr<loyalty::v1::RuleSet> rules = ParseRuleFile("shop.yaml", kGood);
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_EQ(rules->points().pending_days(), 14);
  EXPECT_EQ(rules->points().lifetime_days(), 365);
  const loyalty::v1::TierSettings& tiers = rules->tiers();
  EXPECT_EQ(tiers.measure(), loyalty::v1::TIER_MEASURE_SPEND);
  EXPECT_EQ(tiers.window(), loyalty::v1::TIER_WINDOW_ROLLING);
  EXPECT_EQ(tiers.window_days(), 365);
  EXPECT_EQ(tiers.review_days(), 180);
  EXPECT_EQ(tiers.grace_days(), 30);
  ASSERT_EQ(tiers.levels_size(), 3);
  EXPECT_EQ(tiers.levels(0).id(), "member");
  EXPECT_EQ(tiers.levels(0).name(), "Member");
  EXPECT_EQ(tiers.levels(0).threshold(), 0);
  EXPECT_FALSE(tiers.levels(0).has_benefits());
  EXPECT_EQ(tiers.levels(1).benefits().earn_multiplier_percent(), 125);
  EXPECT_THAT(tiers.levels(1).benefits().perks(), ElementsAre("free delivery"));
  const loyalty::v1::TierBenefits& gold = tiers.levels(2).benefits();
  EXPECT_EQ(tiers.levels(2).threshold(), 150000);
  EXPECT_EQ(gold.earn_multiplier_percent(), 150);
  EXPECT_EQ(gold.discount_percent(), 5);
  EXPECT_EQ(gold.cashback_basis_points(), 100);
  EXPECT_THAT(gold.perks(), ElementsAre("free delivery", "priority support"));
  ASSERT_EQ(rules->rewards_size(), 2);
  EXPECT_EQ(rules->rewards(0).id(), "coffee");
  EXPECT_EQ(rules->rewards(0).description(), "A free coffee");
  EXPECT_EQ(rules->rewards(0).points(), 250);
  EXPECT_TRUE(rules->rewards(0).has_stock());
  EXPECT_EQ(rules->rewards(0).stock(), 1000);
  EXPECT_EQ(rules->rewards(0).validity().from_time().seconds(),
            1767225600);  // 2026-01-01T00:00:00Z (the program is in UTC)
  EXPECT_FALSE(rules->rewards(1).has_stock());  // unlimited
  EXPECT_FALSE(rules->rewards(1).has_validity());
  EXPECT_EQ(rules->birthday().points(), 500);
  EXPECT_EQ(rules->birthday().when(), loyalty::v1::BIRTHDAY_WHEN_MONTH);
  absl::StatusOr<std::shared_ptr<const CompiledRules>> compiled =
      CompiledRules::Compile(*rules);
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_EQ((*compiled)->version(), rules->version());
}

TEST(TierFileTest, OtherSpellingsRead) {
  // Points and visits are counted in whole numbers, not money.
  const std::pair<std::string, std::string> kWholeThresholds[] = {
      {"threshold: 500.00", "threshold: 500"},
      {"threshold: \"1500.00 EUR\"", "threshold: 1500"}};
  std::string text = GoodWith("measure: spend", "measure: points_earned");
  text = absl::StrReplaceAll(text, {{"when: month", "when: week"},
                                    kWholeThresholds[0], kWholeThresholds[1]});
  absl::StatusOr<loyalty::v1::RuleSet> rules = ParseRuleFile("shop.yaml", text);
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_EQ(rules->tiers().measure(), loyalty::v1::TIER_MEASURE_POINTS_EARNED);
  EXPECT_EQ(rules->birthday().when(), loyalty::v1::BIRTHDAY_WHEN_WEEK);
  rules = ParseRuleFile(
      "shop.yaml",
      absl::StrReplaceAll(kGood, {{"measure: spend", "measure: visits"},
                                  kWholeThresholds[0], kWholeThresholds[1],
                                  {"window: rolling", "window: calendar_year"},
                                  {"  window_days: 365\n", ""},
                                  {"  review_days: 180\n", ""}}));
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_EQ(rules->tiers().measure(), loyalty::v1::TIER_MEASURE_VISITS);
  EXPECT_EQ(rules->tiers().window(), loyalty::v1::TIER_WINDOW_CALENDAR_YEAR);
}

TEST(TierFileTest, EverySectionIsOptionalAndTheDigestCoversThem) {
  // Without the program sections: no pending, no expiry, no tiers, no
  // rewards, no birthday gift.
  const std::string bare = Settings();
  absl::StatusOr<loyalty::v1::RuleSet> rules = ParseRuleFile("shop.yaml", bare);
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_FALSE(rules->has_points());
  EXPECT_FALSE(rules->has_tiers());
  EXPECT_FALSE(rules->has_birthday());
  EXPECT_EQ(rules->rewards_size(), 0);
  // Any value of the new sections changes the version.
  absl::StatusOr<loyalty::v1::RuleSet> good = ParseRuleFile("shop.yaml", kGood);
  absl::StatusOr<loyalty::v1::RuleSet> richer = ParseRuleFile(
      "shop.yaml", GoodWith("discount_percent: 5", "discount_percent: 6"));
  absl::StatusOr<loyalty::v1::RuleSet> pricier =
      ParseRuleFile("shop.yaml", GoodWith("points: 250", "points: 260"));
  ASSERT_TRUE(good.ok() && richer.ok() && pricier.ok());
  EXPECT_NE(good->version(), richer->version());
  EXPECT_NE(good->version(), pricier->version());
  EXPECT_NE(richer->version(), pricier->version());
}

// rules/default.yaml keeps no pending, no expiry and no tiers; its
// commented-out examples of the program sections are valid once the '# '
// in front of them is removed.
TEST(TierFileTest, DefaultFileHasNoProgramSectionsButValidExamples) {
  const std::string text = ReadSourceFile("rules/default.yaml");
  absl::StatusOr<loyalty::v1::RuleSet> plain =
      ParseRuleFile("default.yaml", text);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->has_points());
  EXPECT_FALSE(plain->has_tiers());
  EXPECT_FALSE(plain->has_birthday());
  EXPECT_EQ(plain->rewards_size(), 0);
  const size_t start = text.find("\n# points:\n");
  ASSERT_NE(start, std::string::npos);
  std::string uncommented = text.substr(0, start + 1);
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(text).substr(start + 1), '\n')) {
    if (absl::StartsWith(line, "# ")) line.remove_prefix(2);
    if (line == "#") line = "";
    absl::StrAppend(&uncommented, line, "\n");
  }
  EXPECT_THAT(ValidateRuleFile("default.yaml", uncommented), IsEmpty());
  absl::StatusOr<loyalty::v1::RuleSet> rich =
      ParseRuleFile("default.yaml", uncommented);
  ASSERT_TRUE(rich.ok()) << rich.status();
  EXPECT_EQ(rich->points().pending_days(), 14);
  EXPECT_EQ(rich->tiers().levels_size(), 2);
  EXPECT_EQ(rich->rewards_size(), 1);
  EXPECT_EQ(rich->birthday().points(), 200);
}

// --- Checks, each at its line ---

TEST(TierFileTest, PointsOutOfRange) {
  EXPECT_THAT(Problems("pending_days: 14", "pending_days: 400"),
              ElementsAre("shop.yaml:13: points.pending_days: must be between "
                          "0 and 365 days, got 400"));
  EXPECT_THAT(Problems("pending_days: 14", "pending_days: -1"),
              ElementsAre("shop.yaml:13: points.pending_days: must be between "
                          "0 and 365 days, got -1"));
  EXPECT_THAT(Problems("lifetime_days: 365", "lifetime_days: 4000"),
              ElementsAre("shop.yaml:14: points.lifetime_days: must be "
                          "between 0 and 3650 days (0: points never expire), "
                          "got 4000"));
  EXPECT_THAT(Problems("lifetime_days: 365", "lifetime_days: 14"),
              ElementsAre("shop.yaml:14: points.lifetime_days: must be more "
                          "than pending_days (14): points would expire before "
                          "they can be spent, got 14"));
  EXPECT_THAT(Problems("lifetime_days: 365", "lifetime_days: 0"), IsEmpty());
  EXPECT_THAT(Problems("pending_days: 14", "pending_day: 14"),
              ElementsAre("shop.yaml:13: points: unknown key 'pending_day'; "
                          "allowed keys: pending_days, lifetime_days, "
                          "expiry_notice_days"));
  EXPECT_THAT(Problems("lifetime_days: 365",
                       "lifetime_days: 365\n  expiry_notice_days: 400"),
              ElementsAre("shop.yaml:15: points.expiry_notice_days: must be "
                          "between 0 and 365 days (0: no expiry notices), "
                          "got 400"));
  EXPECT_THAT(Problems("lifetime_days: 365",
                       "lifetime_days: 365\n  expiry_notice_days: 0"),
              IsEmpty());
}

TEST(TierFileTest, TierSettingsOutOfRange) {
  EXPECT_THAT(Problems("measure: spend", "measure: height"),
              ElementsAre("shop.yaml:16: tiers.measure: must be one of spend, "
                          "points_earned, visits, got 'height'"));
  EXPECT_THAT(Problems("window: rolling", "window: weekly"),
              ElementsAre("shop.yaml:17: tiers.window: must be one of "
                          "rolling, calendar_year, got 'weekly'"));
  EXPECT_THAT(Problems("window_days: 365", "window_days: 0"),
              ElementsAre("shop.yaml:18: tiers.window_days: must be between 1 "
                          "and 3660 days, got 0"));
  EXPECT_THAT(Problems("window_days: 365", "window_days: 3661"),
              ElementsAre("shop.yaml:18: tiers.window_days: must be between 1 "
                          "and 3660 days, got 3661"));
  // Left out of a rolling window: shown at the section.
  EXPECT_THAT(Problems("  window_days: 365\n", ""),
              ElementsAre("shop.yaml:15: tiers: window_days: must be between "
                          "1 and 3660 days, got 0"));
  EXPECT_THAT(Problems("review_days: 180", "review_days: -5"),
              ElementsAre("shop.yaml:19: tiers.review_days: must be between 0 "
                          "and 3660 days (0: every window_days), got -5"));
  EXPECT_THAT(Problems("grace_days: 30", "grace_days: 366"),
              ElementsAre("shop.yaml:20: tiers.grace_days: must be between 0 "
                          "and 365 days, got 366"));
  EXPECT_THAT(
      Problems("window: rolling", "window: calendar_year"),
      ElementsAre("shop.yaml:18: tiers.window_days: only a rolling window has "
                  "window_days; a calendar-year window counts the current "
                  "year and is reviewed when a new one starts, got 365",
                  "shop.yaml:19: tiers.review_days: only a rolling window has "
                  "review_days; a calendar-year window counts the current "
                  "year and is reviewed when a new one starts, got 180"));
  EXPECT_THAT(Problems("  measure: spend\n", ""),
              ElementsAre("shop.yaml:15: tiers: missing key 'measure' "
                          "(required)"));
}

TEST(TierFileTest, ASpendThresholdIsMoneyInCurrencyUnits) {
  // 500.00, 500.5 and "500.00 EUR" are the same amount.
  for (const char* spelling : {"500.00", "500.5", "\"500.00 EUR\"", "\"500 EUR\""}) {
    auto rules = ParseRuleFile(
        "shop.yaml", GoodWith("threshold: 500.00", absl::StrCat("threshold: ", spelling)));
    ASSERT_TRUE(rules.ok()) << spelling << ": " << rules.status();
    EXPECT_EQ(rules->tiers().levels(1).threshold(),
              absl::string_view(spelling) == "500.5" ? 50050 : 50000);
  }
  // A bare whole number could mean euros or cents: refused, with both.
  EXPECT_THAT(Problems("threshold: 500.00", "threshold: 200"),
              ElementsAre("shop.yaml:27: tier silver: threshold: '200' is "
                          "ambiguous: amounts are written in EUR with "
                          "decimals; write 200.00 for 200.00 EUR, or 2.00 if "
                          "you meant 200 cents"));
  EXPECT_THAT(Problems("threshold: 500.00", "threshold: \"500.00 USD\""),
              ElementsAre("shop.yaml:27: tier silver: threshold: '500.00 USD' "
                          "is in USD, but the program's currency is EUR"));
  EXPECT_THAT(Problems("threshold: 500.00", "threshold: 500.001"),
              ElementsAre("shop.yaml:27: tier silver: threshold: '500.001' "
                          "has more decimals than EUR has (2)"));
  // A currency without minor units takes whole numbers.
  auto yen = ParseRuleFile(
      "shop.yaml", absl::StrReplaceAll(kGood, {{"currency: EUR", "currency: JPY"},
                                               kWholeThresholdsYen[0],
                                               kWholeThresholdsYen[1]}));
  ASSERT_TRUE(yen.ok()) << yen.status();
  EXPECT_EQ(yen->tiers().levels(1).threshold(), 5000);
  EXPECT_EQ(yen->tiers().levels(2).threshold(), 15000);
}

TEST(TierFileTest, AMinorUnitsKeyWrittenAsAnAmountShowsTheSpelling) {
  EXPECT_THAT(Problems("per_minor: 100", "per_minor: 1.00"),
              ElementsAre(::testing::HasSubstr(
                  "(this key is in minor units: write 100 for 1.00 EUR)")));
}

TEST(TierFileTest, LevelsOutOfOrderOrMalformed) {
  EXPECT_THAT(Problems("threshold: 0", "threshold: 1.00"),
              ElementsAre("shop.yaml:24: tier member: threshold: the first "
                          "level must have threshold 0 (every member is at "
                          "least in it), got 1.00 EUR"));
  EXPECT_THAT(Problems("threshold: \"1500.00 EUR\"", "threshold: 500.00"),
              ElementsAre("shop.yaml:33: tier gold: threshold: thresholds "
                          "must go up: 500.00 EUR is not above 500.00 EUR"));
  EXPECT_THAT(Problems("id: gold", "id: silver"),
              ElementsAre("shop.yaml:31: tier silver: id: duplicate tier id "
                          "'silver' (tiers.levels[1] has it too)"));
  EXPECT_THAT(Problems("id: gold", "id: gold.plus"),
              ElementsAre("shop.yaml:31: tier gold.plus: id: may hold only "
                          "letters, digits, '_' and '-', got 'gold.plus'"));
  EXPECT_THAT(Problems("      threshold: \"1500.00 EUR\"\n", ""),
              ElementsAre("shop.yaml:31: tier gold: missing key 'threshold' "
                          "(required)"));
  EXPECT_THAT(Problems("      name: Gold\n", ""), IsEmpty());  // optional
  // No levels at all, or an empty list.
  const std::string good = kGood;
  const std::string no_levels = good.substr(0, good.find("  levels:\n")) +
                                good.substr(good.find("rewards:\n"));
  EXPECT_THAT(ValidateRuleFile("shop.yaml", no_levels),
              ElementsAre("shop.yaml:15: tiers: missing key 'levels' "
                          "(required)"));
  const std::string empty_levels = good.substr(0, good.find("  levels:\n")) +
                                   "  levels: []\n" +
                                   good.substr(good.find("rewards:\n"));
  EXPECT_THAT(ValidateRuleFile("shop.yaml", empty_levels),
              ElementsAre("shop.yaml:21: tiers.levels: must hold 1 to 20 "
                          "levels, the first with threshold 0, got 0"));
  EXPECT_THAT(ValidateRuleFile("shop.yaml",
                               Settings() +
                                   "tiers:\n"                // 12
                                   "  measure: spend\n"      // 13
                                   "  window: rolling\n"     // 14
                                   "  window_days: 365\n"    // 15
                                   "  levels: gold\n"),      // 16
              ElementsAre("shop.yaml:16: tiers.levels: must be a list of "
                          "tiers, each starting with '- ', got 'gold'"));
}

TEST(TierFileTest, BenefitsOutOfRange) {
  EXPECT_THAT(Problems("earn_multiplier_percent: 150",
                       "earn_multiplier_percent: 50"),
              ElementsAre("shop.yaml:35: tier gold: "
                          "benefits.earn_multiplier_percent: must be 0 (no "
                          "change) or between 100 and 1000 (150 is one and a "
                          "half times the points), got 50"));
  EXPECT_THAT(Problems("earn_multiplier_percent: 150",
                       "earn_multiplier_percent: 1001"),
              ElementsAre(HasSubstr("shop.yaml:35: tier gold: "
                                    "benefits.earn_multiplier_percent: must be "
                                    "0 (no change) or between 100 and 1000")));
  EXPECT_THAT(Problems("earn_multiplier_percent: 150",
                       "earn_multiplier_percent: 0"),
              IsEmpty());
  EXPECT_THAT(Problems("earn_multiplier_percent: 150",
                       "earn_multiplier_percent: 100"),
              IsEmpty());
  EXPECT_THAT(Problems("discount_percent: 5", "discount_percent: 120"),
              ElementsAre("shop.yaml:36: tier gold: benefits.discount_percent: "
                          "must be between 0 and 100, got 120"));
  EXPECT_THAT(Problems("cashback_basis_points: 100",
                       "cashback_basis_points: 20000"),
              ElementsAre("shop.yaml:37: tier gold: "
                          "benefits.cashback_basis_points: must be between 0 "
                          "and 10000 (0% to 100%), got 20000"));
  EXPECT_THAT(Problems("perks: [free delivery, priority support]",
                       "perks: [free delivery, '']"),
              ElementsAre("shop.yaml:38: tier gold: benefits.perks: holds an "
                          "empty name"));
  EXPECT_THAT(Problems("discount_percent: 5", "discount: 5"),
              ElementsAre(HasSubstr("shop.yaml:36: tier gold: benefits: "
                                    "unknown key 'discount'; allowed keys: "
                                    "earn_multiplier_percent, discount_percent, "
                                    "cashback_basis_points, perks")));
  EXPECT_THAT(Problems("discount_percent: 5", "discount_percent: five"),
              ElementsAre("shop.yaml:36: tier gold: benefits.discount_percent: "
                          "must be a whole number, got 'five'"));
}

TEST(TierFileTest, RewardsOutOfRange) {
  EXPECT_THAT(Problems("points: 250", "points: 0"),
              ElementsAre("shop.yaml:42: reward coffee: points: must be "
                          "greater than 0, got 0"));
  EXPECT_THAT(Problems("stock: 1000", "stock: -1"),
              ElementsAre("shop.yaml:43: reward coffee: stock: must be 0 or "
                          "more (leave it out for no limit), got -1"));
  EXPECT_THAT(Problems("stock: 1000", "stock: 0"), IsEmpty());  // sold out
  EXPECT_THAT(Problems("id: mug", "id: coffee"),
              ElementsAre("shop.yaml:45: reward coffee: id: duplicate reward "
                          "id 'coffee' (rewards[0] has it too)"));
  EXPECT_THAT(Problems("id: mug", "id: mug/2"),
              ElementsAre("shop.yaml:45: reward mug/2: id: may hold only "
                          "letters, digits, '_' and '-', got 'mug/2'"));
  EXPECT_THAT(Problems("valid: {from: 2026-01-01}",
                       "valid: {from: 2026-01-01, to: 2025-01-01}"),
              ElementsAre("shop.yaml:44: reward coffee: valid: ends ('to') "
                          "before it starts ('from'), or when it starts"));
  EXPECT_THAT(Problems("valid: {from: 2026-01-01}", "valid: {from: soon}"),
              ElementsAre(HasSubstr("shop.yaml:44: reward coffee: valid.from: "
                                    "must be a date such as 2024-06-01")));
  EXPECT_THAT(Problems("    description: A mug\n", ""),
              ElementsAre("shop.yaml:45: reward mug: missing key "
                          "'description' (required)"));
  EXPECT_THAT(ValidateRuleFile("shop.yaml", Settings() + "rewards: coffee\n"),
              ElementsAre("shop.yaml:12: rewards: must be a list of rewards, "
                          "each starting with '- ', got 'coffee'"));
}

TEST(TierFileTest, BirthdayOutOfRange) {
  EXPECT_THAT(Problems("points: 500", "points: 0"),
              ElementsAre("shop.yaml:49: birthday.points: must be greater "
                          "than 0, got 0"));
  EXPECT_THAT(Problems("when: month", "when: year"),
              ElementsAre("shop.yaml:50: birthday.when: must be one of week, "
                          "month, got 'year'"));
  EXPECT_THAT(Problems("  when: month\n", ""),
              ElementsAre("shop.yaml:48: birthday: missing key 'when' "
                          "(required)"));
}

TEST(TierFileTest, UnknownSectionNamesTheNewOnes) {
  EXPECT_THAT(Problems("birthday:", "birthdays:"),
              ::testing::Contains(HasSubstr(
                  "unknown section 'birthdays'; allowed sections: program, "
                  "earn, burn, rules, promo_codes, exclusions, refund, "
                  "adjustment_reasons, feedback_reasons, points, tiers, "
                  "rewards, birthday")));
}

// Rule sets sent over RPC get the same checks, named by proto path.
TEST(TierCompileTest, RpcRuleSetsAreCheckedToo) {
  absl::StatusOr<loyalty::v1::RuleSet> good = ParseRuleFile("shop.yaml", kGood);
  ASSERT_TRUE(good.ok()) << good.status();
  loyalty::v1::RuleSet rules = *good;
  rules.mutable_tiers()->set_measure(loyalty::v1::TIER_MEASURE_UNSPECIFIED);
  absl::Status status = CompiledRules::Compile(rules).status();
  EXPECT_EQ(ErrorReason(status), "INVALID_RULES");
  EXPECT_EQ(ErrorField(status), "tiers.measure");
  rules = *good;
  rules.mutable_tiers()->mutable_levels(2)->set_threshold(10);
  status = CompiledRules::Compile(rules).status();
  EXPECT_EQ(ErrorField(status), "tiers.levels[2].threshold");
  rules = *good;
  rules.mutable_birthday()->set_when(loyalty::v1::BIRTHDAY_WHEN_UNSPECIFIED);
  EXPECT_EQ(ErrorField(CompiledRules::Compile(rules).status()),
            "birthday.when");
  // An empty tiers message is no tiers; an empty birthday message is a
  // birthday gift of nothing, which is refused.
  rules = *good;
  rules.clear_tiers();
  rules.mutable_tiers();
  EXPECT_TRUE(CompiledRules::Compile(rules).ok());
  rules.clear_birthday();
  rules.mutable_birthday();
  EXPECT_EQ(ErrorField(CompiledRules::Compile(rules).status()),
            "birthday.points");
}

// --- Helpers for the program layer ---

TEST(TierIndexTest, IndexForQualifyingAmount) {
  absl::StatusOr<loyalty::v1::RuleSet> rules = ParseRuleFile("shop.yaml", kGood);
  ASSERT_TRUE(rules.ok()) << rules.status();
  const loyalty::v1::TierSettings& tiers = rules->tiers();
  EXPECT_EQ(TierIndexFor(tiers, -500), 0);  // refunds took it below 0
  EXPECT_EQ(TierIndexFor(tiers, 0), 0);
  EXPECT_EQ(TierIndexFor(tiers, 49999), 0);
  EXPECT_EQ(TierIndexFor(tiers, 50000), 1);  // the threshold itself reaches
  EXPECT_EQ(TierIndexFor(tiers, 149999), 1);
  EXPECT_EQ(TierIndexFor(tiers, 150000), 2);
  EXPECT_EQ(TierIndexFor(tiers, INT64_MAX), 2);
  EXPECT_EQ(TierIndexFor(loyalty::v1::TierSettings(), 1000), 0);  // no levels
}

TEST(TierIndexTest, IndexOfId) {
  absl::StatusOr<loyalty::v1::RuleSet> rules = ParseRuleFile("shop.yaml", kGood);
  ASSERT_TRUE(rules.ok()) << rules.status();
  const loyalty::v1::TierSettings& tiers = rules->tiers();
  EXPECT_EQ(TierIndexOf(tiers, "member"), 0);
  EXPECT_EQ(TierIndexOf(tiers, "silver"), 1);
  EXPECT_EQ(TierIndexOf(tiers, "gold"), 2);
  EXPECT_EQ(TierIndexOf(tiers, "Gold"), -1);  // ids are exact
  EXPECT_EQ(TierIndexOf(tiers, "platinum"), -1);
  EXPECT_EQ(TierIndexOf(tiers, ""), -1);
  EXPECT_EQ(TierIndexOf(loyalty::v1::TierSettings(), "gold"), -1);
}

TEST(TierIndexTest, MeasureNamesAreTheFileSpellings) {
  EXPECT_EQ(TierMeasureName(loyalty::v1::TIER_MEASURE_SPEND), "spend");
  EXPECT_EQ(TierMeasureName(loyalty::v1::TIER_MEASURE_POINTS_EARNED),
            "points_earned");
  EXPECT_EQ(TierMeasureName(loyalty::v1::TIER_MEASURE_VISITS), "visits");
  EXPECT_EQ(TierMeasureName(loyalty::v1::TIER_MEASURE_UNSPECIFIED), "");
}

// --- Pricing ---

// A program with a 50% burn share and the ladder of kGood, plus `extra`
// (rules, exclusions).
std::string TierProgram(const std::string& rounding = "down",
                        const std::string& extra = "") {
  std::string text = kGood;
  text = text.substr(0, text.find("rewards:\n"));
  text = absl::StrReplaceAll(text, {{"rounding: down", "rounding: " + rounding}});
  return text + extra;
}

MemberState InTier(const std::string& tier, int64_t points = 0) {
  MemberState member = Member("m-1", points);
  member.tier = tier;
  return member;
}

// Wednesday 11 June 2025, noon UTC: no campaign in these tests has a window.
absl::Time Noon() { return At("UTC", 2025, 6, 11); }

TEST(TierPricingTest, MultiplierExtraIsRoundedWithTheEarnRounding) {
  // 34.10 EUR earns 34 base points. Silver: 125% of 34 = 42.5, so 8.5
  // extra: 8 rounded down, 9 rounded half up.
  loyalty::v1::Purchase purchase = Purchase();
  AddLine(purchase, "BEANS", "beans", 1, 3410);
  for (const auto& [rounding, extra] :
       {std::pair{"down", 8}, std::pair{"half_up", 9}}) {
    auto rules = CompileYaml(TierProgram(rounding));
    ASSERT_NE(rules, nullptr);
    absl::StatusOr<PricedPurchase> priced =
        PricePurchase(*rules, InTier("silver"), purchase, Noon());
    ASSERT_TRUE(priced.ok()) << priced.status();
    EXPECT_EQ(priced->points_earned(), 34 + extra) << rounding;
    EXPECT_EQ(Row(*priced, "tier:silver")->points(), extra);
    EXPECT_EQ(Row(*priced, "tier:silver")->explanation(),
              absl::StrCat("Silver tier: 125% of 34 points = ", 34 + extra,
                           " points (", extra, " extra, rounded ",
                           extra == 8 ? "down" : "half up", ")"));
    EXPECT_EQ(priced->tier(), "silver");
    EXPECT_THAT(priced->perks(), ElementsAre("free delivery"));
    EXPECT_EQ(priced->discount_minor(), 0);  // silver has no discount
  }
}

TEST(TierPricingTest, MultiplierAddsUpWithCampaignMultipliers) {
  auto rules = CompileYaml(TierProgram(
      "down",
      "rules:\n"
      "  - id: double\n"
      "    description: Double points\n"
      "    multiply_points: {percent: 200}\n"));
  ASSERT_NE(rules, nullptr);
  loyalty::v1::Purchase purchase = Purchase();
  AddLine(purchase, "BEANS", "beans", 1, 4000);
  absl::StatusOr<PricedPurchase> priced =
      PricePurchase(*rules, InTier("gold"), purchase, Noon());
  ASSERT_TRUE(priced.ok()) << priced.status();
  // Gold 5% off 40.00 = 2.00: pays 38.00, 38 base points. Both multipliers
  // work on the base points: gold 50% of 38 = 19 extra, the campaign 38
  // extra: 38 + 19 + 38 = 95.
  EXPECT_EQ(priced->total_due_minor(), 3800);
  EXPECT_EQ(priced->points_earned(), 95);
  EXPECT_EQ(Row(*priced, "double")->points(), 38);
  // The tier's rows: discount, then points, then cashback (1% of 38.00).
  std::vector<std::string> tier_rows;
  for (const loyalty::v1::AppliedRule& row : priced->applied()) {
    if (row.rule_id() == "tier:gold") tier_rows.push_back(row.explanation());
  }
  EXPECT_THAT(tier_rows,
              ElementsAre("Gold tier: 5% off 40.00 EUR = 2.00 EUR off",
                          "Gold tier: 150% of 38 points = 57 points (19 extra)",
                          "Gold tier: 1% cashback on 38.00 EUR = 0.38 EUR"));
  EXPECT_EQ(priced->cashback_earned_minor(), 38);
}

// The worked example of rules/README.md, "Tiers".
TEST(TierPricingTest, DiscountComesAfterCampaignsAndBeforeTheBurnShare) {
  auto rules = CompileYaml(TierProgram(
      "down",
      "rules:\n"
      "  - id: sale\n"
      "    description: Sale 10% off\n"
      "    percent_discount: {percent: 10}\n"));
  ASSERT_NE(rules, nullptr);
  loyalty::v1::Purchase purchase = Purchase();
  AddLine(purchase, "A", "x", 1, 6000);
  AddLine(purchase, "B", "x", 1, 4001);
  purchase.set_redeem_points(4275);
  absl::StatusOr<PricedPurchase> priced =
      PricePurchase(*rules, InTier("gold", 10000), purchase, Noon());
  ASSERT_TRUE(priced.ok()) << priced.status();
  // Subtotal 100.01. Sale: 10% = 10.001 -> 10.00, spread 599.94 -> 599 (+1)
  // and 400.06 -> 400: lines 54.00 / 36.01 = 90.01.
  // Gold: 5% of 90.01 = 4.5005 -> 4.50 (down), spread 269.97 -> 269 (+1)
  // and 180.02 -> 180: lines 51.30 / 34.21 = 85.51.
  EXPECT_EQ(Row(*priced, "sale")->discount_minor(), 1000);
  EXPECT_EQ(Row(*priced, "tier:gold")->explanation(),
            "Gold tier: 5% off 90.01 EUR = 4.50 EUR off");
  EXPECT_EQ(Row(*priced, "tier:gold")->discount_minor(), 450);
  EXPECT_EQ(priced->discount_minor(), 1450);
  // The burn share is taken after both: 50% of 85.51 = 42.755 -> 42.75,
  // so 4275 points at most; the total due is 85.51 - 42.75 = 42.76.
  EXPECT_EQ(priced->max_redeemable_points(), 4275);
  EXPECT_EQ(priced->total_due_minor(), 4276);
  // Earning on 42.76 paid: 42 base, gold 21 extra; cashback 1% of 42.76 =
  // 0.4276 -> 0.42.
  EXPECT_EQ(priced->points_earned(), 42 + 21);
  EXPECT_EQ(priced->cashback_earned_minor(), 42);
  EXPECT_EQ(priced->applied(1).explanation(),  // right after the sale
            "Gold tier: 5% off 90.01 EUR = 4.50 EUR off");
  // One point more than the share allows is refused.
  purchase.set_redeem_points(4276);
  EXPECT_EQ(ErrorReason(PricePurchase(*rules, InTier("gold", 10000), purchase,
                                      Noon())
                            .status()),
            "REDEEM_LIMIT_EXCEEDED");
}

TEST(TierPricingTest, EarningBeforeDiscountsEarnsOnTheFullBasket) {
  auto rules = CompileYaml(absl::StrReplaceAll(
      TierProgram(), {{"  point_value_minor: 1\n",
                       "  point_value_minor: 1\n"
                       "  application_order: earn_discounts_burn\n"}}));
  ASSERT_NE(rules, nullptr);
  loyalty::v1::Purchase purchase = Purchase();
  AddLine(purchase, "BEANS", "beans", 1, 4000);
  absl::StatusOr<PricedPurchase> priced =
      PricePurchase(*rules, InTier("gold"), purchase, Noon());
  ASSERT_TRUE(priced.ok()) << priced.status();
  // The gold 5% still comes off (2.00), but earning is on the 40.00 before
  // discounts: 40 base points, 20 extra; 1% cashback = 0.40.
  EXPECT_EQ(priced->total_due_minor(), 3800);
  EXPECT_EQ(priced->points_earned(), 60);
  EXPECT_EQ(priced->cashback_earned_minor(), 40);
}

TEST(TierPricingTest, CashbackRespectsEarningExclusions) {
  auto rules = CompileYaml(
      Settings() +
      "tiers:\n"
      "  measure: visits\n"
      "  window: calendar_year\n"
      "  levels:\n"
      "    - {id: member, threshold: 0}\n"
      "    - id: vip\n"
      "      name: VIP\n"
      "      threshold: 20\n"
      "      benefits: {cashback_basis_points: 250}\n"
      "exclusions:\n"
      "  - categories: [gift-cards]\n"
      "    excluded_from: both\n"
      "  - skus: [DELIVERY]\n"
      "    excluded_from: earning\n");
  ASSERT_NE(rules, nullptr);
  loyalty::v1::Purchase purchase = Purchase();
  AddLine(purchase, "BOOK", "books", 1, 3010);
  AddLine(purchase, "GIFTCARD-25", "gift-cards", 1, 2500);
  AddLine(purchase, "DELIVERY", "delivery", 1, 499);
  absl::StatusOr<PricedPurchase> priced =
      PricePurchase(*rules, InTier("vip"), purchase, Noon());
  ASSERT_TRUE(priced.ok()) << priced.status();
  // Only the book earns: 30.10 EUR, 30 points; 2.5% cashback of 30.10 =
  // 0.7525 -> 0.75 (down). No base cashback in this program.
  EXPECT_EQ(priced->points_earned(), 30);
  EXPECT_EQ(priced->cashback_earned_minor(), 75);
  EXPECT_EQ(Row(*priced, "tier:vip")->cashback_minor(), 75);
  EXPECT_EQ(Row(*priced, "tier:vip")->explanation(),
            "VIP tier: 2.5% cashback on 30.10 EUR = 0.75 EUR (rounded down)");
  EXPECT_FALSE(HasRow(*priced, "base-cashback"));
  EXPECT_THAT(priced->perks(), IsEmpty());
}

TEST(TierPricingTest, UnknownEmptyOrPlainTierGivesNothing) {
  auto rules = CompileYaml(TierProgram());
  auto plain = CompileYaml(Settings());  // no tiers at all
  ASSERT_NE(rules, nullptr);
  ASSERT_NE(plain, nullptr);
  loyalty::v1::Purchase purchase = Purchase();
  AddLine(purchase, "BEANS", "beans", 2, 2455);
  absl::StatusOr<PricedPurchase> reference =
      PricePurchase(*plain, InTier("gold"), purchase, Noon());
  ASSERT_TRUE(reference.ok()) << reference.status();
  // "platinum" is not a level, "" is no tier, "member" gives nothing, and
  // "GOLD" is not "gold".
  for (const std::string tier : {"platinum", "", "member", "GOLD"}) {
    absl::StatusOr<PricedPurchase> priced =
        PricePurchase(*rules, InTier(tier), purchase, Noon());
    ASSERT_TRUE(priced.ok()) << priced.status();
    EXPECT_EQ(priced->total_due_minor(), 4910) << tier;
    EXPECT_EQ(priced->discount_minor(), 0) << tier;
    EXPECT_EQ(priced->points_earned(), 49) << tier;
    EXPECT_EQ(priced->cashback_earned_minor(), 0) << tier;
    EXPECT_THAT(priced->perks(), IsEmpty()) << tier;
    EXPECT_EQ(priced->applied_size(), reference->applied_size()) << tier;
    EXPECT_FALSE(HasRow(*priced, "tier:" + tier)) << tier;
  }
  // A rule set without tiers ignores the member's tier entirely.
  EXPECT_EQ(reference->points_earned(), 49);
  EXPECT_THAT(reference->perks(), IsEmpty());
}

TEST(TierPricingTest, FullDiscountLeavesNothingToPayOrEarn) {
  std::string text = GoodWith("discount_percent: 5", "discount_percent: 100");
  auto rules = CompileYaml(text.substr(0, text.find("rewards:\n")));
  ASSERT_NE(rules, nullptr);
  loyalty::v1::Purchase purchase = Purchase();
  AddLine(purchase, "A", "x", 3, 333);
  AddLine(purchase, "B", "x", 1, 1);
  absl::StatusOr<PricedPurchase> priced =
      PricePurchase(*rules, InTier("gold"), purchase, Noon());
  ASSERT_TRUE(priced.ok()) << priced.status();
  // 100% of 10.00: no line below 0, nothing paid, nothing earned.
  EXPECT_EQ(priced->discount_minor(), 1000);
  EXPECT_EQ(priced->total_due_minor(), 0);
  EXPECT_EQ(priced->points_earned(), 0);
  EXPECT_EQ(priced->cashback_earned_minor(), 0);
  EXPECT_THAT(priced->perks(), ElementsAre("free delivery", "priority support"));
}

TEST(TierPricingTest, ArenaFormGivesTheSameAnswer) {
  auto rules = CompileYaml(TierProgram());
  ASSERT_NE(rules, nullptr);
  loyalty::v1::Purchase purchase = Purchase();
  AddLine(purchase, "BEANS", "beans", 1, 5999);
  absl::StatusOr<PricedPurchase> heap =
      PricePurchase(*rules, InTier("gold"), purchase, Noon());
  google::protobuf::Arena arena;
  absl::StatusOr<PricedPurchase*> on_arena = PricePurchase(
      *rules, InTier("gold"), ProgramState(), purchase, Noon(), arena);
  ASSERT_TRUE(heap.ok() && on_arena.ok());
  EXPECT_EQ(heap->SerializeAsString(), (*on_arena)->SerializeAsString());
}

}  // namespace
}  // namespace loyalty::evaluator
