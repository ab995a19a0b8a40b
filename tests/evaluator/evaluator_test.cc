// PricePurchase and CompiledRules::Compile. Every expected number is worked
// out by hand in the comment beside it.
#include "engine/evaluator/evaluator.h"

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/base/error.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace loyalty::evaluator {
namespace {

using loyalty::v1::PricedPurchase;
using loyalty::v1::Purchase;
using loyalty::v1::Rounding;
using loyalty::v1::RuleSet;
using ::testing::HasSubstr;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
const absl::Time kNow = absl::FromUnixSeconds(1700000000);

// The default program: EUR, a point pays 0.01 EUR, 1 point per 1.00 EUR,
// rounded down, no cashback, points and cashback pay at most 50%.
RuleSet DefaultRules() {
  RuleSet rules;
  rules.mutable_program()->set_program_id("default");
  rules.mutable_program()->set_currency("EUR");
  rules.mutable_program()->set_point_value_minor(1);
  rules.mutable_earn()->set_points(1);
  rules.mutable_earn()->set_per_minor(100);
  rules.mutable_earn()->set_rounding(loyalty::v1::ROUNDING_DOWN);
  rules.mutable_burn()->set_max_basket_share_percent(50);
  return rules;
}

std::shared_ptr<const CompiledRules> Compiled(const RuleSet& rules) {
  absl::StatusOr<std::shared_ptr<const CompiledRules>> compiled =
      CompiledRules::Compile(rules);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return compiled.ok() ? *compiled : nullptr;
}

// One line of `quantity` x `unit_price_minor`.
Purchase Basket(int64_t unit_price_minor, int64_t quantity = 1) {
  Purchase purchase;
  purchase.set_member_id("m-1");
  purchase.set_order_id("o-1");
  purchase.set_currency("EUR");
  loyalty::v1::PurchaseLine* line = purchase.add_lines();
  line->set_sku("sku-1");
  line->set_quantity(quantity);
  line->set_unit_price_minor(unit_price_minor);
  return purchase;
}

MemberState Member(int64_t points_available = 0, int64_t cashback_minor = 0) {
  MemberState member;
  member.member_id = "m-1";
  member.points_available = points_available;
  member.cashback_minor = cashback_minor;
  member.tier = "silver";
  return member;
}

absl::StatusOr<PricedPurchase> Price(const RuleSet& rules,
                                     const Purchase& purchase,
                                     const MemberState& member = Member()) {
  std::shared_ptr<const CompiledRules> compiled = Compiled(rules);
  if (compiled == nullptr) return absl::InternalError("rules did not compile");
  return PricePurchase(*compiled, member, purchase, kNow);
}

TEST(EvaluatorTest, EarnsOnePointPerEuroPaidRoundedDown) {
  // 12.34 EUR * 1 / 1.00 EUR = 12.34 points -> 12 (down).
  absl::StatusOr<PricedPurchase> priced = Price(DefaultRules(), Basket(1234));
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(priced->currency(), "EUR");
  EXPECT_EQ(priced->subtotal_minor(), 1234);
  EXPECT_EQ(priced->discount_minor(), 0);
  EXPECT_EQ(priced->redeemed_points(), 0);
  EXPECT_EQ(priced->cashback_used_minor(), 0);
  EXPECT_EQ(priced->total_due_minor(), 1234);
  EXPECT_EQ(priced->points_earned(), 12);
  EXPECT_EQ(priced->cashback_earned_minor(), 0);
  // Share cap floor(1234 * 50 / 100) = 617 minor = 617 points; balance 0.
  EXPECT_EQ(priced->max_redeemable_points(), 0);
  EXPECT_EQ(priced->tier(), "silver");
  EXPECT_EQ(priced->rules_version().size(), 16u);
  ASSERT_EQ(priced->applied_size(), 1);  // no cashback row: it changed nothing
  EXPECT_EQ(priced->applied(0).rule_id(), "base-earn");
  EXPECT_EQ(priced->applied(0).points(), 12);
  EXPECT_EQ(priced->applied(0).explanation(),
            "1 point per 1.00 EUR paid: 12.34 EUR paid earns 12 points "
            "(rounded down)");
}

TEST(EvaluatorTest, ExactEarningSaysNothingAboutRounding) {
  // 10.00 EUR -> exactly 10 points; nothing was rounded.
  absl::StatusOr<PricedPurchase> priced = Price(DefaultRules(), Basket(500, 2));
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(priced->points_earned(), 10);
  EXPECT_EQ(priced->applied(0).explanation(),
            "1 point per 1.00 EUR paid: 10.00 EUR paid earns 10 points");
}

TEST(EvaluatorTest, NothingEarnedGivesNoRows) {
  // 0.99 EUR -> 0.99 points -> 0 (down): no row, since nothing changed.
  absl::StatusOr<PricedPurchase> priced = Price(DefaultRules(), Basket(99));
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(priced->points_earned(), 0);
  EXPECT_EQ(priced->applied_size(), 0);
}

struct RoundingCase {
  Rounding rounding;
  int64_t points;
  int64_t per_minor;
  int64_t paid_minor;
  int64_t expected_points;
};

// Readable test names and failure messages instead of a byte dump.
std::string NameOf(const RoundingCase& c) {
  return absl::StrCat(loyalty::v1::Rounding_Name(c.rounding), "_", c.points,
                      "per", c.per_minor, "_paid", c.paid_minor);
}
void PrintTo(const RoundingCase& c, std::ostream* os) { *os << NameOf(c); }

class RoundingTest : public ::testing::TestWithParam<RoundingCase> {};

TEST_P(RoundingTest, EarnsExactlyRoundedPoints) {
  const RoundingCase& c = GetParam();
  RuleSet rules = DefaultRules();
  rules.mutable_earn()->set_rounding(c.rounding);
  rules.mutable_earn()->set_points(c.points);
  rules.mutable_earn()->set_per_minor(c.per_minor);
  absl::StatusOr<PricedPurchase> priced = Price(rules, Basket(c.paid_minor));
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(priced->points_earned(), c.expected_points);
}

INSTANTIATE_TEST_SUITE_P(
    EvaluatorRounding, RoundingTest,
    ::testing::Values(
        // 1 point per 100 minor. 12.50 EUR -> 12.5 points: a tie.
        RoundingCase{loyalty::v1::ROUNDING_DOWN, 1, 100, 1250, 12},
        RoundingCase{loyalty::v1::ROUNDING_HALF_UP, 1, 100, 1250, 13},
        RoundingCase{loyalty::v1::ROUNDING_HALF_EVEN, 1, 100, 1250,
                     12},  // 12 is even
        RoundingCase{loyalty::v1::ROUNDING_UP, 1, 100, 1250, 13},
        // 13.50 EUR -> 13.5: half_even goes up to the even 14.
        RoundingCase{loyalty::v1::ROUNDING_HALF_EVEN, 1, 100, 1350, 14},
        RoundingCase{loyalty::v1::ROUNDING_DOWN, 1, 100, 1350, 13},
        // 12.49 -> 12.49: below half.
        RoundingCase{loyalty::v1::ROUNDING_HALF_UP, 1, 100, 1249, 12},
        RoundingCase{loyalty::v1::ROUNDING_HALF_EVEN, 1, 100, 1249, 12},
        RoundingCase{loyalty::v1::ROUNDING_UP, 1, 100, 1249, 13},
        // 12.51 -> above half: half_even goes up although 13 is odd.
        RoundingCase{loyalty::v1::ROUNDING_HALF_EVEN, 1, 100, 1251, 13},
        // 12.01 -> up takes any fraction up, down drops 12.99's.
        RoundingCase{loyalty::v1::ROUNDING_UP, 1, 100, 1201, 13},
        RoundingCase{loyalty::v1::ROUNDING_DOWN, 1, 100, 1299, 12},
        // 12.00 -> exact: every mode gives 12.
        RoundingCase{loyalty::v1::ROUNDING_UP, 1, 100, 1200, 12},
        RoundingCase{loyalty::v1::ROUNDING_HALF_EVEN, 1, 100, 1200, 12},
        // 3 points per 200 minor: 333 * 3 / 200 = 999 / 200 = 4.995.
        RoundingCase{loyalty::v1::ROUNDING_DOWN, 3, 200, 333, 4},
        RoundingCase{loyalty::v1::ROUNDING_HALF_UP, 3, 200, 333, 5},
        RoundingCase{loyalty::v1::ROUNDING_HALF_EVEN, 3, 200, 333, 5},
        RoundingCase{loyalty::v1::ROUNDING_UP, 3, 200, 333, 5},
        // 1 point per 4 minor: 2 -> 0.5 (to even 0), 6 -> 1.5 (to even 2),
        // 10 -> 2.5 (to even 2), 14 -> 3.5 (to even 4).
        RoundingCase{loyalty::v1::ROUNDING_HALF_EVEN, 1, 4, 2, 0},
        RoundingCase{loyalty::v1::ROUNDING_HALF_EVEN, 1, 4, 6, 2},
        RoundingCase{loyalty::v1::ROUNDING_HALF_EVEN, 1, 4, 10, 2},
        RoundingCase{loyalty::v1::ROUNDING_HALF_EVEN, 1, 4, 14, 4},
        RoundingCase{loyalty::v1::ROUNDING_HALF_UP, 1, 4, 2, 1},
        // 0 points per anything earns nothing.
        RoundingCase{loyalty::v1::ROUNDING_UP, 0, 100, 1299, 0}),
    [](const ::testing::TestParamInfo<RoundingCase>& param_info) {
      return NameOf(param_info.param);
    });

TEST(EvaluatorTest, CashbackEarnedWithBasisPointsAndRounding) {
  // 2.5% of 12.34 EUR = 1234 * 250 / 10000 = 30.85 minor.
  RuleSet rules = DefaultRules();
  rules.mutable_earn()->set_cashback_basis_points(250);
  absl::StatusOr<PricedPurchase> down = Price(rules, Basket(1234));
  ASSERT_TRUE(down.ok()) << down.status();
  EXPECT_EQ(down->cashback_earned_minor(), 30);
  ASSERT_EQ(down->applied_size(), 2);
  EXPECT_EQ(down->applied(1).rule_id(), "base-cashback");
  EXPECT_EQ(down->applied(1).cashback_minor(), 30);
  EXPECT_EQ(
      down->applied(1).explanation(),
      "2.5% cashback on what is paid: 12.34 EUR paid earns 0.30 EUR cashback "
      "(rounded down)");

  rules.mutable_earn()->set_rounding(loyalty::v1::ROUNDING_HALF_UP);
  absl::StatusOr<PricedPurchase> half_up = Price(rules, Basket(1234));
  ASSERT_TRUE(half_up.ok()) << half_up.status();
  EXPECT_EQ(half_up->cashback_earned_minor(), 31);  // .85 >= .5
  EXPECT_EQ(half_up->points_earned(), 12);          // 12.34 -> 12
}

TEST(EvaluatorTest, CashbackHalfEvenTies) {
  // 50% (5000 basis points): 3 minor -> 1.5 -> 2 (even); 5 -> 2.5 -> 2.
  RuleSet rules = DefaultRules();
  rules.mutable_earn()->set_cashback_basis_points(5000);
  rules.mutable_earn()->set_rounding(loyalty::v1::ROUNDING_HALF_EVEN);
  absl::StatusOr<PricedPurchase> three = Price(rules, Basket(3));
  absl::StatusOr<PricedPurchase> five = Price(rules, Basket(5));
  ASSERT_TRUE(three.ok() && five.ok());
  EXPECT_EQ(three->cashback_earned_minor(), 2);
  EXPECT_EQ(five->cashback_earned_minor(), 2);
}

TEST(EvaluatorTest, BasketShareCapLimitsRedeemablePoints) {
  // Basket 10.01 EUR, 50%: cap = floor(1001 * 50 / 100) = floor(500.5) = 500
  // minor; a point pays 1 minor -> at most 500 points.
  Purchase purchase = Basket(1001);
  purchase.set_redeem_points(500);
  absl::StatusOr<PricedPurchase> priced =
      Price(DefaultRules(), purchase, Member(10000));
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(priced->max_redeemable_points(), 500);
  EXPECT_EQ(priced->redeemed_points(), 500);
  EXPECT_EQ(priced->redeemed_value_minor(), 500);
  EXPECT_EQ(priced->total_due_minor(), 501);  // 1001 - 500
  EXPECT_EQ(priced->points_earned(), 5);      // 5.01 -> 5

  purchase.set_redeem_points(501);
  absl::StatusOr<PricedPurchase> refused =
      Price(DefaultRules(), purchase, Member(10000));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(refused.status()), "REDEEM_LIMIT_EXCEEDED");
  EXPECT_EQ(ErrorField(refused.status()), "purchase.redeem_points");
  EXPECT_THAT(refused.status().message(), HasSubstr("at most 500 points"));
  EXPECT_THAT(refused.status().message(),
              HasSubstr("up to 50% of the basket (5.00 EUR)"));
}

TEST(EvaluatorTest, PointValueDividesTheCap) {
  // A point pays 3 minor: cap 500 minor -> floor(500 / 3) = 166 points,
  // paying 498 minor; due 1001 - 498 = 503 -> 5 points.
  RuleSet rules = DefaultRules();
  rules.mutable_program()->set_point_value_minor(3);
  Purchase purchase = Basket(1001);
  purchase.set_redeem_points(166);
  absl::StatusOr<PricedPurchase> priced = Price(rules, purchase, Member(10000));
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(priced->max_redeemable_points(), 166);
  EXPECT_EQ(priced->redeemed_value_minor(), 498);
  EXPECT_EQ(priced->total_due_minor(), 503);
  EXPECT_EQ(priced->points_earned(), 5);
  purchase.set_redeem_points(167);
  EXPECT_EQ(ErrorReason(Price(rules, purchase, Member(10000)).status()),
            "REDEEM_LIMIT_EXCEEDED");
}

TEST(EvaluatorTest, BalanceLimitsRedeemablePoints) {
  // Cap 5000 points (100.00 EUR at 50%), balance 300 -> 300.
  absl::StatusOr<PricedPurchase> priced =
      Price(DefaultRules(), Basket(10000), Member(300));
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(priced->max_redeemable_points(), 300);
}

TEST(EvaluatorTest, InsufficientPointsComesBeforeTheShareLimit) {
  // Balance 300; basket 10.00 EUR caps at 500 points. 400 is within the cap
  // but above the balance; 600 is above both: the balance is reported.
  for (int64_t requested : {400, 600}) {
    Purchase purchase = Basket(1000);
    purchase.set_redeem_points(requested);
    absl::Status status = Price(DefaultRules(), purchase, Member(300)).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(ErrorReason(status), "INSUFFICIENT_POINTS") << requested;
    EXPECT_EQ(ErrorField(status), "purchase.redeem_points");
    EXPECT_THAT(status.message(),
                HasSubstr("but only 300 points are available"));
  }
  // Balance 10000: 600 > cap 500 is a share refusal, not a balance one.
  Purchase purchase = Basket(1000);
  purchase.set_redeem_points(600);
  EXPECT_EQ(
      ErrorReason(Price(DefaultRules(), purchase, Member(10000)).status()),
      "REDEEM_LIMIT_EXCEEDED");
}

TEST(EvaluatorTest, NegativeBalanceRedeemsNothingButStillPrices) {
  // After a refund clawback the balance may be -50: nothing is redeemable,
  // a purchase without redemption still prices, one with redemption fails.
  absl::StatusOr<PricedPurchase> priced =
      Price(DefaultRules(), Basket(1000), Member(-50, -7));
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(priced->max_redeemable_points(), 0);
  Purchase purchase = Basket(1000);
  purchase.set_redeem_points(1);
  EXPECT_EQ(ErrorReason(Price(DefaultRules(), purchase, Member(-50)).status()),
            "INSUFFICIENT_POINTS");
}

TEST(EvaluatorTest, ZeroShareMeansNoRedemption) {
  RuleSet rules = DefaultRules();
  rules.mutable_burn()->set_max_basket_share_percent(0);
  Purchase purchase = Basket(1000);
  purchase.set_redeem_points(1);
  absl::Status status = Price(rules, purchase, Member(10000)).status();
  EXPECT_EQ(ErrorReason(status), "REDEEM_LIMIT_EXCEEDED");
  EXPECT_THAT(status.message(), HasSubstr("at most 0 points"));
}

TEST(EvaluatorTest, EarnsOnlyOnWhatIsPaid) {
  // Basket 40.00 EUR, cap 20.00. Points 1500 pay 15.00, cashback pays 5.00:
  // 20.00 in all, exactly the cap. Due 40.00 - 20.00 = 20.00 EUR ->
  // 20 points, and 1% cashback of 2000 minor = 20 minor. The 20.00 EUR paid
  // with points and cashback earns nothing.
  RuleSet rules = DefaultRules();
  rules.mutable_earn()->set_cashback_basis_points(100);
  Purchase purchase = Basket(2000, 2);
  purchase.set_redeem_points(1500);
  purchase.set_use_cashback_minor(500);
  absl::StatusOr<PricedPurchase> priced =
      Price(rules, purchase, Member(3000, 800));
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(priced->subtotal_minor(), 4000);
  EXPECT_EQ(priced->redeemed_points(), 1500);
  EXPECT_EQ(priced->redeemed_value_minor(), 1500);
  EXPECT_EQ(priced->cashback_used_minor(), 500);
  EXPECT_EQ(priced->total_due_minor(), 2000);
  EXPECT_EQ(priced->points_earned(), 20);
  EXPECT_EQ(priced->cashback_earned_minor(), 20);
  EXPECT_EQ(priced->max_redeemable_points(), 2000);  // min(3000, 2000)
  ASSERT_EQ(priced->applied_size(), 4);
  EXPECT_EQ(priced->applied(0).rule_id(), "points-redeemed");
  EXPECT_EQ(priced->applied(0).points(), -1500);
  EXPECT_EQ(priced->applied(0).value_minor(), 1500);
  EXPECT_EQ(priced->applied(0).explanation(),
            "1500 points pay 15.00 EUR (up to 50% of the basket may be paid "
            "with points "
            "and cashback)");
  EXPECT_EQ(priced->applied(1).rule_id(), "cashback-used");
  EXPECT_EQ(priced->applied(1).cashback_minor(), -500);
  EXPECT_EQ(priced->applied(1).value_minor(), 500);
  EXPECT_EQ(priced->applied(1).explanation(),
            "Cashback wallet pays 5.00 EUR (up to 50% of the basket may be "
            "paid with points "
            "and cashback)");
  EXPECT_EQ(priced->applied(2).rule_id(), "base-earn");
  EXPECT_EQ(priced->applied(2).explanation(),
            "1 point per 1.00 EUR paid: 20.00 EUR paid earns 20 points");
  EXPECT_EQ(priced->applied(3).rule_id(), "base-cashback");
  EXPECT_EQ(
      priced->applied(3).explanation(),
      "1% cashback on what is paid: 20.00 EUR paid earns 0.20 EUR cashback");
}

TEST(EvaluatorTest, CashbackLimits) {
  // Basket 10.00 EUR, cap 5.00. Points pay 4.00, so 1.00 is left for cashback.
  Purchase purchase = Basket(1000);
  purchase.set_redeem_points(400);
  purchase.set_use_cashback_minor(101);
  absl::Status over_cap =
      Price(DefaultRules(), purchase, Member(1000, 1000)).status();
  EXPECT_EQ(over_cap.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(over_cap), "REDEEM_LIMIT_EXCEEDED");
  EXPECT_EQ(ErrorField(over_cap), "purchase.use_cashback_minor");
  EXPECT_THAT(over_cap.message(), HasSubstr("at most 1.00 EUR more"));

  // Wallet 0.50 EUR: asking 1.01 EUR is a wallet refusal, checked first.
  absl::Status wallet =
      Price(DefaultRules(), purchase, Member(1000, 50)).status();
  EXPECT_EQ(ErrorReason(wallet), "INSUFFICIENT_CASHBACK");
  EXPECT_EQ(ErrorField(wallet), "purchase.use_cashback_minor");
  EXPECT_THAT(wallet.message(),
              HasSubstr("requested 1.01 EUR but the wallet holds 0.50 EUR"));

  // Exactly 1.00 EUR fits: due 10.00 - 4.00 - 1.00 = 5.00 EUR.
  purchase.set_use_cashback_minor(100);
  absl::StatusOr<PricedPurchase> priced =
      Price(DefaultRules(), purchase, Member(1000, 1000));
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(priced->total_due_minor(), 500);
  EXPECT_EQ(priced->points_earned(), 5);
}

TEST(EvaluatorTest, HugeCashbackRequestDoesNotOverflow) {
  // points value + cashback would overflow int64; it is a share refusal.
  Purchase purchase = Basket(1000);
  purchase.set_redeem_points(400);
  purchase.set_use_cashback_minor(kInt64Max);
  absl::Status status =
      Price(DefaultRules(), purchase, Member(1000, kInt64Max)).status();
  EXPECT_EQ(ErrorReason(status), "REDEEM_LIMIT_EXCEEDED");
}

TEST(EvaluatorTest, WholeBasketPaidWithPointsEarnsNothing) {
  // 100% share: 1000 points pay all of 10.00 EUR; due 0, so no earning row.
  RuleSet rules = DefaultRules();
  rules.mutable_burn()->set_max_basket_share_percent(100);
  Purchase purchase = Basket(1000);
  purchase.set_redeem_points(1000);
  absl::StatusOr<PricedPurchase> priced = Price(rules, purchase, Member(1000));
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(priced->total_due_minor(), 0);
  EXPECT_EQ(priced->points_earned(), 0);
  ASSERT_EQ(priced->applied_size(), 1);
  EXPECT_EQ(priced->applied(0).rule_id(), "points-redeemed");
}

// --- Bad input: one mutation of a good purchase, one expected refusal. ---

struct BadInputCase {
  std::string name;
  std::function<void(Purchase&)> mutate;
  absl::StatusCode code;
  std::string reason;
  std::string field;
};

void PrintTo(const BadInputCase& c, std::ostream* os) { *os << c.name; }

class BadInputTest : public ::testing::TestWithParam<BadInputCase> {};

// Three good lines, so that "lines[2]" is not simply the first line.
Purchase ThreeLines() {
  Purchase purchase = Basket(100);
  for (int i = 0; i < 2; ++i) *purchase.add_lines() = purchase.lines(0);
  return purchase;
}

TEST_P(BadInputTest, RefusedWithReasonAndField) {
  const BadInputCase& c = GetParam();
  Purchase purchase = ThreeLines();
  ASSERT_TRUE(Price(DefaultRules(), purchase).ok());
  c.mutate(purchase);
  absl::Status status =
      Price(DefaultRules(), purchase, Member(1000, 1000)).status();
  EXPECT_EQ(status.code(), c.code) << status;
  EXPECT_EQ(ErrorReason(status), c.reason) << status;
  EXPECT_EQ(ErrorField(status), c.field) << status;
  // The message reads "REASON: field: text".
  EXPECT_THAT(std::string(status.message()),
              ::testing::StartsWith(c.reason + ": " + c.field + ": "));
}

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr int64_t kTwoTo62 = int64_t{1} << 62;

INSTANTIATE_TEST_SUITE_P(
    EvaluatorBadInput, BadInputTest,
    ::testing::Values(
        BadInputCase{"NoMember", [](Purchase& p) { p.clear_member_id(); },
                     kInvalid, "MISSING_FIELD", "purchase.member_id"},
        BadInputCase{"NoOrder", [](Purchase& p) { p.clear_order_id(); },
                     kInvalid, "MISSING_FIELD", "purchase.order_id"},
        BadInputCase{"NoCurrency", [](Purchase& p) { p.clear_currency(); },
                     kInvalid, "MISSING_FIELD", "purchase.currency"},
        BadInputCase{"LowerCaseCurrency",
                     [](Purchase& p) { p.set_currency("eur"); }, kInvalid,
                     "INVALID_CURRENCY", "purchase.currency"},
        BadInputCase{"LongCurrency",
                     [](Purchase& p) { p.set_currency("EURO"); }, kInvalid,
                     "INVALID_CURRENCY", "purchase.currency"},
        BadInputCase{"OtherCurrency",
                     [](Purchase& p) { p.set_currency("USD"); }, kInvalid,
                     "UNSUPPORTED_CURRENCY", "purchase.currency"},
        BadInputCase{"EmptyBasket", [](Purchase& p) { p.clear_lines(); },
                     kInvalid, "EMPTY_BASKET", "purchase.lines"},
        BadInputCase{"TooManyLines",
                     [](Purchase& p) {
                       while (p.lines_size() < 1001)
                         *p.add_lines() = p.lines(0);
                     },
                     kInvalid, "TOO_MANY_LINES", "purchase.lines"},
        BadInputCase{"NoSku",
                     [](Purchase& p) { p.mutable_lines(2)->clear_sku(); },
                     kInvalid, "MISSING_FIELD", "purchase.lines[2].sku"},
        BadInputCase{"ZeroQuantity",
                     [](Purchase& p) { p.mutable_lines(2)->set_quantity(0); },
                     kInvalid, "INVALID_QUANTITY",
                     "purchase.lines[2].quantity"},
        BadInputCase{"NegativeQuantity",
                     [](Purchase& p) { p.mutable_lines(2)->set_quantity(-1); },
                     kInvalid, "INVALID_QUANTITY",
                     "purchase.lines[2].quantity"},
        BadInputCase{
            "ZeroPrice",
            [](Purchase& p) { p.mutable_lines(2)->set_unit_price_minor(0); },
            kInvalid, "INVALID_PRICE", "purchase.lines[2].unit_price_minor"},
        BadInputCase{
            "NegativePrice",
            [](Purchase& p) { p.mutable_lines(1)->set_unit_price_minor(-5); },
            kInvalid, "INVALID_PRICE", "purchase.lines[1].unit_price_minor"},
        BadInputCase{"NegativeRedeem",
                     [](Purchase& p) { p.set_redeem_points(-1); }, kInvalid,
                     "INVALID_AMOUNT", "purchase.redeem_points"},
        BadInputCase{"NegativeCashback",
                     [](Purchase& p) { p.set_use_cashback_minor(-1); },
                     kInvalid, "INVALID_AMOUNT", "purchase.use_cashback_minor"},
        // 2^62 * 4 = 2^64 > 2^63 - 1.
        BadInputCase{"LineOverflow",
                     [](Purchase& p) {
                       p.mutable_lines(2)->set_quantity(kTwoTo62);
                       p.mutable_lines(2)->set_unit_price_minor(4);
                     },
                     kInvalid, "AMOUNT_OVERFLOW", "purchase.lines[2]"},
        // Each line 2^62 fits; 2^62 + 2^62 = 2^63 does not.
        BadInputCase{"SumOverflow",
                     [](Purchase& p) {
                       for (int i : {0, 1}) {
                         p.mutable_lines(i)->set_quantity(kTwoTo62);
                         p.mutable_lines(i)->set_unit_price_minor(1);
                       }
                     },
                     kInvalid, "AMOUNT_OVERFLOW", "purchase.lines"},
        BadInputCase{"PromoCode",
                     [](Purchase& p) { p.add_promo_codes("SPRING10"); },
                     absl::StatusCode::kFailedPrecondition,
                     "UNKNOWN_PROMO_CODE", "purchase.promo_codes[0]"}),
    [](const ::testing::TestParamInfo<BadInputCase>& param_info) {
      return param_info.param.name;
    });

TEST(EvaluatorTest, ThousandLinesAndUnspecifiedChannelAreAccepted) {
  Purchase purchase = Basket(100);
  while (purchase.lines_size() < 1000)
    *purchase.add_lines() = purchase.lines(0);
  ASSERT_EQ(purchase.channel(), loyalty::v1::CHANNEL_UNSPECIFIED);
  absl::StatusOr<PricedPurchase> priced = Price(DefaultRules(), purchase);
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(priced->subtotal_minor(), 100000);  // 1000 * 1.00 EUR
  EXPECT_EQ(priced->points_earned(), 1000);
}

TEST(EvaluatorTest, LargestBasketPricesWithoutOverflow) {
  // One line of INT64_MAX minor. Cap floor((2^63-1) * 50 / 100) =
  // 4611686018427387903 (the product needs 128 bits). Earning
  // floor((2^63-1) / 100) = 92233720368547758 points.
  absl::StatusOr<PricedPurchase> priced =
      Price(DefaultRules(), Basket(kInt64Max), Member(kInt64Max));
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(priced->max_redeemable_points(), 4611686018427387903);
  EXPECT_EQ(priced->points_earned(), 92233720368547758);
}

TEST(EvaluatorTest, EarnedPointsOverflowIsRefused) {
  // 1000 points per minor on 2^62 minor = 1000 * 2^62 > 2^63 - 1.
  RuleSet rules = DefaultRules();
  rules.mutable_earn()->set_points(1000);
  rules.mutable_earn()->set_per_minor(1);
  absl::Status status = Price(rules, Basket(kTwoTo62)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(status), "AMOUNT_OVERFLOW");
  EXPECT_EQ(ErrorField(status), "purchase.lines");
}

TEST(EvaluatorTest, WrongMemberStateIsAnInternalError) {
  MemberState other = Member();
  other.member_id = "m-2";
  EXPECT_EQ(Price(DefaultRules(), Basket(100), other).status().code(),
            absl::StatusCode::kInternal);
}

TEST(EvaluatorTest, SameInputsGiveIdenticalAnswers) {
  RuleSet rules = DefaultRules();
  rules.mutable_earn()->set_cashback_basis_points(150);
  rules.mutable_earn()->set_rounding(loyalty::v1::ROUNDING_HALF_EVEN);
  Purchase purchase = Basket(1999, 3);
  purchase.set_redeem_points(700);
  purchase.set_use_cashback_minor(250);
  std::shared_ptr<const CompiledRules> compiled = Compiled(rules);
  ASSERT_NE(compiled, nullptr);
  absl::StatusOr<PricedPurchase> first =
      PricePurchase(*compiled, Member(900, 300), purchase, kNow);
  absl::StatusOr<PricedPurchase> second = PricePurchase(
      *Compiled(rules), Member(900, 300), purchase, kNow + absl::Hours(5));
  ASSERT_TRUE(first.ok() && second.ok()) << first.status() << second.status();
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(*first, *second));
  EXPECT_EQ(first->SerializeAsString(), second->SerializeAsString());
  // 59.97 - 7.00 - 2.50 = 50.47 EUR due: 50.47 points -> 50; 1.5% cashback
  // = 5047 * 150 / 10000 = 75.705 -> 76.
  EXPECT_EQ(first->total_due_minor(), 5047);
  EXPECT_EQ(first->points_earned(), 50);
  EXPECT_EQ(first->cashback_earned_minor(), 76);
  EXPECT_EQ(first->rules_version(), compiled->version());
}

