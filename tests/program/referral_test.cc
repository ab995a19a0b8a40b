// Referrals on the real ledger: codes at enrollment, the rewards of the
// newcomer's first qualifying purchase in that purchase's own entry, and
// every blocked case (unknown code, self-referral, a second referrer, the
// referrer's monthly cap, a refund of the qualifying purchase).
#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "engine/base/error.h"
#include "engine/ledger/accounts.h"
#include "engine/ledger/ledger.h"
#include "engine/program/operations.h"
#include "engine/program/referral.h"
#include "engine/evaluator/rule_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/await.h"
#include "tests/support/program_fixture.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_rules.h"

namespace loyalty::program {
namespace {

using loyalty::testing::Await;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);  // 2026-01-01 UTC

// 1 point per 1.00 EUR; a referral gives the referrer 500 points and 1.00
// EUR cashback, the newcomer 200 points, for a purchase paying >= 20.00 EUR;
// at most 2 rewarded referrals per referrer per month.
std::string ReferralRules() {
  return testing::RulesYaml(100, 50, 0) +
         "referral:\n  referrer_points: 500\n  newcomer_points: 200\n"
         "  referrer_cashback_minor: 100\n  min_purchase_minor: 2000\n"
         "  max_per_referrer_per_month: 2\n";
}

class ReferralTest : public testing::ProgramFixture {
 protected:
  void SetUp() override { OpenProgram(testing::CompileRules(ReferralRules())); }

  absl::StatusOr<v1::EnrollMemberResponse> Enroll(const std::string& id,
                                                  const std::string& code = "") {
    v1::EnrollMemberRequest request;
    request.set_request_id(absl::StrCat("enroll-", ++requests_));
    request.mutable_profile()->set_member_id(id);
    request.set_referral_code(code);
    return Await<v1::EnrollMemberResponse>(
        [&](auto reply) { operations_->EnrollMember(request, std::move(reply)); });
  }

  std::string CodeOf(const std::string& id) {
    return ledger_->GetMember(id)->profile().referral_code();
  }

  absl::StatusOr<v1::CommitPurchaseResponse> Buy(const std::string& member,
                                                 const std::string& order,
                                                 int64_t price_minor,
                                                 int64_t redeem = 0) {
    clock_.Advance(absl::Hours(1));
    v1::CommitPurchaseRequest request;
    request.set_request_id("buy-" + order);
    auto* purchase = request.mutable_purchase();
    purchase->set_member_id(member);
    purchase->set_order_id(order);
    purchase->set_currency("EUR");
    purchase->set_redeem_points(redeem);
    auto* line = purchase->add_lines();
    line->set_sku("thing");
    line->set_quantity(1);
    line->set_unit_price_minor(price_minor);
    return Await<v1::CommitPurchaseResponse>([&](auto reply) {
      operations_->CommitPurchase(request, std::move(reply));
    });
  }

  absl::StatusOr<v1::RefundPurchaseResponse> Refund(const std::string& order) {
    v1::RefundPurchaseRequest request;
    request.set_request_id(absl::StrCat("refund-", ++requests_));
    request.set_order_id(order);
    return Await<v1::RefundPurchaseResponse>([&](auto reply) {
      operations_->RefundPurchase(request, std::move(reply));
    });
  }

  int64_t Points(const std::string& id) { return ledger_->GetMember(id)->points_available(); }
  int64_t Wallet(const std::string& id) {
    auto record = ledger_->GetMember(id);
    return record->cashback().empty() ? 0 : record->cashback(0).amount_minor();
  }


