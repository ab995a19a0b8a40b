// A member's year on the real ledger, with an injected clock: pending points
// released exactly at the end of the holding period, expiry at the exact
// boundary and idempotent runs, FIFO burning across lots of different ages,
// tier upgrades within the commit, downgrades only at the review and after
// the grace period, the rewards catalogue with its stock, and the birthday
// gift once a year.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/analytics/counters.h"
#include "engine/base/error.h"
#include "engine/base/time_util.h"
#include "engine/ledger/accounts.h"
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

constexpr absl::Duration kDay = absl::Hours(24);
const absl::Time kStart = absl::FromUnixSeconds(1767225600);  // 2026-01-01 UTC

// 1 point per 1.00 EUR, a point pays 0.01 EUR, half a basket payable.
v1::RuleSet BaseRules() {
  auto rule_set = evaluator::ParseRuleFile("year.yaml", testing::RulesYaml(100, 50));
  EXPECT_TRUE(rule_set.ok()) << rule_set.status();
  return *rule_set;
}

// Spend tiers over a rolling year: silver from 500.00 EUR, gold from
// 1500.00 EUR, reviewed a year after they are reached, 30 days of grace.
void AddTiers(v1::RuleSet& rules) {
  v1::TierSettings* tiers = rules.mutable_tiers();
  tiers->set_measure(v1::TIER_MEASURE_SPEND);
  tiers->set_window(v1::TIER_WINDOW_ROLLING);
  tiers->set_window_days(365);
  tiers->set_review_days(365);
  tiers->set_grace_days(30);
  for (const auto& [id, threshold] :
       {std::pair<const char*, int64_t>{"member", 0}, {"silver", 50000}, {"gold", 150000}}) {
    v1::Tier* level = tiers->add_levels();
    level->set_id(id);
    level->set_name(id);
    level->set_threshold(threshold);
  }
  tiers->mutable_levels(2)->mutable_benefits()->add_perks("free delivery");
}

class YearTest : public testing::ProgramFixture {
 protected:
  void Open(const v1::RuleSet& rule_set) {
    ASSERT_NO_FATAL_FAILURE(OpenProgram(rule_set));
    Enroll("ana", "1990-03-15");
  }

  void Enroll(const std::string& id, const std::string& birth_date = "") {
    v1::EnrollMemberRequest enroll;
    enroll.set_request_id("enroll-" + id);
    enroll.mutable_profile()->set_member_id(id);
    enroll.mutable_profile()->set_birth_date(birth_date);
    ASSERT_TRUE(Await<v1::EnrollMemberResponse>([&](auto reply) {
                  operations_->EnrollMember(enroll, std::move(reply));
                }).ok());
  }

  absl::StatusOr<v1::CommitPurchaseResponse> Buy(int64_t amount_minor, int64_t redeem = 0,
                                                 const std::string& member = "ana") {
    v1::CommitPurchaseRequest request;
    request.set_request_id(absl::StrCat("buy-", ++orders_));
    auto* purchase = request.mutable_purchase();
    purchase->set_member_id(member);
    purchase->set_order_id(absl::StrCat("order-", orders_));
    purchase->set_currency("EUR");
    purchase->set_redeem_points(redeem);
    auto* line = purchase->add_lines();
    line->set_sku("sku");
    line->set_quantity(1);
    line->set_unit_price_minor(amount_minor);
    return Await<v1::CommitPurchaseResponse>([&](auto reply) {
      operations_->CommitPurchase(request, std::move(reply));
    });
  }

  absl::StatusOr<v1::RefundPurchaseResponse> RefundOrder(int order) {
    v1::RefundPurchaseRequest request;
    request.set_request_id(absl::StrCat("refund-", order));
    request.set_order_id(absl::StrCat("order-", order));
    return Await<v1::RefundPurchaseResponse>([&](auto reply) {
      operations_->RefundPurchase(request, std::move(reply));
    });
  }

  absl::StatusOr<v1::RedeemRewardResponse> Redeem(const std::string& reward,
                                                  const std::string& member = "ana") {
    v1::RedeemRewardRequest request;
    request.set_request_id(absl::StrCat("redeem-", ++redeems_));
    request.set_member_id(member);
    request.set_reward_id(reward);
    return Await<v1::RedeemRewardResponse>([&](auto reply) {
      operations_->RedeemReward(request, std::move(reply));
    });
  }

  v1::RunExpiryResponse RunExpiry() {
    v1::RunExpiryRequest request;
    request.set_request_id("run");
    progress_.clear();
    auto result = operations_->RunExpiry(
        request, [&](const v1::RunExpiryResponse& figures) { progress_.push_back(figures); });
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : v1::RunExpiryResponse();
  }

