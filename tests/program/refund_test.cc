// Refunds on the real ledger: partial refunds add up to the full refund to
// the minor unit, lines cannot be refunded twice, burned points go back into
// their lots, and each clawback policy settles points already spent.
#include <memory>

#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "engine/base/time_util.h"
#include "engine/evaluator/rule_file.h"
#include "engine/ledger/ledger.h"
#include "engine/program/operations.h"
#include "gtest/gtest.h"
#include "tests/support/await.h"
#include "tests/support/program_fixture.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_rules.h"

namespace loyalty::program {
namespace {

using loyalty::testing::Await;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);  // 2026-01-01

class RefundTest : public testing::ProgramFixture {
 protected:
  void Open(v1::ClawbackPolicy policy) {
    // 1 point per 1.00 EUR, 2.5% cashback, 60% of a basket payable.
    auto rule_set = evaluator::ParseRuleFile("refund.yaml", testing::RulesYaml(100, 60, 250));
    ASSERT_TRUE(rule_set.ok()) << rule_set.status();
    rule_set->mutable_refund()->set_clawback(policy);
    ASSERT_NO_FATAL_FAILURE(OpenProgram(*rule_set));
    v1::EnrollMemberRequest enroll;
    enroll.set_request_id("enroll");
    enroll.mutable_profile()->set_member_id("rae");
    ASSERT_TRUE(Await<v1::EnrollMemberResponse>([&](auto reply) {
                  operations_->EnrollMember(enroll, std::move(reply));
                }).ok());
  }

  absl::StatusOr<v1::CommitPurchaseResponse> Buy(
      const std::string& order, std::vector<std::pair<int64_t, int64_t>> lines,
      int64_t redeem = 0, int64_t cashback = 0) {
    clock_.Advance(absl::Hours(1));
    v1::CommitPurchaseRequest request;
    request.set_request_id("buy-" + order);
    auto* purchase = request.mutable_purchase();
    purchase->set_member_id("rae");
    purchase->set_order_id(order);
    purchase->set_currency("EUR");
    purchase->set_redeem_points(redeem);
    purchase->set_use_cashback_minor(cashback);
    for (const auto& [quantity, price] : lines) {
      auto* line = purchase->add_lines();
      line->set_sku(absl::StrCat("sku-", price));
      line->set_quantity(quantity);
      line->set_unit_price_minor(price);
    }
    return Await<v1::CommitPurchaseResponse>([&](auto reply) {
      operations_->CommitPurchase(request, std::move(reply));
    });
  }

  absl::StatusOr<v1::RefundPurchaseResponse> Refund(
      const std::string& request_id, const std::string& order,
      std::vector<std::pair<int, int64_t>> lines = {}) {
    v1::RefundPurchaseRequest request;
    request.set_request_id(request_id);
    request.set_order_id(order);
    for (const auto& [index, quantity] : lines) {
      auto* line = request.add_lines();
      line->set_line_index(index);
      line->set_quantity(quantity);
    }
    return Await<v1::RefundPurchaseResponse>([&](auto reply) {
      operations_->RefundPurchase(request, std::move(reply));
    });
  }