  int requests_ = 0;
};

TEST_F(ReferralTest, EveryMemberGetsAUniqueCodeShownByEnrollAndGetMember) {
  auto ann = Enroll("ann");
  auto bob = Enroll("bob");
  ASSERT_TRUE(ann.ok() && bob.ok());
  const std::string code = ann->member().referral_code();
  ASSERT_EQ(code.size(), 10u);
  for (char c : code) EXPECT_NE(absl::string_view(kReferralAlphabet).find(c), absl::string_view::npos);
  EXPECT_NE(code, bob->member().referral_code());
  v1::GetMemberRequest get;
  get.set_member_id("ann");
  EXPECT_EQ(operations_->GetMember(get)->member().referral_code(), code);
  // A code the caller sends in the profile is not taken.
  v1::EnrollMemberRequest forged;
  forged.set_request_id("forged");
  forged.mutable_profile()->set_member_id("eve");
  forged.mutable_profile()->set_referral_code(code);
  forged.mutable_profile()->set_referred_by("ann");
  auto eve = Await<v1::EnrollMemberResponse>(
      [&](auto reply) { operations_->EnrollMember(forged, std::move(reply)); });
  ASSERT_TRUE(eve.ok());
  EXPECT_NE(eve->member().referral_code(), code);
  EXPECT_EQ(eve->member().referred_by(), "");
}

TEST_F(ReferralTest, TheFirstQualifyingPurchaseRewardsBothSidesInItsOwnEntry) {
  ASSERT_TRUE(Enroll("ann").ok());
  // Codes are matched case-insensitively.
  auto bob = Enroll("bob", absl::AsciiStrToLower(CodeOf("ann")));
  ASSERT_TRUE(bob.ok()) << bob.status();
  EXPECT_EQ(bob->member().referred_by(), "ann");
  // 10.00 EUR is below the 20.00 minimum: not the qualifying purchase.
  auto small = Buy("bob", "b-1", 1000);
  ASSERT_TRUE(small.ok());
  EXPECT_FALSE(small->priced().has_referral_reward());
  EXPECT_EQ(Points("ann"), 0);
  // 30.00 EUR qualifies: bob 30 + 200 points, ann 500 points and 1.00 EUR.
  auto qualifying = Buy("bob", "b-2", 3000);
  ASSERT_TRUE(qualifying.ok());
  ASSERT_TRUE(qualifying->priced().has_referral_reward());
  EXPECT_EQ(qualifying->priced().referral_reward().referrer_id(), "ann");
  EXPECT_EQ(qualifying->balance().points_available(), 10 + 30 + 200);
  EXPECT_EQ(Points("ann"), 500);
  EXPECT_EQ(Wallet("ann"), 100);
  // In the purchase's own entry: the referrer's postings are there.
  int64_t sequence = 0;
  ASSERT_TRUE(absl::SimpleAtoi(qualifying->transaction_id(), &sequence));
  auto entry = ledger_->GetEntry(sequence);
  ASSERT_TRUE(entry.ok());
  bool referrer_credited = false;
  for (const auto& posting : entry->postings()) {
    referrer_credited |= posting.account() == ledger::MemberPointsAvailable("ann") &&
                         posting.amount() == 500;
  }
  EXPECT_TRUE(referrer_credited);
  // Only once: the next purchase gives no referral reward.
  auto later = Buy("bob", "b-3", 5000);
  ASSERT_TRUE(later.ok());
  EXPECT_FALSE(later->priced().has_referral_reward());
  EXPECT_EQ(Points("ann"), 500);
  ExpectAuditClean();
}

TEST_F(ReferralTest, UnknownAndMalformedCodesAreRefusedNamingTheField) {
  ASSERT_TRUE(Enroll("ann").ok());
  auto unknown = Enroll("bob", "ABCDEFGHJK");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorReason(unknown.status()), "UNKNOWN_REFERRAL_CODE");
  EXPECT_EQ(ErrorField(unknown.status()), "referral_code");
  auto malformed = Enroll("bob", "0OIL1");
  EXPECT_EQ(malformed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(malformed.status()), "referral_code");
  // Nothing of a refused enrollment is kept.
  EXPECT_EQ(ledger_->GetMember("bob").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ReferralTest, SelfReferralAndASecondReferrerAreRefused) {
  ASSERT_TRUE(Enroll("ann").ok());
  ASSERT_TRUE(Enroll("cat").ok());
  // ann enrolling again (another request id) with her own code.
  auto self = Enroll("ann", CodeOf("ann"));
  EXPECT_EQ(self.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(self.status()), "SELF_REFERRAL");
  EXPECT_EQ(ErrorField(self.status()), "referral_code");
  ASSERT_TRUE(Enroll("bob", CodeOf("ann")).ok());
  auto second = Enroll("bob", CodeOf("cat"));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(second.status()), "ALREADY_REFERRED");
  EXPECT_EQ(ledger_->GetMember("bob")->profile().referred_by(), "ann");
  // A member without a referrer enrolling again is simply a member that exists.
  EXPECT_EQ(Enroll("cat", CodeOf("ann")).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(ReferralTest, TheReferrersMonthlyCapStopsFurtherRewards) {
  ASSERT_TRUE(Enroll("ann").ok());
  for (const char* id : {"n1", "n2", "n3", "n4"}) ASSERT_TRUE(Enroll(id, CodeOf("ann")).ok());
  // January: two rewarded referrals, then the cap (2) refuses the third.
  ASSERT_TRUE(Buy("n1", "o1", 2000)->priced().has_referral_reward());
  ASSERT_TRUE(Buy("n2", "o2", 2000)->priced().has_referral_reward());
  auto capped = Buy("n3", "o3", 2000);
  ASSERT_TRUE(capped.ok());
  EXPECT_FALSE(capped->priced().has_referral_reward());
  EXPECT_EQ(capped->balance().points_available(), 20);  // no newcomer reward either
  EXPECT_EQ(Points("ann"), 1000);
  EXPECT_EQ(ledger_->GetMember("ann")->referrals_rewarded().at("2026-01"), 2);
  // February: a new month, a new slot; n3's referral stays settled.
  clock_.Advance(absl::Hours(24 * 31));
  ASSERT_TRUE(Buy("n4", "o4", 2000)->priced().has_referral_reward());
  EXPECT_FALSE(Buy("n3", "o5", 2000)->priced().has_referral_reward());
  EXPECT_EQ(Points("ann"), 1500);
  ExpectAuditClean();
}

TEST_F(ReferralTest, ARefundOfTheQualifyingPurchaseReversesBothRewards) {
  ASSERT_TRUE(Enroll("ann").ok());
  ASSERT_TRUE(Enroll("bob", CodeOf("ann")).ok());
  // Two lines: 25.00 + 15.00 = 40.00 EUR qualifies (>= 20.00).
  clock_.Advance(absl::Hours(1));
  v1::CommitPurchaseRequest request;
  request.set_request_id("buy-two");
  auto* purchase = request.mutable_purchase();
  purchase->set_member_id("bob");
  purchase->set_order_id("two");
  purchase->set_currency("EUR");
  for (int64_t price : {2500, 1500}) {
    auto* line = purchase->add_lines();
    line->set_sku(absl::StrCat("sku-", price));
    line->set_quantity(1);
    line->set_unit_price_minor(price);
  }
  auto sale = Await<v1::CommitPurchaseResponse>(
      [&](auto reply) { operations_->CommitPurchase(request, std::move(reply)); });
  ASSERT_TRUE(sale.ok());
  ASSERT_TRUE(sale->priced().has_referral_reward());
  EXPECT_EQ(Points("bob"), 40 + 200);
  // ann spends 300 of her 500 points (10.00 EUR basket, half payable).
  ASSERT_TRUE(Buy("ann", "ann-1", 1000, 300).ok());
  EXPECT_EQ(Points("ann"), 500 - 300 + 7);
  // Refunding 15.00 leaves 25.00 paid: still qualifying, nothing reversed.
  v1::RefundPurchaseRequest part;
  part.set_request_id("refund-part");
  part.set_order_id("two");
  auto* line = part.add_lines();
  line->set_line_index(1);
  line->set_quantity(1);
  auto partial = Await<v1::RefundPurchaseResponse>(
      [&](auto reply) { operations_->RefundPurchase(part, std::move(reply)); });
  ASSERT_TRUE(partial.ok()) << partial.status();
  EXPECT_EQ(Points("ann"), 207);
  EXPECT_EQ(partial->balance().points_available(), 240 - 15);
  // Refunding the rest reverses both rewards in that refund's entry: bob
  // loses 200, ann 500 (below zero: 207 - 500) and her 1.00 EUR cashback.
  auto rest = Refund("two");
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->balance().points_available(), 0);
  EXPECT_EQ(Points("ann"), 207 - 500);
  EXPECT_EQ(Wallet("ann"), 0);
  // ann's January slot is free again, and bob's referral is open again.
  EXPECT_EQ(ledger_->GetMember("ann")->referrals_rewarded().count("2026-01"), 0u);
  EXPECT_FALSE(ledger_->GetMember("bob")->referral_settled());
  auto again = Buy("bob", "three", 2000);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->priced().has_referral_reward());
  EXPECT_EQ(Points("ann"), 207);
  ExpectAuditClean();
}