  v1::Balance Balance(const std::string& member = "ana") {
    v1::GetBalanceRequest request;
    request.set_member_id(member);
    auto response = operations_->GetBalance(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->balance() : v1::Balance();
  }

  v1::MemberRecord Stored(const std::string& member = "ana") {
    return *ledger_->GetMember(member);
  }



  std::vector<v1::RunExpiryResponse> progress_;
  int orders_ = 0;
  int redeems_ = 0;
};

TEST_F(YearTest, PendingPointsReleaseExactlyAtTheEndOfTheHoldingPeriod) {
  v1::RuleSet rules = BaseRules();
  rules.mutable_points()->set_pending_days(14);
  Open(rules);
  ASSERT_TRUE(Buy(10000).ok());  // 100 points, pending until day 14
  const absl::Time release = kStart + 14 * kDay;
  EXPECT_EQ(Stored().points_pending(), 100);
  ASSERT_EQ(Stored().pending_lots_size(), 1);
  EXPECT_EQ(FromTimestamp(Stored().pending_lots(0).release_time()), release);

  clock_.Set(release - absl::Seconds(1));
  v1::Balance before = Balance();
  EXPECT_EQ(before.points_pending(), 100);
  EXPECT_EQ(before.points_available(), 0);
  EXPECT_EQ(FromTimestamp(before.next_release_time()), release);
  // Pending points cannot be burned, not even a second before the release.
  auto early = Buy(10000, 50);
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(early.status()), "INSUFFICIENT_POINTS");

  clock_.Set(release);
  v1::Balance after = Balance();
  EXPECT_EQ(after.points_pending(), 0);
  EXPECT_EQ(after.points_available(), 100);
  // The sale at the release time releases them (an UPKEEP entry in the same
  // write) and burns 50 of them; its own 50 points are pending again.
  auto sale = Buy(10000, 50);
  ASSERT_TRUE(sale.ok()) << sale.status();
  EXPECT_EQ(sale->balance().points_available(), 50);
  EXPECT_EQ(sale->balance().points_pending(), 99);  // 99.50 EUR paid: 99 points
  EXPECT_EQ(Stored().points_available(), 50);
  EXPECT_EQ(Stored().points_pending(), 99);
  ExpectAuditClean();
}

TEST_F(YearTest, RefundTakesEarnedPointsFromPendingFirst) {
  v1::RuleSet rules = BaseRules();
  rules.mutable_points()->set_pending_days(14);
  Open(rules);
  ASSERT_TRUE(Buy(20000).ok());  // 200 points pending
  clock_.Advance(kDay);
  auto refund = RefundOrder(1);
  ASSERT_TRUE(refund.ok()) << refund.status();
  EXPECT_EQ(refund->refunded().points_reversed(), 200);
  EXPECT_EQ(refund->refunded().points_short(), 0);
  EXPECT_EQ(Stored().points_pending(), 0);
  EXPECT_EQ(Stored().pending_lots_size(), 0);
  EXPECT_EQ(Stored().points_available(), 0);
  ExpectAuditClean();
}

TEST_F(YearTest, ExpiryHappensAtTheExactBoundaryAndRunsAreIdempotent) {
  v1::RuleSet rules = BaseRules();
  rules.mutable_points()->set_lifetime_days(365);
  Open(rules);
  ASSERT_TRUE(Buy(10000).ok());  // 100 points, expiring on day 365
  const absl::Time expiry = kStart + 365 * kDay;

  clock_.Set(expiry - absl::Seconds(1));
  v1::RunExpiryResponse early = RunExpiry();
  EXPECT_EQ(early.points_expired(), 0);
  EXPECT_EQ(early.members_changed(), 0);
  EXPECT_EQ(Balance().points_available(), 100);
  EXPECT_EQ(Balance().points_expiring_30_days(), 100);
  EXPECT_EQ(FromTimestamp(Balance().next_expiry_time()), expiry);

  clock_.Set(expiry);
  EXPECT_EQ(Balance().points_available(), 0);  // reads count it gone at once
  v1::RunExpiryResponse run = RunExpiry();
  EXPECT_EQ(run.points_expired(), 100);
  EXPECT_EQ(run.members_changed(), 1);
  EXPECT_EQ(run.members_scanned(), 1);
  EXPECT_TRUE(run.done());
  EXPECT_EQ(Stored().points_available(), 0);
  EXPECT_EQ(Stored().lots_size(), 0);
  EXPECT_EQ(ProgramAccount(std::string(ledger::kProgramPointsExpired)), 100);
  // The metrics count it as breakage in the month it expired, and against
  // the month the points were earned.
  auto groups = ledger_->ReadCounters(analytics::GroupKey("2027-01", "all"));
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ(groups->begin()->second.at(analytics::kPointsExpired), 100);
  auto cohorts = ledger_->ReadCounters(analytics::CohortKey("2026-01"));
  ASSERT_TRUE(cohorts.ok());
  ASSERT_EQ(cohorts->size(), 1u);
  EXPECT_EQ(cohorts->begin()->second.at(analytics::kCohortExpired), 100);
  const int64_t head = ledger_->Head().sequence();

  v1::RunExpiryResponse again = RunExpiry();
  EXPECT_EQ(again.points_expired(), 0);
  EXPECT_EQ(again.members_changed(), 0);
  EXPECT_EQ(ledger_->Head().sequence(), head);  // nothing written
  ExpectAuditClean();
}