  v1::MemberRecord Member() { return *ledger_->GetMember("rae"); }


};

TEST_F(RefundTest, PartialRefundsAddUpToTheFullRefundExactly) {
  Open(v1::CLAWBACK_POLICY_NEGATIVE);
  // Earn first, so that the order under test burns points and cashback.
  ASSERT_TRUE(Buy("earlier", {{1, 100000}}).ok());  // 1000 points, 25.00 EUR
  const v1::MemberRecord before = Member();
  // 3 x 3.33 + 1 x 10.01 + 7 x 0.77 = 25.39 EUR; burn 500 points and 1.00 EUR.
  auto sale = Buy("odd", {{3, 333}, {1, 1001}, {7, 77}}, 500, 100);
  ASSERT_TRUE(sale.ok()) << sale.status();
  const v1::PricedPurchase& priced = sale->priced();
  ASSERT_EQ(priced.subtotal_minor(), 2539);
  ASSERT_GT(priced.points_earned(), 0);
  ASSERT_GT(priced.cashback_earned_minor(), 0);
  // Refund unit by unit, in an awkward order: eleven refunds.
  v1::RefundAmounts sum;
  int step = 0;
  for (const auto& [index, units] : std::vector<std::pair<int, int>>{{2, 7}, {0, 3}, {1, 1}}) {
    for (int unit = 0; unit < units; ++unit) {
      auto refund = Refund(absl::StrCat("r", ++step), "odd", {{index, 1}});
      ASSERT_TRUE(refund.ok()) << refund.status();
      const auto& moved = refund->refunded();
      sum.set_money_minor(sum.money_minor() + moved.money_minor());
      sum.set_points_reversed(sum.points_reversed() + moved.points_reversed());
      sum.set_cashback_reversed_minor(sum.cashback_reversed_minor() +
                                      moved.cashback_reversed_minor());
      sum.set_points_returned(sum.points_returned() + moved.points_returned());
      sum.set_cashback_returned_minor(sum.cashback_returned_minor() +
                                      moved.cashback_returned_minor());
    }
  }
  EXPECT_EQ(step, 11);
  EXPECT_EQ(sum.money_minor(), priced.total_due_minor());
  EXPECT_EQ(sum.points_reversed(), priced.points_earned());
  EXPECT_EQ(sum.cashback_reversed_minor(), priced.cashback_earned_minor());
  EXPECT_EQ(sum.points_returned(), priced.redeemed_points());
  EXPECT_EQ(sum.cashback_returned_minor(), priced.cashback_used_minor());
  // The member holds exactly what she held before the order; the points
  // given back carry the date of the lot they were burned from.
  const v1::MemberRecord after = Member();
  EXPECT_EQ(after.points_available(), before.points_available());
  EXPECT_EQ(after.cashback(0).amount_minor(), before.cashback(0).amount_minor());
  ASSERT_GE(after.lots_size(), 2);
  for (const auto& lot : after.lots()) {
    EXPECT_EQ(FromTimestamp(lot.earn_time()), FromTimestamp(before.lots(0).earn_time()));
  }
  ExpectAuditClean();
}

TEST_F(RefundTest, NothingIsRefundedTwiceOrBeyondWhatWasBought) {
  Open(v1::CLAWBACK_POLICY_NEGATIVE);
  ASSERT_TRUE(Buy("o", {{2, 1000}, {1, 500}}).ok());
  auto too_many = Refund("r1", "o", {{0, 3}});
  EXPECT_EQ(ErrorReason(too_many.status()), "REFUND_EXCEEDS_PURCHASE");
  ASSERT_TRUE(Refund("r2", "o", {{0, 2}}).ok());
  auto again = Refund("r3", "o", {{0, 1}});
  EXPECT_EQ(ErrorReason(again.status()), "ALREADY_REFUNDED");
  // The same request id gets its first answer back and moves nothing more.
  auto first = Refund("r4", "o");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->refunded().subtotal_minor(), 500);
  auto retry = Refund("r4", "o");
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->SerializeAsString(), first->SerializeAsString());
  EXPECT_EQ(ErrorReason(Refund("r5", "o").status()), "ALREADY_REFUNDED");
  EXPECT_EQ(ErrorReason(Refund("r6", "nope").status()), "UNKNOWN_ORDER");
  EXPECT_EQ(Member().points_available(), 0);
  ExpectAuditClean();
}

// Order A earns 100 points; order B spends 60 of them; then A is refunded.
class ClawbackTest : public RefundTest {
 protected:
  void EarnThenSpend() {
    ASSERT_TRUE(Buy("a", {{1, 10000}}).ok());   // +100 points, +2.50 EUR wallet
    auto b = Buy("b", {{1, 10000}}, 60);       // -60, then +99 points
    ASSERT_TRUE(b.ok()) << b.status();
    ASSERT_TRUE(Refund("undo-b", "b").ok());   // back to 100 points, 2.50 EUR
    ASSERT_TRUE(Buy("c", {{1, 100}}, 60).ok());  // spends 60: 40 left
    // c paid 0.40 EUR: no point, 0.01 EUR cashback; the wallet holds 2.51.
    ASSERT_EQ(Member().points_available(), 40);
    ASSERT_EQ(Member().cashback(0).amount_minor(), 251);
  }
};

TEST_F(ClawbackTest, NegativeLetsTheBalanceGoBelowZero) {
  Open(v1::CLAWBACK_POLICY_NEGATIVE);
  EarnThenSpend();
  auto refund = Refund("undo-a", "a");
  ASSERT_TRUE(refund.ok()) << refund.status();
  EXPECT_EQ(refund->refunded().points_reversed(), 100);
  EXPECT_EQ(refund->refunded().points_short(), 60);
  EXPECT_EQ(Member().points_available(), -60);
  EXPECT_EQ(Member().lots_size(), 0);
  ExpectAuditClean();
}

