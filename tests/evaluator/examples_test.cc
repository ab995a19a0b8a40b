// The three example programs in rules/examples/ load and price baskets.
// Every expected number is worked out by hand in the comment beside it.
// Allocation rule used below (evaluator.h): a discount or a payment is spread
// over the lines in proportion to their amounts, rounded down, and the cents
// left over go one each to the first lines.
#include <memory>
#include <string>
#include <vector>

#include "engine/base/error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/evaluator/test_support.h"

namespace loyalty::evaluator {
namespace {

using loyalty::v1::PricedPurchase;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace loyalty::evaluator::testing;  // NOLINT: test helpers

std::shared_ptr<const CompiledRules> Example(const std::string& name) {
  const std::string path = "rules/examples/" + name;
  const std::string text = ReadSourceFile(path);
  EXPECT_FALSE(text.empty()) << path;
  EXPECT_THAT(ValidateRuleFile(path, text), IsEmpty());
  return CompileYaml(text, path);
}

TEST(ExampleTest, AllRuleFilesLoad) {
  for (const char* name : {"rules/default.yaml",
                           "rules/examples/coffee-chain.yaml",
                           "rules/examples/e-shop.yaml",
                           "rules/examples/b2b-distributor.yaml"}) {
    const std::string text = ReadSourceFile(name);
    EXPECT_THAT(ValidateRuleFile(name, text), IsEmpty()) << name;
    EXPECT_NE(CompileYaml(text, name), nullptr) << name;
  }
}

// --- Coffee chain ---

TEST(ExampleTest, CoffeeChainWeekendDoublePoints) {
  auto rules = Example("coffee-chain.yaml");
  ASSERT_NE(rules, nullptr);
  // Saturday 14 June 2025, 10:00 in Berlin; a silver member.
  loyalty::v1::Purchase purchase = Purchase();
  AddLine(purchase, "BEANS-1KG", "beans", 1, 2400);
  AddLine(purchase, "LATTE", "drinks", 2, 380);
  AddLine(purchase, "CROISSANT", "pastry", 1, 250);
  AddLine(purchase, "GIFTCARD-25", "gift-cards", 1, 2500);
  absl::StatusOr<PricedPurchase> priced = PricePurchase(
      *rules, Member(), purchase, At("Europe/Berlin", 2025, 6, 14, 10));
  ASSERT_TRUE(priced.ok()) << priced.status();
  // Subtotal 24.00 + 7.60 + 2.50 + 25.00 = 59.10 EUR. The gift card earns
  // nothing: 34.10 EUR earns 34 points (down). Weekend: 2 x 34 = 68, so 34
  // extra (within the 200 per-order cap). The beans offer is for gold only.
  // Silver: 125% of the 34 base points = 42.5, so 8 extra (down).
  EXPECT_EQ(priced->subtotal_minor(), 5910);
  EXPECT_EQ(priced->total_due_minor(), 5910);
  EXPECT_EQ(priced->points_earned(), 34 + 34 + 8);
  EXPECT_EQ(Row(*priced, "tier:silver")->explanation(),
            "Silver tier: 125% of 34 points = 42 points (8 extra, rounded "
            "down)");
  EXPECT_THAT(priced->perks(), ElementsAre("free oat milk"));
  EXPECT_EQ(Row(*priced, "excluded")->explanation(),
            "GIFTCARD-25 (25.00 EUR) earns nothing and cannot be paid with "
            "points or cashback: excluded by the program");
  EXPECT_EQ(Row(*priced, "base-earn")->explanation(),
            "1 point per 1.00 EUR paid: 34.10 EUR paid earns 34 points "
            "(rounded down)");
  EXPECT_EQ(Row(*priced, "weekend-double")->explanation(),
            "Weekend double points (Sat, Sun): 2 × 34 points = 68 points "
            "(34 extra)");
  EXPECT_EQ(Row(*priced, "weekend-double")->points(), 34);
  // A per-order cap needs no counter: nothing to record.
  EXPECT_EQ(priced->usage_size(), 0);
}

TEST(ExampleTest, CoffeeChainGoldBirthdayHappyHour) {
  auto rules = Example("coffee-chain.yaml");
  ASSERT_NE(rules, nullptr);
  // Tuesday 17 June 2025, 15:30 in Berlin. Gold member, born 19 June (this
  // week, Mon 16 - Sun 22), 1000 points, pays with 500 of them.
  MemberState member = Member("m-1", 1000);
  member.tier = "gold";
  member.birth_date = absl::CivilDay(1990, 6, 19);
  loyalty::v1::Purchase purchase = Purchase();
  AddLine(purchase, "BEANS-1KG", "beans", 1, 2400);
  AddLine(purchase, "CROISSANT", "pastry", 2, 250);
  purchase.set_redeem_points(500);
  absl::StatusOr<PricedPurchase> priced = PricePurchase(
      *rules, member, purchase, At("Europe/Berlin", 2025, 6, 17, 15, 30));
  ASSERT_TRUE(priced.ok()) << priced.status();
  // Subtotal 24.00 + 5.00 = 29.00. Happy hour: 50% of the pastries' 5.00 =
  // 2.50 off -> lines 24.00 and 2.50, basket 26.50.
  EXPECT_EQ(Row(*priced, "pastry-happy-hour")->explanation(),
            "Pastry happy hour (Mon–Fri 15–17h): 50% off 5.00 EUR of matching "
            "items = 2.50 EUR off");
  // Then the gold tier's 5%: of 26.50 = 1.325 -> 1.32 (down), spread
  // 119.5 -> 119 (+1) and 12.4 -> 12: lines 22.80 and 2.38, basket 25.18.
  EXPECT_EQ(Row(*priced, "tier:gold")->explanation(),
            "Gold tier: 5% off 26.50 EUR = 1.32 EUR off");
  EXPECT_EQ(priced->discount_minor(), 250 + 132);
  // 500 points pay 5.00, spread: beans 500*2280/2518 = 452.7 -> 452, pastry
  // 500*238/2518 = 47.2 -> 47, the cent left to the first line: 453 / 47.
  // Paid: beans 18.27, pastry 1.91; total due 20.18 EUR.
  EXPECT_EQ(priced->total_due_minor(), 2018);
  // Base: 20.18 -> 20 points; gold 150% of 20 = 30, so 10 extra. Beans
  // (gold, priority 20, wins the group over nothing else today): base on
  // the beans' 18.27 = 18, triple = 54, so 36 extra. Birthday: 100 points
  // and a free coffee.
  EXPECT_EQ(Row(*priced, "beans-triple")->explanation(),
            "Triple points on coffee beans: 3 × 18 points of matching items = "
            "54 points (36 extra)");
  EXPECT_EQ(Row(*priced, "birthday-bonus")->explanation(),
            "Birthday bonus: 100 points bonus");
  EXPECT_EQ(Row(*priced, "birthday-coffee")->explanation(),
            "Birthday coffee on us: free Regular coffee (COFFEE-REGULAR) × 1");
  EXPECT_EQ(priced->points_earned(), 20 + 10 + 36 + 100);
  EXPECT_THAT(priced->perks(), ElementsAre("free oat milk", "free refills"));
  ASSERT_EQ(priced->gift_lines_size(), 1);
  EXPECT_EQ(priced->gift_lines(0).sku(), "COFFEE-REGULAR");
  EXPECT_EQ(priced->gift_lines(0).quantity(), 1);
  // Usage to record: the two birthday rules have yearly caps, named by the
  // year in Berlin time; the others have no counters.
  ASSERT_EQ(priced->usage_size(), 2);
  EXPECT_EQ(priced->usage(0).rule_id(), "birthday-bonus");
  EXPECT_EQ(priced->usage(0).points(), 100);
  EXPECT_EQ(priced->usage(1).rule_id(), "birthday-coffee");
  EXPECT_THAT(priced->usage(1).member_usage_keys(),
              ElementsAre("birthday-coffee/year/2025"));
  EXPECT_EQ(priced->usage(1).amount(), 1);
  EXPECT_FALSE(priced->usage(1).count_budget());
}

TEST(ExampleTest, CoffeeChainBirthdayCoffeeOncePerYear) {
  auto rules = Example("coffee-chain.yaml");
  ASSERT_NE(rules, nullptr);
  MemberState member = Member();
  member.birth_date = absl::CivilDay(1990, 6, 19);
  member.rule_usage["birthday-coffee/year/2025"] = 1;  // had it already
  member.rule_usage["birthday-bonus/year/2025"] = 60;  // 40 left of 100
  loyalty::v1::Purchase purchase = Purchase();
  AddLine(purchase, "LATTE", "drinks", 1, 380);
  absl::StatusOr<PricedPurchase> priced = PricePurchase(
      *rules, member, purchase, At("Europe/Berlin", 2025, 6, 18, 9));
  ASSERT_TRUE(priced.ok()) << priced.status();
  // 3.80 EUR -> 3 points; bonus limited to the 40 left; no coffee.
  EXPECT_EQ(priced->points_earned(), 3 + 40);
  EXPECT_EQ(priced->gift_lines_size(), 0);
  EXPECT_EQ(Row(*priced, "birthday-bonus")->explanation(),
            "Birthday bonus: 100 points bonus; limited to 40 points, what is "
            "left of the member's yearly cap of 100 points");
  EXPECT_TRUE(Row(*priced, "birthday-bonus")->capped());
  EXPECT_EQ(Row(*priced, "birthday-coffee")->explanation(),
            "Birthday coffee on us: not applied, the member's yearly cap of 1 "
            "gift is used up");
}

// A gold member's quote on a plain weekday: only the tier's benefits.
TEST(ExampleTest, CoffeeChainGoldMemberQuote) {
  auto rules = Example("coffee-chain.yaml");
  ASSERT_NE(rules, nullptr);
  // Wednesday 11 June 2025, 9:00 in Berlin; no birthday, not a first visit.
  MemberState member = Member();
  member.tier = "gold";
  loyalty::v1::Purchase purchase = Purchase();
  AddLine(purchase, "LATTE", "drinks", 2, 380);
  AddLine(purchase, "CROISSANT", "pastry", 1, 250);
  absl::StatusOr<PricedPurchase> priced = PricePurchase(
      *rules, member, purchase, At("Europe/Berlin", 2025, 6, 11, 9));
  ASSERT_TRUE(priced.ok()) << priced.status();
  // Subtotal 7.60 + 2.50 = 10.10. Gold 5%: 0.505 -> 0.50 (down), spread
  // 37.6 -> 37 (+1) and 12.4 -> 12: lines 7.22 and 2.38, due 9.60. That
  // earns 9 points; gold 150% of 9 = 13.5, so 4 extra (down): 13 points.
  EXPECT_EQ(priced->subtotal_minor(), 1010);
  EXPECT_EQ(priced->discount_minor(), 50);
  EXPECT_EQ(priced->total_due_minor(), 960);
  EXPECT_EQ(priced->points_earned(), 13);
  EXPECT_EQ(priced->tier(), "gold");
  EXPECT_THAT(priced->perks(), ElementsAre("free oat milk", "free refills"));
  std::vector<std::string> receipt;
  for (const loyalty::v1::AppliedRule& row : priced->applied()) {
    receipt.push_back(row.rule_id() + ": " + row.explanation());
  }
  EXPECT_THAT(
      receipt,
      ElementsAre(
          "tier:gold: Gold tier: 5% off 10.10 EUR = 0.50 EUR off",
          "base-earn: 1 point per 1.00 EUR paid: 9.60 EUR paid earns 9 points "
          "(rounded down)",
          "tier:gold: Gold tier: 150% of 9 points = 13 points (4 extra, "
          "rounded down)"));
  // The other program sections are read for the program layer.
  const loyalty::v1::RuleSet& set = rules->rule_set();
  EXPECT_EQ(set.points().pending_days(), 1);
  EXPECT_EQ(set.points().lifetime_days(), 365);
  EXPECT_EQ(set.tiers().measure(), loyalty::v1::TIER_MEASURE_VISITS);
  ASSERT_EQ(set.rewards_size(), 2);
  EXPECT_EQ(set.rewards(1).stock(), 500);
  EXPECT_EQ(set.birthday().points(), 200);
}

// --- E-shop ---

TEST(ExampleTest, EShopCashbackPromoCodesAndVipDelivery) {
  auto rules = Example("e-shop.yaml");
  ASSERT_NE(rules, nullptr);
  // 1 April 2025, noon in Paris. Anna: VIP, first order, 15.00 EUR wallet.
  MemberState anna = Member("m-anna");
  anna.purchase_count = 0;
  anna.segments = {"vip"};
  anna.cashback_minor = 1500;
  loyalty::v1::Purchase purchase = Purchase("m-anna");
  purchase.set_channel(loyalty::v1::CHANNEL_ESHOP);
  AddLine(purchase, "HEADPHONES", "electronics", 1, 8999);
  AddLine(purchase, "CABLE", "electronics", 2, 999);
  AddLine(purchase, "DELIVERY", "delivery", 1, 499);
  purchase.add_promo_codes("spring10");  // codes ignore case
  purchase.add_promo_codes("WELCOME-ANNA");
  purchase.set_use_cashback_minor(1000);
  absl::StatusOr<PricedPurchase> priced = PricePurchase(
      *rules, anna, purchase, At("Europe/Paris", 2025, 4, 1, 12));
  ASSERT_TRUE(priced.ok()) << priced.status();
  // Subtotal 89.99 + 19.98 + 4.99 = 114.96 EUR. Rules in id order (all
  // priority 0): electronics-cashback, spring-10, vip-free-delivery,
  // welcome-5; discounts first:
  // spring-10: 10% of 114.96 = 11.496 -> 11.49, spread 899.4 -> 899,
  //   199.7 -> 199, 49.9 -> 49 (+1 +1 to the first two): 900 / 200 / 49.
  //   Lines now 80.99 / 17.98 / 4.50.
  // vip-free-delivery: 100% of the delivery line's 4.50.
  // welcome-5: 5.00 off the basket of 98.97: 409.2 -> 409 (+1) and 90.8 ->
  //   90: lines 76.89 / 17.08 / 0.00. Discounts 11.49 + 4.50 + 5.00 = 20.99.
  EXPECT_EQ(priced->subtotal_minor(), 11496);
  EXPECT_EQ(priced->discount_minor(), 2099);
  EXPECT_EQ(Row(*priced, "spring-10")->explanation(),
            "Spring sale 10% off: 10% off 114.96 EUR = 11.49 EUR off");
  EXPECT_EQ(Row(*priced, "vip-free-delivery")->explanation(),
            "Free delivery for VIP members: 100% off 4.50 EUR of matching "
            "items = 4.50 EUR off");
  EXPECT_EQ(Row(*priced, "welcome-5")->explanation(),
            "Welcome voucher: 5.00 EUR off");
  // Wallet pays 10.00 of the 93.97 left (cap 30% of 93.97 = 28.19): spread
  // 818.2 -> 818 (+1) and 181.8 -> 181: paid 68.70 / 15.27 / 0; due 83.97.
  EXPECT_EQ(priced->cashback_used_minor(), 1000);
  EXPECT_EQ(priced->total_due_minor(), 8397);
  // Base cashback 2% of 83.97 = 1.6794 -> 1.67; electronics boost 3% of
  // 83.97 = 2.5191 -> 2.51. No points in this program.
  EXPECT_EQ(Row(*priced, "base-cashback")->cashback_minor(), 167);
  EXPECT_EQ(Row(*priced, "electronics-cashback")->explanation(),
            "Electronics cashback boost: 3% cashback on 83.97 EUR of matching "
            "items = 2.51 EUR");
  EXPECT_EQ(priced->cashback_earned_minor(), 167 + 251);
  EXPECT_EQ(priced->points_earned(), 0);
  // Both codes gave something, so both are spent; the personal one for good.
  ASSERT_EQ(priced->promo_codes_used_size(), 2);
  EXPECT_EQ(priced->promo_codes_used(0).code(), "SPRING10");
  EXPECT_FALSE(priced->promo_codes_used(0).personal());
  EXPECT_EQ(priced->promo_codes_used(1).code(), "WELCOME-ANNA");
  EXPECT_TRUE(priced->promo_codes_used(1).personal());
  // Usage rows: the monthly cap is April in Paris; the sale has a budget.
  ASSERT_EQ(priced->usage_size(), 2);
  EXPECT_EQ(priced->usage(0).rule_id(), "spring-10");
  EXPECT_TRUE(priced->usage(0).count_budget());
  EXPECT_EQ(priced->usage(0).amount(), 1149);
  EXPECT_EQ(priced->usage(1).rule_id(), "electronics-cashback");
  EXPECT_EQ(priced->usage(1).amount(), 251);
  EXPECT_THAT(priced->usage(1).member_usage_keys(),
              ElementsAre("electronics-cashback/month/2025-04"));
}

TEST(ExampleTest, EShopPromoCodeRefusals) {
  auto rules = Example("e-shop.yaml");
  ASSERT_NE(rules, nullptr);
  auto price = [&](const std::string& member_id, const std::string& code,
                   absl::Time when, const MemberState& member,
                   const ProgramState& program) {
    loyalty::v1::Purchase purchase = Purchase(member_id);
    AddLine(purchase, "BOOK", "books", 1, 4000);
    purchase.add_promo_codes(code);
    return PricePurchase(*rules, member, program, purchase, when).status();
  };
  const absl::Time april = At("Europe/Paris", 2025, 4, 1);
  ProgramState none;
  // Anna's personal code, by Bob.
  EXPECT_EQ(ErrorReason(price("m-bob", "WELCOME-ANNA", april, Member("m-bob"), none)),
            "PROMO_CODE_NOT_FOR_MEMBER");
  // Anna's code a second time.
  MemberState anna = Member("m-anna");
  anna.purchase_count = 0;
  anna.promo_code_uses["WELCOME-ANNA"] = 1;
  EXPECT_EQ(ErrorReason(price("m-anna", "WELCOME-ANNA", april, anna, none)),
            "PROMO_CODE_ALREADY_USED");
  // The sale code: before, at the start, at the last second, at the end.
  // Valid from 2025-03-20 00:00 to the end of 2025-04-20 (Paris).
  const MemberState bob = Member("m-bob");
  EXPECT_EQ(ErrorReason(price("m-bob", "SPRING10",
                              At("Europe/Paris", 2025, 3, 19, 23, 59, 59), bob, none)),
            "PROMO_CODE_NOT_VALID_NOW");
  EXPECT_TRUE(price("m-bob", "SPRING10", At("Europe/Paris", 2025, 3, 20, 0), bob, none).ok());
  EXPECT_TRUE(price("m-bob", "SPRING10",
                    At("Europe/Paris", 2025, 4, 20, 23, 59, 59), bob, none).ok());
  absl::Status late = price("m-bob", "SPRING10", At("Europe/Paris", 2025, 4, 21, 0), bob, none);
  EXPECT_EQ(ErrorReason(late), "PROMO_CODE_NOT_VALID_NOW");
  EXPECT_EQ(ErrorField(late), "purchase.promo_codes[0]");
  EXPECT_THAT(std::string(late.message()),
              ::testing::HasSubstr("valid from 2025-03-20 00:00 until 2025-04-21 00:00"));
  // Once per member; 10,000 uses in all.
  MemberState used = bob;
  used.promo_code_uses["SPRING10"] = 1;
  EXPECT_EQ(ErrorReason(price("m-bob", "SPRING10", april, used, none)),
            "PROMO_CODE_ALREADY_USED");
  ProgramState exhausted;
  exhausted.promo_code_uses["SPRING10"] = 10000;
  EXPECT_EQ(ErrorReason(price("m-bob", "SPRING10", april, bob, exhausted)),
            "PROMO_CODE_USED_UP");
  EXPECT_EQ(ErrorReason(price("m-bob", "NOPE", april, bob, none)),
            "UNKNOWN_PROMO_CODE");
}

TEST(ExampleTest, EShopBudgetReducesTheSaleToWhatIsLeft) {
  auto rules = Example("e-shop.yaml");
  ASSERT_NE(rules, nullptr);
  loyalty::v1::Purchase purchase = Purchase("m-bob");
  AddLine(purchase, "BOOK", "books", 1, 4000);
  purchase.add_promo_codes("SPRING10");
  ProgramState program;
  program.budget_spent["spring-10"] = 500000 - 150;  // 1.50 EUR left
  absl::StatusOr<PricedPurchase> priced = PricePurchase(
      *rules, Member("m-bob"), program, purchase, At("Europe/Paris", 2025, 4, 1));
  ASSERT_TRUE(priced.ok()) << priced.status();
  // 10% of 40.00 = 4.00, but only 1.50 is left of the budget.
  EXPECT_EQ(priced->discount_minor(), 150);
  EXPECT_EQ(Row(*priced, "spring-10")->explanation(),
            "Spring sale 10% off: 10% off 40.00 EUR = 4.00 EUR off; limited to "
            "1.50 EUR, what is left of the campaign budget of 5000.00 EUR");
  EXPECT_EQ(priced->usage(0).amount(), 150);
  // Budget fully spent: the code still prices (its rule gives nothing) and
  // is not used up.
  program.budget_spent["spring-10"] = 500000;
  priced = PricePurchase(*rules, Member("m-bob"), program, purchase,
                         At("Europe/Paris", 2025, 4, 1));
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(priced->discount_minor(), 0);
  EXPECT_EQ(priced->promo_codes_used_size(), 0);
  EXPECT_EQ(Row(*priced, "spring-10")->explanation(),
            "Spring sale 10% off: not applied, the campaign budget of 5000.00 "
            "EUR is used up");
  EXPECT_TRUE(HasRow(*priced, "promo-code:SPRING10"));
}

// --- B2B distributor ---

TEST(ExampleTest, B2bVolumeLadderPalletAndQuarterEnd) {
  auto rules = Example("b2b-distributor.yaml");
  ASSERT_NE(rules, nullptr);
  // Wednesday 26 March 2025, 10:00 in Warsaw; the buyer has 5000 points
  // from earlier orders and pays with 2000.
  loyalty::v1::Purchase purchase = Purchase("acme");
  AddLine(purchase, "PAPER-A4", "office", 60, 450);     // 270.00
  AddLine(purchase, "TONER", "office", 20, 8900);       // 1780.00
  AddLine(purchase, "CHAIR", "furniture", 2, 25000);    // 500.00
  purchase.set_redeem_points(2000);
  absl::StatusOr<PricedPurchase> priced = PricePurchase(
      *rules, Member("acme", 5000), purchase, At("Europe/Warsaw", 2025, 3, 26, 10));
  ASSERT_TRUE(priced.ok()) << priced.status();
  // Subtotal 2550.00 EUR: the 1000.00 band, 3%: 76.50 off (8.10 + 53.40 +
  // 15.00, exact). Lines 261.90 / 1726.60 / 485.00 = 2473.50.
  EXPECT_EQ(priced->subtotal_minor(), 255000);
  EXPECT_EQ(priced->discount_minor(), 7650);
  EXPECT_EQ(Row(*priced, "volume-discount")->explanation(),
            "Volume discount: subtotal 2550.00 EUR reaches the band from "
            "1000.00 EUR: 3% off 2550.00 EUR = 76.50 EUR off");
  // 2000 points pay 20.00 (cap 20% = 494.70): 211.8 -> 211 (+1), 1396.1 ->
  // 1396, 392.2 -> 392. Paid 259.78 / 1712.64 / 481.08; due 2453.50.
  EXPECT_EQ(priced->total_due_minor(), 245350);
  // Base: 2453.50 / 10.00 = 245.35 -> 245. Pallet: only the paper line
  // (60 >= 48): 259.78 / 20.00 = 12.98 -> 12. Quarter-end (subtotal >=
  // 2000.00, inside 24-31 March): 500. Total 757 - for later orders only.
  EXPECT_EQ(Row(*priced, "pallet-bonus")->points(), 12);
  EXPECT_EQ(Row(*priced, "quarter-end")->points(), 500);
  EXPECT_EQ(priced->points_earned(), 245 + 12 + 500);
  EXPECT_EQ(priced->max_redeemable_points(), 5000);  // the balance before
  ASSERT_EQ(priced->usage_size(), 1);  // only quarter-end has a budget
  EXPECT_EQ(priced->usage(0).rule_id(), "quarter-end");
  EXPECT_TRUE(priced->usage(0).count_budget());
  EXPECT_EQ(priced->usage(0).amount(), 500);
}

TEST(ExampleTest, B2bPointsEarnedCannotPayTheSameOrder) {
  auto rules = Example("b2b-distributor.yaml");
  ASSERT_NE(rules, nullptr);
  loyalty::v1::Purchase purchase = Purchase("acme");
  AddLine(purchase, "TONER", "office", 20, 8900);
  purchase.set_redeem_points(100);
  // This order earns 170+ points, but the balance before it is 0.
  absl::Status status = PricePurchase(*rules, Member("acme", 0), purchase,
                                      At("Europe/Warsaw", 2025, 3, 26))
                            .status();
  EXPECT_EQ(ErrorReason(status), "INSUFFICIENT_POINTS");
}

TEST(ExampleTest, B2bLadderBandsAtTheirBoundaries) {
  auto rules = Example("b2b-distributor.yaml");
  ASSERT_NE(rules, nullptr);
  auto discount = [&](int64_t subtotal_minor) {
    loyalty::v1::Purchase purchase = Purchase("acme");
    AddLine(purchase, "X", "office", 1, subtotal_minor);
    auto priced = PricePurchase(*rules, Member("acme"), purchase,
                                At("Europe/Warsaw", 2025, 5, 5));
    EXPECT_TRUE(priced.ok()) << priced.status();
    return priced.ok() ? priced->discount_minor() : -1;
  };
  EXPECT_EQ(discount(99999), 0);            // below 1000.00: 0%
  EXPECT_EQ(discount(100000), 3000);        // 3% of 1000.00
  EXPECT_EQ(discount(499999), 14999);       // 3% of 4999.99 = 149.9997
  EXPECT_EQ(discount(500000), 25000);       // 5%
  EXPECT_EQ(discount(1000000), 80000);      // 8%
}

}  // namespace
}  // namespace loyalty::evaluator