// --- CompiledRules::Compile ---

TEST(EvaluatorCompileTest, DefaultRulesCompileWithAVersion) {
  RuleSet rules = DefaultRules();
  rules.set_source_name("api");
  std::shared_ptr<const CompiledRules> compiled = Compiled(rules);
  ASSERT_NE(compiled, nullptr);
  EXPECT_EQ(compiled->version(), internal::RuleSetVersion(rules));
  EXPECT_THAT(compiled->version(), ::testing::MatchesRegex("[0-9a-f]{16}"));
  EXPECT_EQ(compiled->rule_set().source_name(), "api");
  // A stale version sent by a client is replaced by the digest.
  rules.set_version("0000000000000000");
  EXPECT_EQ(Compiled(rules)->version(), compiled->version());
}

struct BadRulesCase {
  std::string name;
  std::function<void(RuleSet&)> mutate;
  std::string field;
};

void PrintTo(const BadRulesCase& c, std::ostream* os) { *os << c.name; }

class BadRulesTest : public ::testing::TestWithParam<BadRulesCase> {};

TEST_P(BadRulesTest, RefusedNamingTheField) {
  RuleSet rules = DefaultRules();
  GetParam().mutate(rules);
  absl::Status status = CompiledRules::Compile(rules).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(status), "INVALID_RULES");
  EXPECT_EQ(ErrorField(status), GetParam().field);
}