TEST_F(ClawbackTest, CashbackPaysForThePointsAlreadySpent) {
  Open(v1::CLAWBACK_POLICY_CASHBACK);
  EarnThenSpend();
  auto refund = Refund("undo-a", "a");
  ASSERT_TRUE(refund.ok()) << refund.status();
  const auto& moved = refund->refunded();
  // 100 points to take back, 40 held: 60 short. The 2.50 EUR that order A
  // earned go back first, leaving 0.01 EUR: it pays for one point (a point
  // is worth 0.01 EUR), and the other 59 leave the balance below zero.
  EXPECT_EQ(moved.points_short(), 60);
  EXPECT_EQ(moved.cashback_reversed_minor(), 250);
  EXPECT_EQ(moved.cashback_taken_for_points_minor(), 1);
  EXPECT_EQ(moved.points_left_negative(), 59);
  EXPECT_EQ(Member().points_available(), -59);
  EXPECT_EQ(Member().cashback(0).amount_minor(), 0);
  // Points earned later fill the hole before they make a lot.
  ASSERT_TRUE(Buy("d", {{1, 10000}}).ok());
  EXPECT_EQ(Member().points_available(), 41);
  ASSERT_EQ(Member().lots_size(), 1);
  EXPECT_EQ(Member().lots(0).remaining(), 41);
  ExpectAuditClean();
}

TEST_F(ClawbackTest, ForgiveTakesBackOnlyWhatIsLeft) {
  Open(v1::CLAWBACK_POLICY_FORGIVE);
  EarnThenSpend();
  auto refund = Refund("undo-a", "a");
  ASSERT_TRUE(refund.ok()) << refund.status();
  EXPECT_EQ(refund->refunded().points_reversed(), 40);
  EXPECT_EQ(refund->refunded().points_forgiven(), 60);
  EXPECT_EQ(Member().points_available(), 0);
  ExpectAuditClean();
}

}  // namespace
}  // namespace loyalty::program

namespace loyalty::program {
namespace {

TEST(RefundRulesTest, TheRuleFileChoosesThePolicyAndTheReasonLists) {
  const std::string yaml = testing::RulesYaml() +
                           "refund:\n  clawback: forgive\n"
                           "adjustment_reasons: [LATE_DELIVERY, WRONG_PRICE]\n"
                           "feedback_reasons: [PRICE]\n";
  auto rule_set = evaluator::ParseRuleFile("r.yaml", yaml);
  ASSERT_TRUE(rule_set.ok()) << rule_set.status();
  EXPECT_EQ(rule_set->refund().clawback(), v1::CLAWBACK_POLICY_FORGIVE);
  ASSERT_EQ(rule_set->adjustment_reasons_size(), 2);
  EXPECT_EQ(rule_set->adjustment_reasons(1), "WRONG_PRICE");
  EXPECT_EQ(rule_set->feedback_reasons(0), "PRICE");
  const auto problems = evaluator::ValidateRuleFile(
      "r.yaml", testing::RulesYaml() + "refund:\n  clawback: sometimes\n"
                                       "adjustment_reasons: [late]\n");
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].rfind("r.yaml:14:", 0), 0u) << problems[0];
  EXPECT_EQ(problems[1].rfind("r.yaml:15:", 0), 0u) << problems[1];
}

}  // namespace
}  // namespace loyalty::program

namespace loyalty::program {
namespace {

// yaml-cpp 0.7 never returns on some ',' that start a token outside a flow
// collection (found by the rule-file fuzzer); the reader refuses them before
// yaml-cpp sees them, and still reads every ',' a rule file needs.
TEST(RuleFileGuardTest, AStrayCommaIsRefusedNotParsed) {
  for (const std::string& yaml :
       {std::string(",\n"), std::string("# c\n,\n"), std::string("- a\n,\n"),
        std::string("&+,"), std::string("a: *b,\n"),
        testing::RulesYaml() + "  , # x\n"}) {
    const auto problems = evaluator::ValidateRuleFile("c.yaml", yaml);
    ASSERT_EQ(problems.size(), 1u) << yaml;
    EXPECT_NE(problems[0].find("may not start a value"), std::string::npos)
        << problems[0];
  }
  const std::string fine = testing::RulesYaml() +
                           "adjustment_reasons: [LATE_DELIVERY, GOODWILL]\n"
                           "# a comment, with a comma\n";
  EXPECT_TRUE(evaluator::ValidateRuleFile("c.yaml", fine).empty());
}

}  // namespace
}  // namespace loyalty::program
