// Campaign rules at their edges: validity windows and weekdays at the exact
// boundary instants, caps and budgets at the limit, exclusive groups,
// promo codes, exclusions and the order of application.
#include <memory>
#include <string>

#include "engine/base/error.h"
#include "gmock/gmock.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/evaluator/test_support.h"

namespace loyalty::evaluator {
namespace {

using loyalty::v1::PricedPurchase;
using ::testing::ElementsAre;
using namespace loyalty::evaluator::testing;  // NOLINT: test helpers

// A one-line basket of `minor` at `when`, priced with `rules`.
absl::StatusOr<PricedPurchase> PriceOne(const CompiledRules& rules,
                                        int64_t minor, absl::Time when,
                                        const MemberState& member = Member(),
                                        const ProgramState& program = {}) {
  loyalty::v1::Purchase purchase = Purchase(member.member_id);
  AddLine(purchase, "SKU-1", "food", 1, minor);
  return PricePurchase(rules, member, program, purchase, when);
}

// Whether `rule_id` gave something on a 10.00 EUR basket at `when`.
bool Gives(const CompiledRules& rules, absl::Time when,
           const std::string& rule_id = "r") {
  absl::StatusOr<PricedPurchase> priced = PriceOne(rules, 1000, when);
  EXPECT_TRUE(priced.ok()) << priced.status();
  return priced.ok() && HasRow(*priced, rule_id);
}

TEST(CampaignTest, DateWindowBoundariesInTheProgramTimeZone) {
  // From 2025-03-24 00:00 to the end of 2025-03-30 in Berlin. Berlin moves
  // to summer time on 30 March at 02:00, so the end is 2025-03-30T22:00Z.
  auto rules = CompileYaml(Settings("  time_zone: Europe/Berlin\n") +
                           "rules:\n"
                           "  - id: r\n    description: Spring\n"
                           "    valid: {from: 2025-03-24, to: 2025-03-30}\n"
                           "    bonus_points: {points: 10}\n");
  ASSERT_NE(rules, nullptr);
  const absl::Time start = absl::FromUnixSeconds(1742770800);  // 03-23T23:00Z
  EXPECT_EQ(start, At("Europe/Berlin", 2025, 3, 24, 0));
  EXPECT_FALSE(Gives(*rules, start - absl::Seconds(1)));
  EXPECT_TRUE(Gives(*rules, start));
  const absl::Time end = At("Europe/Berlin", 2025, 3, 31, 0);
  EXPECT_EQ(end, absl::FromUnixSeconds(1743372000));  // 03-30T22:00Z
  EXPECT_TRUE(Gives(*rules, end - absl::Seconds(1)));
  EXPECT_FALSE(Gives(*rules, end));
}

TEST(CampaignTest, TimedWindowEndsExactlyAtItsTime) {
  auto rules = CompileYaml(Settings() +
                           "rules:\n"
                           "  - id: r\n    description: Flash sale\n"
                           "    valid: {from: '2025-05-01 18:00', to: '2025-05-01 20:30'}\n"
                           "    percent_discount: {percent: 10}\n");
  ASSERT_NE(rules, nullptr);
  EXPECT_FALSE(Gives(*rules, At("UTC", 2025, 5, 1, 17, 59, 59)));
  EXPECT_TRUE(Gives(*rules, At("UTC", 2025, 5, 1, 18, 0, 0)));
  EXPECT_TRUE(Gives(*rules, At("UTC", 2025, 5, 1, 20, 29, 59)));
  EXPECT_FALSE(Gives(*rules, At("UTC", 2025, 5, 1, 20, 30, 0)));
}

TEST(CampaignTest, WeekdaysAndHoursAtTheirBoundaries) {
  auto rules = CompileYaml(Settings("  time_zone: Europe/Berlin\n") +
                           "rules:\n"
                           "  - id: r\n    description: Weekend\n"
                           "    valid: {weekdays: [sat, sun]}\n"
                           "    bonus_points: {points: 10}\n"
                           "  - id: h\n    description: Breakfast\n"
                           "    valid: {weekdays: mon-fri, hours: 7-10}\n"
                           "    bonus_points: {points: 5}\n"
                           "  - id: n\n    description: Night owl\n"
                           "    valid: {hours: 22-2}\n"
                           "    bonus_points: {points: 1}\n");
  ASSERT_NE(rules, nullptr);
  // Friday 13 June 2025 23:59:59 Berlin is Friday; a second later Saturday.
  EXPECT_FALSE(Gives(*rules, At("Europe/Berlin", 2025, 6, 13, 23, 59, 59)));
  EXPECT_TRUE(Gives(*rules, At("Europe/Berlin", 2025, 6, 14, 0, 0, 0)));
  EXPECT_TRUE(Gives(*rules, At("Europe/Berlin", 2025, 6, 15, 23, 59, 59)));
  EXPECT_FALSE(Gives(*rules, At("Europe/Berlin", 2025, 6, 16, 0, 0, 0)));
  // In UTC that Saturday starts at Friday 22:00.
  EXPECT_TRUE(Gives(*rules, At("UTC", 2025, 6, 13, 22, 0, 0)));
  // Hours 7-10 on weekdays: [07:00, 10:00).
  EXPECT_FALSE(Gives(*rules, At("Europe/Berlin", 2025, 6, 16, 6, 59, 59), "h"));
  EXPECT_TRUE(Gives(*rules, At("Europe/Berlin", 2025, 6, 16, 7, 0, 0), "h"));
  EXPECT_TRUE(Gives(*rules, At("Europe/Berlin", 2025, 6, 16, 9, 59, 59), "h"));
  EXPECT_FALSE(Gives(*rules, At("Europe/Berlin", 2025, 6, 16, 10, 0, 0), "h"));
  EXPECT_FALSE(Gives(*rules, At("Europe/Berlin", 2025, 6, 14, 8, 0, 0), "h"));
  // 22-2 wraps past midnight.
  EXPECT_FALSE(Gives(*rules, At("Europe/Berlin", 2025, 6, 16, 21, 59, 59), "n"));
  EXPECT_TRUE(Gives(*rules, At("Europe/Berlin", 2025, 6, 16, 22, 0, 0), "n"));
  EXPECT_TRUE(Gives(*rules, At("Europe/Berlin", 2025, 6, 17, 1, 59, 59), "n"));
  EXPECT_FALSE(Gives(*rules, At("Europe/Berlin", 2025, 6, 17, 2, 0, 0), "n"));
}

TEST(CampaignTest, FixedOffsetTimeZoneNeedsNoTzdata) {
  auto rules = CompileYaml(Settings("  time_zone: \"-05:00\"\n") +
                           "rules:\n"
                           "  - id: r\n    description: Morning\n"
                           "    condition: hour < 12\n"
                           "    bonus_points: {points: 10}\n");
  ASSERT_NE(rules, nullptr);
  EXPECT_TRUE(Gives(*rules, At("UTC", 2025, 1, 1, 16, 59, 59)));  // 11:59
  EXPECT_FALSE(Gives(*rules, At("UTC", 2025, 1, 1, 17, 0, 0)));   // 12:00
}

constexpr char kCappedRules[] =
    "rules:\n"
    "  - id: double\n    description: Double points\n"
    "    multiply_points: {percent: 200}\n"
    "    caps: {per_order: 50, per_member_per_day: 80, budget: 1000}\n";

TEST(CampaignTest, PerOrderCapAtTheLimit) {
  auto rules = CompileYaml(Settings() + kCappedRules);
  ASSERT_NE(rules, nullptr);
  const absl::Time when = At("UTC", 2025, 6, 2);
  // 50.00 EUR: 50 base, 50 extra = exactly the cap: not limited.
  absl::StatusOr<PricedPurchase> at = PriceOne(*rules, 5000, when);
  ASSERT_TRUE(at.ok()) << at.status();
  EXPECT_EQ(Row(*at, "double")->points(), 50);
  EXPECT_FALSE(Row(*at, "double")->capped());
  // 51.00 EUR: 51 extra, limited to 50.
  absl::StatusOr<PricedPurchase> over = PriceOne(*rules, 5100, when);
  ASSERT_TRUE(over.ok()) << over.status();
  EXPECT_EQ(Row(*over, "double")->points(), 50);
  EXPECT_TRUE(Row(*over, "double")->capped());
  EXPECT_EQ(Row(*over, "double")->explanation(),
            "Double points: 2 × 51 points = 102 points (51 extra); limited to "
            "50 points by the per-order cap of 50 points");
  EXPECT_EQ(over->points_earned(), 51 + 50);
  EXPECT_THAT(over->usage(0).member_usage_keys(),
              ElementsAre("double/day/2025-06-02"));
  EXPECT_TRUE(over->usage(0).count_budget());
  EXPECT_EQ(over->usage(0).amount(), 50);
}

TEST(CampaignTest, MemberDailyCapAndBudgetAtTheLimit) {
  auto rules = CompileYaml(Settings() + kCappedRules);
  ASSERT_NE(rules, nullptr);
  const absl::Time when = At("UTC", 2025, 6, 2, 23, 59, 59);
  MemberState member = Member();
  member.rule_usage["double/day/2025-06-02"] = 79;  // 1 left today
  member.rule_usage["double/day/2025-06-01"] = 80;  // yesterday: ignored
  absl::StatusOr<PricedPurchase> priced = PriceOne(*rules, 2000, when, member);
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(Row(*priced, "double")->points(), 1);
  EXPECT_EQ(Row(*priced, "double")->explanation(),
            "Double points: 2 × 20 points = 40 points (20 extra); limited to 1 "
            "point, what is left of the member's daily cap of 80 points");
  // Next day (a second later) the daily cap starts again.
  priced = PriceOne(*rules, 2000, when + absl::Seconds(1), member);
  ASSERT_TRUE(priced.ok());
  EXPECT_EQ(Row(*priced, "double")->points(), 20);
  // Budget: 3 points left of 1000, then none.
  ProgramState program;
  program.budget_spent["double"] = 997;
  priced = PriceOne(*rules, 2000, when, Member(), program);
  ASSERT_TRUE(priced.ok());
  EXPECT_EQ(Row(*priced, "double")->points(), 3);
  program.budget_spent["double"] = 1000;
  priced = PriceOne(*rules, 2000, when, Member(), program);
  ASSERT_TRUE(priced.ok());
  EXPECT_EQ(priced->points_earned(), 20);  // base only
  EXPECT_EQ(Row(*priced, "double")->points(), 0);
  EXPECT_EQ(Row(*priced, "double")->explanation(),
            "Double points: not applied, the campaign budget of 1000 points is "
            "used up");
  EXPECT_EQ(priced->usage_size(), 0);
}

TEST(CampaignTest, BudgetIsNeverOverspentOverManyCommits) {
  // Commits applied one after another, as the ledger's single writer does:
  // each reads the spent counter, prices, and records the usage row.
  auto rules = CompileYaml(Settings() +
                           "rules:\n"
                           "  - id: b\n    description: Bonus\n"
                           "    bonus_points: {points: 7}\n"
                           "    caps: {budget: 100}\n");
  ASSERT_NE(rules, nullptr);
  ProgramState program;
  int64_t given = 0;
  for (int commit = 0; commit < 32; ++commit) {
    absl::StatusOr<PricedPurchase> priced =
        PriceOne(*rules, 1000, At("UTC", 2025, 6, 2), Member(), program);
    ASSERT_TRUE(priced.ok()) << priced.status();
    for (const loyalty::v1::RuleUsage& usage : priced->usage()) {
      if (usage.count_budget()) program.budget_spent[usage.rule_id()] += usage.amount();
      given += usage.points();
    }
  }
  EXPECT_EQ(given, 100);  // 14 x 7 = 98, then 2, then nothing
  EXPECT_EQ(program.budget_spent["b"], 100);
}

constexpr char kGroupRules[] =
    "rules:\n"
    "  - id: small\n    description: Small bonus\n"
    "    priority: 1\n    exclusive_group: bonus\n"
    "    bonus_points: {points: 10}\n"
    "  - id: big\n    description: Big spender bonus\n"
    "    priority: 5\n    exclusive_group: bonus\n"
    "    condition: subtotal >= 5000\n"
    "    bonus_points: {points: 50}\n"
    "    caps: {budget: 100}\n"
    "  - id: tea\n    description: Tea bonus\n"
    "    priority: 9\n    exclusive_group: bonus\n"
    "    points_per_amount: {points: 5, per_minor: 100, lines: category == 'tea'}\n"
    "  - id: stack\n    description: Always\n"
    "    bonus_points: {points: 1}\n";

TEST(CampaignTest, ExclusiveGroupPicksTheHighestPriority) {
  auto rules = CompileYaml(Settings() + kGroupRules);
  ASSERT_NE(rules, nullptr);
  const absl::Time when = At("UTC", 2025, 6, 2);
  // 60.00 EUR of food: "tea" matches no line, so it does not take the group;
  // "big" (priority 5) beats "small" (1); "stack" is not in the group.
  absl::StatusOr<PricedPurchase> priced = PriceOne(*rules, 6000, when);
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_TRUE(HasRow(*priced, "big"));
  EXPECT_FALSE(HasRow(*priced, "small"));
  EXPECT_TRUE(HasRow(*priced, "stack"));
  EXPECT_EQ(priced->points_earned(), 60 + 50 + 1);
  // 40.00 EUR: "big" does not match, "small" wins.
  priced = PriceOne(*rules, 4000, when);
  ASSERT_TRUE(priced.ok());
  EXPECT_TRUE(HasRow(*priced, "small"));
  EXPECT_FALSE(HasRow(*priced, "big"));
  // A tea line: "tea" (priority 9) wins over both.
  loyalty::v1::Purchase purchase = Purchase();
  AddLine(purchase, "SKU-1", "food", 1, 6000);
  AddLine(purchase, "GREEN", "tea", 1, 400);
  priced = PricePurchase(*rules, Member(), purchase, when);
  ASSERT_TRUE(priced.ok());
  EXPECT_EQ(Row(*priced, "tea")->points(), 20);  // 5 x 4.00
  EXPECT_FALSE(HasRow(*priced, "big"));
  EXPECT_FALSE(HasRow(*priced, "small"));
}

TEST(CampaignTest, UsedUpRuleLeavesItsGroupToTheNext) {
  auto rules = CompileYaml(Settings() + kGroupRules);
  ASSERT_NE(rules, nullptr);
  // "big" has spent its budget: it explains so, and "small" takes the group.
  ProgramState program;
  program.budget_spent["big"] = 100;
  absl::StatusOr<PricedPurchase> priced =
      PriceOne(*rules, 6000, At("UTC", 2025, 6, 2), Member(), program);
  ASSERT_TRUE(priced.ok());
  EXPECT_TRUE(HasRow(*priced, "small"));
  EXPECT_EQ(Row(*priced, "big")->points(), 0);
  EXPECT_TRUE(Row(*priced, "big")->capped());
  EXPECT_EQ(priced->points_earned(), 60 + 10 + 1);
}

TEST(CampaignTest, ScopeByChannelPartnerAndStore) {
  auto rules = CompileYaml(Settings() +
                           "rules:\n"
                           "  - id: r\n    description: Airport store online\n"
                           "    channels: [eshop]\n    partners: [air]\n"
                           "    stores: [s1, s2]\n"
                           "    bonus_points: {points: 10}\n");
  ASSERT_NE(rules, nullptr);
  auto gives = [&](loyalty::v1::Channel channel, const std::string& partner,
                   const std::string& store) {
    loyalty::v1::Purchase purchase = Purchase();
    AddLine(purchase, "SKU-1", "food", 1, 1000);
    purchase.set_channel(channel);
    purchase.set_partner_id(partner);
    purchase.set_store_id(store);
    auto priced = PricePurchase(*rules, Member(), purchase, At("UTC", 2025, 6, 2));
    EXPECT_TRUE(priced.ok());
    return priced.ok() && HasRow(*priced, "r");
  };
  EXPECT_TRUE(gives(loyalty::v1::CHANNEL_ESHOP, "air", "s2"));
  EXPECT_FALSE(gives(loyalty::v1::CHANNEL_POS, "air", "s2"));
  EXPECT_FALSE(gives(loyalty::v1::CHANNEL_ESHOP, "rail", "s2"));
  EXPECT_FALSE(gives(loyalty::v1::CHANNEL_ESHOP, "air", "s3"));
}

constexpr char kPromoRules[] =
    "rules:\n"
    "  - id: ten\n    description: Ten off\n"
    "    condition: subtotal >= 2000\n"
    "    fixed_discount: {amount_minor: 1000}\n"
    "promo_codes:\n"
    "  - code: ONCE-M1\n    member: m-1\n    rules: [ten]\n";

TEST(CampaignTest, PersonalPromoCodeIsSingleUse) {
  auto rules = CompileYaml(Settings() + kPromoRules);
  ASSERT_NE(rules, nullptr);
  const absl::Time when = At("UTC", 2025, 6, 2);
  loyalty::v1::Purchase purchase = Purchase();
  AddLine(purchase, "SKU-1", "food", 1, 3000);
  // Without the code the rule does not apply.
  absl::StatusOr<PricedPurchase> priced = PricePurchase(*rules, Member(), purchase, when);
  ASSERT_TRUE(priced.ok());
  EXPECT_EQ(priced->discount_minor(), 0);
  // With it: 10.00 off, and the code is spent.
  purchase.add_promo_codes("once-m1");
  priced = PricePurchase(*rules, Member(), purchase, when);
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(priced->discount_minor(), 1000);
  ASSERT_EQ(priced->promo_codes_used_size(), 1);
  EXPECT_EQ(priced->promo_codes_used(0).code(), "ONCE-M1");
  EXPECT_TRUE(priced->promo_codes_used(0).personal());
  // After the ledger records it, the same code is refused.
  MemberState after = Member();
  after.promo_code_uses[priced->promo_codes_used(0).code()] = 1;
  absl::Status again = PricePurchase(*rules, after, purchase, when).status();
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(again), "PROMO_CODE_ALREADY_USED");
  // A basket below 20.00: accepted, nothing applies, not spent.
  loyalty::v1::Purchase small = Purchase();
  AddLine(small, "SKU-1", "food", 1, 1500);
  small.add_promo_codes("ONCE-M1");
  priced = PricePurchase(*rules, Member(), small, when);
  ASSERT_TRUE(priced.ok());
  EXPECT_EQ(priced->promo_codes_used_size(), 0);
  EXPECT_EQ(Row(*priced, "promo-code:ONCE-M1")->explanation(),
            "Promo code ONCE-M1: accepted, but none of its offers applies to "
            "this basket; the code is not used up");
  // The same code twice in one purchase.
  purchase.add_promo_codes("ONCE-M1");
  EXPECT_EQ(ErrorReason(PricePurchase(*rules, Member(), purchase, when).status()),
            "DUPLICATE_PROMO_CODE");
}

TEST(CampaignTest, ExclusionsFromEarningAndBurning) {
  auto rules = CompileYaml(Settings() +
                           "exclusions:\n"
                           "  - skus: [TOBACCO-1]\n    excluded_from: earning\n"
                           "  - categories: [gift-cards]\n    excluded_from: burning\n"
                           "rules:\n"
                           "  - id: cb\n    description: Cashback\n"
                           "    cashback: {basis_points: 1000}\n");
  ASSERT_NE(rules, nullptr);
  loyalty::v1::Purchase purchase = Purchase();
  AddLine(purchase, "BREAD", "food", 1, 1000);
  AddLine(purchase, "TOBACCO-1", "tobacco", 1, 2000);
  AddLine(purchase, "GIFT-50", "gift-cards", 1, 5000);
  purchase.set_redeem_points(3000);
  // Points may pay bread and tobacco only: 30.00 EUR (100% share).
  absl::StatusOr<PricedPurchase> priced =
      PricePurchase(*rules, Member("m-1", 10000), purchase, At("UTC", 2025, 6, 2));
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(priced->max_redeemable_points(), 3000);
  // Paid: bread 0, tobacco 0, gift card 50.00; tobacco earns nothing anyway.
  // Earning on bread 0 + gift card 50.00 = 50 points, cashback 10% = 5.00.
  EXPECT_EQ(priced->total_due_minor(), 5000);
  EXPECT_EQ(priced->points_earned(), 50);
  EXPECT_EQ(priced->cashback_earned_minor(), 500);
  purchase.set_redeem_points(3001);
  EXPECT_EQ(ErrorReason(PricePurchase(*rules, Member("m-1", 10000), purchase,
                                      At("UTC", 2025, 6, 2))
                            .status()),
            "REDEEM_LIMIT_EXCEEDED");
}

TEST(CampaignTest, DiscountsNeverMakeATotalNegative) {
  auto rules = CompileYaml(Settings() +
                           "rules:\n"
                           "  - id: a\n    description: Half off\n    priority: 2\n"
                           "    percent_discount: {percent: 50}\n"
                           "  - id: b\n    description: Voucher\n    priority: 1\n"
                           "    fixed_discount: {amount_minor: 100000}\n"
                           "  - id: c\n    description: Item voucher\n"
                           "    fixed_discount: {amount_minor: 900, lines: sku == 'SKU-1'}\n");
  ASSERT_NE(rules, nullptr);
  absl::StatusOr<PricedPurchase> priced = PriceOne(*rules, 1001, At("UTC", 2025, 6, 2));
  ASSERT_TRUE(priced.ok()) << priced.status();
  // 50% of 10.01 = 5.00 (down), then the 1000.00 voucher takes the 5.01 left;
  // the item voucher finds nothing left and gives no row.
  EXPECT_EQ(priced->discount_minor(), 1001);
  EXPECT_EQ(priced->total_due_minor(), 0);
  EXPECT_EQ(Row(*priced, "b")->explanation(),
            "Voucher: 5.01 EUR off (no more than the basket)");
  EXPECT_FALSE(HasRow(*priced, "c"));
  EXPECT_EQ(priced->points_earned(), 0);
}

TEST(CampaignTest, ApplicationOrderChangesWhatEarns) {
  // 20.00 EUR, 10% off, 500 points paid. Default: earn on 18.00 - 5.00 =
  // 13.00 -> 13. discounts_earn_burn: on 18.00 -> 18. earn_discounts_burn:
  // on 20.00 -> 20.
  const std::string rules_text =
      "rules:\n  - id: d\n    description: Ten percent\n"
      "    percent_discount: {percent: 10}\n";
  for (const auto& [order, points] :
       {std::pair{"", 13}, std::pair{"  application_order: discounts_earn_burn\n", 18},
        std::pair{"  application_order: earn_discounts_burn\n", 20}}) {
    auto rules = CompileYaml(Settings(order) + rules_text);
    ASSERT_NE(rules, nullptr);
    loyalty::v1::Purchase purchase = Purchase();
    AddLine(purchase, "SKU-1", "food", 1, 2000);
    purchase.set_redeem_points(500);
    auto priced = PricePurchase(*rules, Member("m-1", 1000), purchase, At("UTC", 2025, 6, 2));
    ASSERT_TRUE(priced.ok()) << priced.status();
    EXPECT_EQ(priced->total_due_minor(), 1300) << order;
    EXPECT_EQ(priced->points_earned(), points) << order;
  }
}

TEST(CampaignTest, MemberFactsInConditions) {
  auto rules = CompileYaml(Settings() +
                           "rules:\n"
                           "  - id: loyal\n    description: Loyal member\n"
                           "    condition: enrolled_days >= 365 and region == 'north'"
                           " and purchases >= 10 and rewards_redeemed < 3\n"
                           "    bonus_points: {points: 10}\n");
  ASSERT_NE(rules, nullptr);
  MemberState member = Member();
  member.enroll_time = At("UTC", 2024, 6, 2, 23, 0);
  member.region = "north";
  member.purchase_count = 10;
  member.rewards_redeemed = 2;
  const absl::Time when = At("UTC", 2025, 6, 2, 1, 0);
  absl::StatusOr<PricedPurchase> priced = PriceOne(*rules, 1000, when, member);
  ASSERT_TRUE(priced.ok());
  EXPECT_TRUE(HasRow(*priced, "loyal"));  // 365 calendar days
  priced = PriceOne(*rules, 1000, when - absl::Hours(2), member);
  ASSERT_TRUE(priced.ok());
  EXPECT_FALSE(HasRow(*priced, "loyal"));  // still 1 June: 364 days
}

TEST(CampaignTest, BirthdayWeekSpansTheNewYearAndLeapDays) {
  auto rules = CompileYaml(Settings() +
                           "rules:\n"
                           "  - id: r\n    description: Birthday\n"
                           "    condition: birthday_this_week\n"
                           "    bonus_points: {points: 10}\n");
  ASSERT_NE(rules, nullptr);
  MemberState member = Member();
  member.birth_date = absl::CivilDay(1990, 1, 2);
  // Wednesday 31 Dec 2025: the week runs Mon 29 Dec - Sun 4 Jan.
  auto priced = PriceOne(*rules, 1000, At("UTC", 2025, 12, 31), member);
  ASSERT_TRUE(priced.ok());
  EXPECT_TRUE(HasRow(*priced, "r"));
  // Born 29 February: celebrated on 28 February in 2025 (Friday).
  member.birth_date = absl::CivilDay(2000, 2, 29);
  priced = PriceOne(*rules, 1000, At("UTC", 2025, 2, 24), member);  // Monday
  ASSERT_TRUE(priced.ok());
  EXPECT_TRUE(HasRow(*priced, "r"));
  priced = PriceOne(*rules, 1000, At("UTC", 2025, 3, 3), member);  // next Mon
  ASSERT_TRUE(priced.ok());
  EXPECT_FALSE(HasRow(*priced, "r"));
}

TEST(CampaignTest, MemberUsageKeysAndBudgetIdsForTheCaller) {
  auto rules = CompileYaml(Settings("  time_zone: Europe/Berlin\n") +
                           kCappedRules);
  ASSERT_NE(rules, nullptr);
  // 23:30 UTC on 31 Dec is already 1 January in Berlin.
  EXPECT_THAT(MemberUsageKeys(*rules, At("UTC", 2025, 12, 31, 23, 30)),
              ElementsAre("double/day/2026-01-01"));
  EXPECT_THAT(BudgetRuleIds(*rules), ElementsAre("double"));
  EXPECT_EQ(NormalizePromoCode("Spring10"), "SPRING10");
}

// Explanations are written through a 256-character buffer; a longer one
// comes out whole.
TEST(CampaignTest, LongExplanationsComeOutWhole) {
  const std::string name(200, 'n');
  const std::string gift(300, 'g');
  auto rules = CompileYaml(Settings() + "rules:\n  - id: r\n    description: " +
                           name + "\n    valid: {weekdays: mon-fri}\n" +
                           "    gift: {sku: MUG, quantity: 2, description: " +
                           gift + "}\n");
  ASSERT_NE(rules, nullptr);
  auto priced = PriceOne(*rules, 1000, At("UTC", 2025, 6, 2));  // Monday
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(Row(*priced, "r")->explanation(),
            name + " (Mon–Fri): free " + gift + " (MUG) × 2");
}

// The arena form gives the same answer (rows, texts, usage, gifts, codes)
// and the same refusals as the form that returns a value.
TEST(CampaignTest, ArenaAnswerIsTheSame) {
  auto rules = CompileYaml(Settings() + kCappedRules +
                           "  - id: mug\n    description: Mug\n"
                           "    gift: {sku: MUG, description: A mug}\n" +
                           std::string(kPromoRules).substr(sizeof("rules:")));
  ASSERT_NE(rules, nullptr);
  MemberState member = Member("m-1", 500);
  member.rule_usage["double/day/2025-06-02"] = 79;
  loyalty::v1::Purchase purchase = Purchase();
  AddLine(purchase, "SKU-1", "food", 2, 1500);
  purchase.add_promo_codes("once-m1");
  purchase.set_redeem_points(100);
  const absl::Time when = At("UTC", 2025, 6, 2);
  absl::StatusOr<PricedPurchase> value =
      PricePurchase(*rules, member, {}, purchase, when);
  google::protobuf::Arena arena;
  absl::StatusOr<PricedPurchase*> on_arena =
      PricePurchase(*rules, member, {}, purchase, when, arena);
  ASSERT_TRUE(value.ok() && on_arena.ok()) << value.status();
  EXPECT_EQ((*on_arena)->GetArena(), &arena);
  EXPECT_EQ(value->applied_size(), 5) << value->DebugString();
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(*value, **on_arena));
  purchase.set_currency("USD");
  EXPECT_EQ(PricePurchase(*rules, member, {}, purchase, when, arena).status(),
            PricePurchase(*rules, member, {}, purchase, when).status());
}

}  // namespace
}  // namespace loyalty::evaluator