INSTANTIATE_TEST_SUITE_P(
    EvaluatorCompile, BadRulesTest,
    ::testing::Values(
        BadRulesCase{
            "EmptyId",
            [](RuleSet& r) { r.mutable_program()->clear_program_id(); },
            "program.program_id"},
        BadRulesCase{
            "IdWithSpace",
            [](RuleSet& r) { r.mutable_program()->set_program_id("my shop"); },
            "program.program_id"},
        BadRulesCase{
            "LowerCurrency",
            [](RuleSet& r) { r.mutable_program()->set_currency("eur"); },
            "program.currency"},
        BadRulesCase{
            "ZeroPointValue",
            [](RuleSet& r) { r.mutable_program()->set_point_value_minor(0); },
            "program.point_value_minor"},
        BadRulesCase{"NegativePoints",
                     [](RuleSet& r) { r.mutable_earn()->set_points(-1); },
                     "earn.points"},
        BadRulesCase{"ZeroPerMinor",
                     [](RuleSet& r) { r.mutable_earn()->set_per_minor(0); },
                     "earn.per_minor"},
        BadRulesCase{"NoRounding",
                     [](RuleSet& r) { r.mutable_earn()->clear_rounding(); },
                     "earn.rounding"},
        BadRulesCase{"CashbackOver100Percent",
                     [](RuleSet& r) {
                       r.mutable_earn()->set_cashback_basis_points(10001);
                     },
                     "earn.cashback_basis_points"},
        BadRulesCase{
            "NegativeCashback",
            [](RuleSet& r) { r.mutable_earn()->set_cashback_basis_points(-1); },
            "earn.cashback_basis_points"},
        BadRulesCase{"ShareOver100",
                     [](RuleSet& r) {
                       r.mutable_burn()->set_max_basket_share_percent(101);
                     },
                     "burn.max_basket_share_percent"},
        BadRulesCase{"EarnedPointsPaySameOrder",
                     [](RuleSet& r) {
                       r.mutable_burn()->set_earned_points_pay_same_order(true);
                     },
                     "burn.earned_points_pay_same_order"}),
    [](const ::testing::TestParamInfo<BadRulesCase>& param_info) {
      return param_info.param.name;
    });

TEST(EvaluatorCompileTest, ListsEveryProblem) {
  RuleSet rules = DefaultRules();
  rules.mutable_earn()->set_per_minor(0);
  rules.mutable_burn()->set_max_basket_share_percent(150);
  absl::Status status = CompiledRules::Compile(rules).status();
  EXPECT_EQ(ErrorField(status), "earn.per_minor");
  EXPECT_EQ(
      status.message(),
      "INVALID_RULES: earn.per_minor: must be greater than 0, got 0; "
      "burn.max_basket_share_percent: must be between 0 and 100, got 150");
}

TEST(EvaluatorCompileTest, BoundariesAreAccepted) {
  RuleSet rules = DefaultRules();
  rules.mutable_earn()->set_points(0);
  rules.mutable_earn()->set_cashback_basis_points(10000);
  rules.mutable_burn()->set_max_basket_share_percent(100);
  EXPECT_TRUE(CompiledRules::Compile(rules).ok());
  rules.mutable_burn()->set_max_basket_share_percent(0);
  rules.mutable_program()->set_program_id("shop_1.eu-west");
  EXPECT_TRUE(CompiledRules::Compile(rules).ok());
}

}  // namespace
}  // namespace loyalty::evaluator