TEST_F(YearTest, BurningTakesTheOldestLotsFirst) {
  v1::RuleSet rules = BaseRules();
  rules.mutable_points()->set_lifetime_days(365);
  Open(rules);
  ASSERT_TRUE(Buy(10000).ok());  // day 0: 100 points
  clock_.Advance(10 * kDay);
  ASSERT_TRUE(Buy(10000).ok());  // day 10: 100 points
  clock_.Advance(10 * kDay);
  ASSERT_TRUE(Buy(10000).ok());  // day 20: 100 points
  clock_.Advance(kDay);
  ASSERT_TRUE(Buy(30000, 150).ok());  // burns 150: all of day 0, 50 of day 10
  v1::MemberRecord member = Stored();
  ASSERT_EQ(member.lots_size(), 3);
  EXPECT_EQ(FromTimestamp(member.lots(0).earn_time()), kStart + 10 * kDay);
  EXPECT_EQ(member.lots(0).remaining(), 50);
  EXPECT_EQ(member.lots(1).remaining(), 100);  // day 20
  EXPECT_EQ(member.lots(2).remaining(), 298);  // day 21: 298.50 EUR paid

  // On day 365 nothing is left of the day-0 lot; on day 375 the day-10 rest
  // (50) expires, and on day 385 the day-20 lot (100).
  clock_.Set(kStart + 365 * kDay);
  EXPECT_EQ(RunExpiry().points_expired(), 0);
  clock_.Set(kStart + 375 * kDay);
  EXPECT_EQ(RunExpiry().points_expired(), 50);
  clock_.Set(kStart + 385 * kDay);
  EXPECT_EQ(RunExpiry().points_expired(), 100);
  EXPECT_EQ(Stored().points_available(), 298);
  ExpectAuditClean();
}

TEST_F(YearTest, AThresholdCrossedRaisesTheTierWithinTheSameCommit) {
  v1::RuleSet rules = BaseRules();
  AddTiers(rules);
  Open(rules);
  EXPECT_EQ(Stored().tier(), "member");
  ASSERT_TRUE(Buy(30000).ok());
  EXPECT_EQ(Balance().tier(), "member");
  EXPECT_EQ(Balance().tier_progress().missing(), 20000);
  clock_.Advance(kDay);
  auto sale = Buy(25000);  // 550.00 EUR in the window: silver
  ASSERT_TRUE(sale.ok()) << sale.status();
  EXPECT_EQ(sale->priced().tier(), "member");  // priced before it crossed
  EXPECT_EQ(sale->balance().tier(), "silver");
  const v1::TierProgress& progress = sale->balance().tier_progress();
  EXPECT_EQ(progress.qualifying(), 55000);
  EXPECT_EQ(progress.next_tier(), "gold");
  EXPECT_EQ(progress.missing(), 95000);
  EXPECT_EQ(FromTimestamp(progress.review_time()), clock_.Now() + 365 * kDay);
  auto entry = ledger_->GetEntry(ledger_->Head().sequence());
  ASSERT_TRUE(entry.ok());
  EXPECT_EQ(entry->tier_before(), "member");
  EXPECT_EQ(entry->tier_after(), "silver");
  clock_.Advance(kDay);
  ASSERT_TRUE(Buy(100000).ok());  // gold, with its perk
  EXPECT_EQ(Balance().tier(), "gold");
  EXPECT_EQ(Balance().tier_progress().next_tier(), "");
  ASSERT_EQ(Balance().tier_progress().perks_size(), 1);
  EXPECT_EQ(Balance().tier_progress().perks(0), "free delivery");
  ExpectAuditClean();
}