// The `referral` section of rules/README.md reads, and a bad value is
// reported at its line.
TEST(ReferralRulesTest, TheSectionReadsAndBadValuesNameTheirLine) {
  const std::string section =
      "referral:\n"
      "  referrer_points: 500         # to the member whose code was used\n"
      "  newcomer_points: 200\n"
      "  referrer_cashback_minor: 100\n"
      "  newcomer_cashback_minor: 0\n"
      "  min_purchase_minor: 2000\n"
      "  max_per_referrer_per_month: 5\n";
  auto rule_set = evaluator::ParseRuleFile("shop.yaml", testing::RulesYaml() + section);
  ASSERT_TRUE(rule_set.ok()) << rule_set.status();
  EXPECT_EQ(rule_set->referral().referrer_points(), 500);
  EXPECT_EQ(rule_set->referral().max_per_referrer_per_month(), 5);
  // Left out, the cap is unset: no limit.
  auto uncapped = evaluator::ParseRuleFile(
      "shop.yaml", testing::RulesYaml() + "referral:\n  newcomer_points: 10\n");
  ASSERT_TRUE(uncapped.ok());
  EXPECT_FALSE(uncapped->referral().has_max_per_referrer_per_month());
  const std::string base = testing::RulesYaml();
  const int lines = static_cast<int>(std::count(base.begin(), base.end(), '\n'));
  EXPECT_THAT(evaluator::ValidateRuleFile(
                  "shop.yaml", testing::RulesYaml() + "referral:\n  newcomer_points: -5\n"),
              ::testing::ElementsAre(absl::StrCat(
                  "shop.yaml:", lines + 2,
                  ": referral.newcomer_points: must be between 0 and 1099511627776, "
                  "got -5")));
}

}  // namespace
}  // namespace loyalty::program