TEST_F(YearTest, TiersGoDownOnlyAtTheReviewAndAfterTheGracePeriod) {
  v1::RuleSet rules = BaseRules();
  AddTiers(rules);
  Open(rules);
  ASSERT_TRUE(Buy(60000).ok());  // silver on day 0, review on day 365
  ASSERT_EQ(Balance().tier(), "silver");
  clock_.Advance(kDay);
  ASSERT_TRUE(RefundOrder(1).ok());  // progress goes, the tier stays
  EXPECT_EQ(Balance().tier_progress().qualifying(), 0);
  EXPECT_EQ(Balance().tier(), "silver");
  clock_.Set(kStart + 365 * kDay - absl::Seconds(1));
  EXPECT_EQ(RunExpiry().members_changed(), 0);
  EXPECT_EQ(Stored().tier(), "silver");

  clock_.Set(kStart + 365 * kDay);  // the review: short, grace for 30 days
  v1::RunExpiryResponse review = RunExpiry();
  EXPECT_EQ(review.members_changed(), 1);
  EXPECT_EQ(review.tiers_lowered(), 0);
  EXPECT_EQ(Stored().tier(), "silver");
  EXPECT_TRUE(Stored().tier_in_grace());
  EXPECT_EQ(FromTimestamp(Stored().tier_review_time()), kStart + 395 * kDay);

  clock_.Set(kStart + 395 * kDay - absl::Seconds(1));
  EXPECT_EQ(RunExpiry().members_changed(), 0);
  EXPECT_EQ(Balance().tier(), "silver");
  clock_.Set(kStart + 395 * kDay);
  EXPECT_EQ(Balance().tier(), "member");  // reads see the review that is due
  v1::RunExpiryResponse lowered = RunExpiry();
  EXPECT_EQ(lowered.tiers_lowered(), 1);
  EXPECT_EQ(Stored().tier(), "member");
  EXPECT_FALSE(Stored().tier_in_grace());
  EXPECT_FALSE(Stored().has_tier_review_time());
  ExpectAuditClean();
}

TEST_F(YearTest, AMemberWhoStillQualifiesKeepsTheTierAtTheReview) {
  v1::RuleSet rules = BaseRules();
  AddTiers(rules);
  Open(rules);
  ASSERT_TRUE(Buy(60000).ok());  // silver on day 0
  clock_.Set(kStart + 200 * kDay);
  ASSERT_TRUE(Buy(55000).ok());  // still in the window at the review
  clock_.Set(kStart + 365 * kDay);
  v1::RunExpiryResponse review = RunExpiry();
  EXPECT_EQ(review.members_changed(), 1);
  EXPECT_EQ(Stored().tier(), "silver");
  EXPECT_FALSE(Stored().tier_in_grace());
  EXPECT_EQ(FromTimestamp(Stored().tier_review_time()), kStart + 730 * kDay);
  // The day-0 sale has left the window: only the day-200 one counts.
  EXPECT_EQ(Balance().tier_progress().qualifying(), 55000);
  ExpectAuditClean();
}

TEST_F(YearTest, RewardsAreBoughtWithPointsWhileStockLasts) {
  v1::RuleSet rules = BaseRules();
  v1::Reward* coffee = rules.add_rewards();
  coffee->set_id("coffee");
  coffee->set_description("A free coffee");
  coffee->set_points(250);
  coffee->set_stock(2);
  v1::Reward* later = rules.add_rewards();
  later->set_id("summer");
  later->set_points(10);
  *later->mutable_validity()->mutable_from_time() = ToTimestamp(kStart + 150 * kDay);
  Open(rules);
  Enroll("ben");
  ASSERT_TRUE(Buy(100000).ok());  // 1000 points

  auto first = Redeem("coffee");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->points(), 250);
  EXPECT_EQ(first->stock_left(), 1);
  EXPECT_EQ(first->balance().points_available(), 750);
  auto poor = Redeem("coffee", "ben");
  EXPECT_EQ(ErrorReason(poor.status()), "INSUFFICIENT_POINTS");
  EXPECT_EQ(ErrorField(poor.status()), "reward_id");
  ASSERT_TRUE(Redeem("coffee").ok());
  auto gone = Redeem("coffee");
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(gone.status()), "REWARD_OUT_OF_STOCK");
  EXPECT_EQ(ErrorReason(Redeem("tea").status()), "UNKNOWN_REWARD");
  EXPECT_EQ(ErrorReason(Redeem("summer").status()), "REWARD_NOT_VALID_NOW");
  EXPECT_EQ(Stored().points_available(), 500);
  EXPECT_EQ(Stored().rewards_redeemed(), 2);
  EXPECT_EQ(ProgramAccount(std::string(ledger::kProgramPointsRedeemed)), 500);
  auto entry = ledger_->GetEntry(ledger_->Head().sequence());
  ASSERT_TRUE(entry.ok());
  EXPECT_EQ(entry->kind(), v1::ENTRY_KIND_REWARD);
  EXPECT_EQ(entry->reward_id(), "coffee");
  ExpectAuditClean();
}

TEST_F(YearTest, TheBirthdayGiftComesOncePerYearInTheBirthdayMonth) {
  v1::RuleSet rules = BaseRules();
  rules.mutable_birthday()->set_points(500);
  rules.mutable_birthday()->set_when(v1::BIRTHDAY_WHEN_MONTH);
  Open(rules);  // ana was born on 15 March
  Enroll("cid");  // no birth date: never a gift
  clock_.Set(absl::FromCivil(absl::CivilSecond(2026, 2, 28, 23, 59, 59), absl::UTCTimeZone()));
  EXPECT_EQ(RunExpiry().birthday_points(), 0);
  clock_.Set(absl::FromCivil(absl::CivilDay(2026, 3, 1), absl::UTCTimeZone()));
  EXPECT_EQ(Balance().points_available(), 500);  // due, so reads count it
  v1::RunExpiryResponse gift = RunExpiry();
  EXPECT_EQ(gift.birthday_points(), 500);
  EXPECT_EQ(gift.members_changed(), 1);
  clock_.Set(absl::FromCivil(absl::CivilDay(2026, 3, 20), absl::UTCTimeZone()));
  EXPECT_EQ(RunExpiry().birthday_points(), 0);
  ASSERT_TRUE(Buy(1000).ok());  // a sale in the month gives nothing more
  EXPECT_EQ(Stored().points_available(), 510);
  clock_.Set(absl::FromCivil(absl::CivilDay(2027, 3, 2), absl::UTCTimeZone()));
  ASSERT_TRUE(Buy(1000).ok());  // next year the first write gives it
  EXPECT_EQ(Stored().points_available(), 1020);
  EXPECT_EQ(Stored().birthday_gift_year(), 2027);
  ExpectAuditClean();
}

TEST_F(YearTest, TheBirthdayWeekRunsMondayToSunday) {
  v1::RuleSet rules = BaseRules();
  rules.mutable_birthday()->set_points(300);
  rules.mutable_birthday()->set_when(v1::BIRTHDAY_WHEN_WEEK);
  Open(rules);  // 15 March 2026 is a Sunday: the week is 9 to 15 March
  clock_.Set(absl::FromCivil(absl::CivilDay(2026, 3, 8), absl::UTCTimeZone()));
  EXPECT_EQ(RunExpiry().birthday_points(), 0);
  clock_.Set(absl::FromCivil(absl::CivilDay(2026, 3, 9), absl::UTCTimeZone()));
  EXPECT_EQ(RunExpiry().birthday_points(), 300);
  ExpectAuditClean();
}

TEST_F(YearTest, TheRunStreamsOverManyMembersAndReportsProgress) {
  v1::RuleSet rules = BaseRules();
  rules.mutable_points()->set_lifetime_days(30);
  Open(rules);
  constexpr int kMembers = 2050;  // three pages: 1,000, 1,000 and 51
  for (int i = 0; i < kMembers; ++i) {
    Enroll(absl::StrCat("m", i));
    if (i % 2 == 0) {
      ASSERT_TRUE(Buy(1000, 0, absl::StrCat("m", i)).ok());
    }
  }
  clock_.Advance(31 * kDay);
  v1::RunExpiryResponse run = RunExpiry();
  EXPECT_EQ(run.members_scanned(), kMembers + 1);
  EXPECT_EQ(run.members_total(), kMembers + 1);
  EXPECT_EQ(run.members_changed(), kMembers / 2);
  EXPECT_EQ(run.points_expired(), 10 * kMembers / 2);
  ASSERT_EQ(progress_.size(), 4u);  // one per page, then the end
  EXPECT_EQ(progress_[0].members_scanned(), 1000);
  EXPECT_FALSE(progress_[2].done());
  EXPECT_TRUE(progress_.back().done());
  EXPECT_EQ(RunExpiry().members_changed(), 0);
  ExpectAuditClean();
}

}  // namespace
}  // namespace loyalty::program
