// Metrics from the counters kept beside the journal: a scripted scenario
// with every figure worked out by hand, and a random workload whose counters
// and distinct-member figures must equal a full scan of the journal.
#include "engine/analytics/metrics.h"

#include <map>
#include <memory>
#include <random>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "engine/analytics/activity.h"
#include "engine/analytics/counters.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"
#include "engine/program/operations.h"
#include "gtest/gtest.h"
#include "tests/support/await.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_rules.h"

namespace loyalty::analytics {
namespace {

using loyalty::testing::Await;

absl::Time Day(int year, int month, int day) {
  return absl::FromCivil(absl::CivilDay(year, month, day), absl::UTCTimeZone());
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger::LedgerOptions options;
    options.data_dir = dir_.Sub("ledger");
    options.clock = &clock_;
    ledger_ = *ledger::Ledger::Open(options);
    // 1 point per 1.00 EUR, a point pays 0.01 EUR, 50% of a basket.
    rules_ = testing::CompileRules(testing::RulesYaml(100, 50, 0));
    // Sales are back-dated up to a year (the longest horizon loyaltyd
    // allows), members enrolled before the first of them.
    program::TimeBounds bounds;
    bounds.max_backdate = program::kMaxBackdateHorizon;
    operations_ = std::make_unique<program::Operations>(ledger_.get(), rules_,
                                                        &clock_, bounds);
  }

  void Enroll(const std::string& id, std::vector<std::string> segments = {}) {
    v1::EnrollMemberRequest request;
    request.set_request_id("enroll-" + id);
    request.mutable_profile()->set_member_id(id);
    *request.mutable_enroll_time() = ToTimestamp(clock_.Now() - program::kMaxBackdateHorizon);
    for (auto& segment : segments) request.mutable_profile()->add_segments(segment);
    ASSERT_TRUE(Await<v1::EnrollMemberResponse>([&](auto reply) {
                  operations_->EnrollMember(request, std::move(reply));
                }).ok());
  }

  absl::StatusOr<v1::CommitPurchaseResponse> Buy(const std::string& member,
                                                 absl::Time when, int64_t price,
                                                 int64_t redeem = 0,
                                                 const std::string& store = "s1") {
    v1::CommitPurchaseRequest request;
    request.set_request_id(absl::StrCat("sale-", ++sales_));
    auto* purchase = request.mutable_purchase();
    purchase->set_member_id(member);
    purchase->set_order_id(request.request_id());
    purchase->set_store_id(store);
    purchase->set_currency("EUR");
    purchase->set_redeem_points(redeem);
    *purchase->mutable_purchase_time() = ToTimestamp(when);
    auto* line = purchase->add_lines();
    line->set_sku("x");
    line->set_quantity(1);
    line->set_unit_price_minor(price);
    return Await<v1::CommitPurchaseResponse>([&](auto reply) {
      operations_->CommitPurchase(request, std::move(reply));
    });
  }

  void Answer(v1::SurveyKind survey, int score, int times) {
    for (int i = 0; i < times; ++i) {
      v1::RecordFeedbackRequest request;
      request.set_request_id(absl::StrCat("feedback-", ++answers_));
      request.mutable_feedback()->set_survey(survey);
      request.mutable_feedback()->set_score(score);
      ASSERT_TRUE(Await<v1::RecordFeedbackResponse>([&](auto reply) {
                    operations_->RecordFeedback(request, std::move(reply));
                  }).ok());
    }
  }

  v1::GetProgramMetricsResponse Metrics(absl::Time from, absl::Time to,
                                        v1::MetricsGrouping grouping =
                                            v1::METRICS_GROUPING_UNSPECIFIED) {
    v1::GetProgramMetricsRequest request;
    *request.mutable_from_time() = ToTimestamp(from);
    *request.mutable_to_time() = ToTimestamp(to);
    request.set_grouping(grouping);
    auto metrics = ComputeMetrics(*ledger_, rules_->rule_set(), request, clock_.Now());
    EXPECT_TRUE(metrics.ok()) << metrics.status();
    return *metrics;
  }

  testing::TempDir dir_;
  ManualClock clock_{Day(2026, 4, 30)};
  std::unique_ptr<ledger::Ledger> ledger_;
  std::shared_ptr<const evaluator::CompiledRules> rules_;
  std::unique_ptr<program::Operations> operations_;
  int sales_ = 0;
  int answers_ = 0;
};

TEST_F(MetricsTest, AScriptedSpringMatchesFiguresWorkedOutByHand) {
  Enroll("ann", {"student"});
  Enroll("bob");
  // March: ann 100.00 EUR (100 points) and 20.00 (20), bob 50.00 (50).
  ASSERT_TRUE(Buy("ann", Day(2026, 3, 2), 10000).ok());
  ASSERT_TRUE(Buy("bob", Day(2026, 3, 9), 5000).ok());
  ASSERT_TRUE(Buy("ann", Day(2026, 3, 20), 2000).ok());
  // April: ann pays 0.60 EUR of a 10.00 basket with 60 March points and
  // earns 9 points on the 9.40 she pays.
  auto april = Buy("ann", Day(2026, 4, 5), 1000, 60);
  ASSERT_TRUE(april.ok()) << april.status();
  ASSERT_EQ(april->priced().points_earned(), 9);
  // 100 NPS answers: 85 promoters, 10 passives, 5 detractors -> NPS 80.
  Answer(v1::SURVEY_KIND_NPS, 10, 85);
  Answer(v1::SURVEY_KIND_NPS, 8, 10);
  Answer(v1::SURVEY_KIND_NPS, 3, 5);
  // CSAT 5, 4, 3, 1: two of four satisfied -> 50%. CES 2 and 3 -> 2.50.
  for (int score : {5, 4, 3, 1}) Answer(v1::SURVEY_KIND_CSAT, score, 1);
  for (int score : {2, 3}) Answer(v1::SURVEY_KIND_CES, score, 1);

  const auto metrics = Metrics(Day(2026, 3, 1), Day(2026, 5, 1));
  ASSERT_EQ(metrics.rows_size(), 1);
  const auto& all = metrics.rows(0);
  EXPECT_EQ(all.group(), "all");
  EXPECT_EQ(all.points_issued(), 100 + 50 + 20 + 9);
  EXPECT_EQ(all.points_redeemed(), 60);
  EXPECT_EQ(all.redemption_rate_bp(), 3351);  // 60 / 179 = 33.51%
  EXPECT_FALSE(all.redemption_warning());
  EXPECT_EQ(all.purchases(), 4);
  EXPECT_EQ(all.revenue_minor(), 10000 + 5000 + 2000 + 940);
  EXPECT_EQ(all.average_basket_minor(), 17940 / 4);
  // Distinct members over March and April: ann (three purchases) and bob.
  EXPECT_EQ(all.active_members(), 2);
  EXPECT_EQ(all.repeat_members(), 1);
  EXPECT_EQ(all.purchase_frequency_centi(), 4 * 100 / 2);
  ASSERT_EQ(metrics.cohorts_size(), 2);
  EXPECT_EQ(metrics.cohorts(0).issue_month(), "2026-03");
  EXPECT_EQ(metrics.cohorts(0).issued(), 170);
  EXPECT_EQ(metrics.cohorts(0).redeemed(), 60);  // burned oldest first
  EXPECT_EQ(metrics.cohorts(0).outstanding(), 110);
  EXPECT_EQ(metrics.cohorts(1).issue_month(), "2026-04");
  EXPECT_EQ(metrics.cohorts(1).issued(), 9);
  EXPECT_EQ(metrics.surveys().nps_answers(), 100);
  EXPECT_EQ(metrics.surveys().nps(), 80);
  EXPECT_EQ(metrics.surveys().csat_bp(), 5000);
  EXPECT_EQ(metrics.surveys().ces_mean_centi(), 250);
  EXPECT_EQ(metrics.outstanding_points(), 179 - 60);
  EXPECT_EQ(metrics.outstanding_liability_minor(), 119);  // 1 minor a point
  EXPECT_EQ(metrics.members(), 2);

  // March alone: no redemption yet, so the rate is 0% and flagged.
  const auto march = Metrics(Day(2026, 3, 1), Day(2026, 4, 1));
  EXPECT_EQ(march.rows(0).points_issued(), 170);
  EXPECT_TRUE(march.rows(0).redemption_warning());

  const auto by_segment =
      Metrics(Day(2026, 3, 1), Day(2026, 5, 1), v1::METRICS_GROUPING_SEGMENT);
  ASSERT_EQ(by_segment.rows_size(), 2);
  EXPECT_EQ(by_segment.rows(0).group(), "segment:-");  // bob
  EXPECT_EQ(by_segment.rows(0).points_issued(), 50);
  EXPECT_EQ(by_segment.rows(1).group(), "segment:student");  // ann
  EXPECT_EQ(by_segment.rows(1).points_issued(), 129);
  EXPECT_EQ(by_segment.rows(1).purchases(), 3);
}

TEST_F(MetricsTest, ChurnCountsLastYearsActiveMembersLostThisYear) {
  for (const char* id : {"a", "b", "c", "d"}) Enroll(id);
  // 2025: four active members; 2026: only a is back.
  for (const char* id : {"a", "b", "c", "d"}) {
    ASSERT_TRUE(Buy(id, Day(2025, 6, 1), 2000).ok());
  }
  ASSERT_TRUE(Buy("a", Day(2026, 2, 1), 3000).ok());
  ASSERT_TRUE(Buy("a", Day(2026, 3, 1), 1000).ok());
  const auto metrics = Metrics(Day(2026, 1, 1), Day(2026, 4, 1));
  EXPECT_EQ(metrics.churn_rate_bp(), 7500);  // 3 of 4 lost
  // CLV = t x c x f = (1 / 0.75) x 20.00 EUR x 2 purchases a year
  //     = 53.33 EUR (5333 minor, rounded down).
  EXPECT_EQ(metrics.clv_minor(), 5333);
}

// Per month: issued, redeemed, purchases, revenue, distinct members, members
// with two purchases or more; computed from the journal alone.
struct Scanned {
  int64_t issued = 0, redeemed = 0, purchases = 0, revenue = 0;
  std::map<std::string, int> purchases_by_member;
};

TEST_F(MetricsTest, CountersEqualAFullScanOfTheJournal) {
  std::mt19937_64 random(7);
  auto uniform = [&](int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(random);
  };
  for (int m = 0; m < 30; ++m) Enroll(absl::StrCat("m", m));
  for (int i = 0; i < 400; ++i) {
    const std::string member = absl::StrCat("m", uniform(0, 29));
    const absl::Time when = Day(2026, 1, 1) + absl::Hours(uniform(0, 24 * 110));
    auto balance = ledger_->GetMember(member);
    const int64_t redeem = uniform(0, 1) ? uniform(0, balance->points_available()) : 0;
    auto sale = Buy(member, when, uniform(100, 9000), redeem,
                    absl::StrCat("s", uniform(1, 3)));
    if (!sale.ok()) {
      EXPECT_EQ(sale.status().code(), absl::StatusCode::kFailedPrecondition);
    }
  }
  std::map<std::string, Scanned> by_month;  // key: month/group
  std::vector<v1::JournalEntry> journal;
  {
    auto reader = ledger_->NewEntryReader({});
    for (auto page = reader->Next(500); page.ok() && !page->empty();
         page = reader->Next(500)) {
      journal.insert(journal.end(), page->begin(), page->end());
    }
  }
  {
    for (const auto& entry : journal) {
      if (entry.kind() != v1::ENTRY_KIND_PURCHASE) continue;
      const std::string month = MonthOf(FromTimestamp(entry.effective_time()));
      for (const std::string& group : {std::string("all"), "store:" + entry.store_id()}) {
        Scanned& scanned = by_month[month + "/" + group];
        for (const auto& posting : entry.postings()) {
          if (posting.account() == "program/points/issued") scanned.issued -= posting.amount();
          if (posting.account() == "program/points/redeemed") scanned.redeemed += posting.amount();
        }
        ++scanned.purchases;
        scanned.revenue += entry.purchase().total_due_minor();
        if (group == "all") ++scanned.purchases_by_member[entry.member_id()];
      }
    }
  }
  auto counters = ledger_->ReadCounters("g/");
  ASSERT_TRUE(counters.ok());
  ASSERT_GE(by_month.size(), 8u);  // four months, all + three stores
  for (const auto& [key, scanned] : by_month) {
    auto it = counters->find("g/" + key);
    ASSERT_NE(it, counters->end()) << key;
    const auto& values = it->second;
    EXPECT_EQ(values[kPointsIssued], scanned.issued) << key;
    EXPECT_EQ(values[kPointsRedeemed], scanned.redeemed) << key;
    EXPECT_EQ(values[kPurchases], scanned.purchases) << key;
    EXPECT_EQ(values[kRevenueMinor], scanned.revenue) << key;
    if (absl::EndsWith(key, "/all")) {
      // Distinct members of the month, from the members' month records.
      int repeat = 0;
      for (const auto& [member, count] : scanned.purchases_by_member) repeat += count >= 2;
      absl::CivilMonth month;
      ASSERT_TRUE(absl::ParseCivilTime(key.substr(0, 7), &month)) << key;
      const auto metrics =
          Metrics(absl::FromCivil(month, absl::UTCTimeZone()),
                  absl::FromCivil(month + 1, absl::UTCTimeZone()));
      ASSERT_EQ(metrics.rows_size(), 1) << key;
      EXPECT_EQ(metrics.rows(0).active_members(),
                static_cast<int64_t>(scanned.purchases_by_member.size())) << key;
      EXPECT_EQ(metrics.rows(0).repeat_members(), repeat) << key;
    }
  }
  // And over the whole period: each member once.
  std::map<std::string, int> whole;
  for (const auto& [key, scanned] : by_month) {
    for (const auto& [member, count] : scanned.purchases_by_member) whole[member] += count;
  }
  int whole_repeat = 0;
  for (const auto& [member, count] : whole) whole_repeat += count >= 2;
  const auto period = Metrics(Day(2026, 1, 1), Day(2026, 5, 1));
  EXPECT_EQ(period.rows(0).active_members(), static_cast<int64_t>(whole.size()));
  EXPECT_EQ(period.rows(0).repeat_members(), whole_repeat);
  // Counters survive a restart as they were written.
  operations_.reset();
  ledger_.reset();
  ledger::LedgerOptions options;
  options.data_dir = dir_.Sub("ledger");
  ledger_ = *ledger::Ledger::Open(options);
  auto reread = ledger_->ReadCounters("g/");
  ASSERT_TRUE(reread.ok());
  EXPECT_EQ(*reread, *counters);
}

// A ledger written before members' month records existed: its members
// remember their months of purchases, and the migration at start makes
// those months count, once, over any range.
TEST_F(MetricsTest, ALedgerFromBeforeMonthRecordsIsMigratedOnce) {
  // "old" bought twice in March and once in April, before the upgrade: only
  // its member record knows (as the earlier version wrote it).
  absl::Notification added;
  ledger_->Submit(
      ledger::Operation{"old-member", "old-member",
                        [](ledger::Transaction& t) -> absl::StatusOr<std::string> {
                          v1::MemberRecord record;
                          record.mutable_profile()->set_member_id("old");
                          for (const auto& [month, purchases] :
                               {std::pair<const char*, int>{"2026-03", 2}, {"2026-04", 1}}) {
                            v1::MonthActivity* activity = record.add_activity();
                            activity->set_month(month);
                            activity->set_purchases(purchases);
                          }
                          RETURN_IF_ERROR(t.AddMember(std::move(record)));
                          return std::string();
                        }},
      [&](ledger::Outcome outcome) {
        EXPECT_TRUE(outcome.status.ok()) << outcome.status;
        added.Notify();
      });
  added.WaitForNotification();
  // "new" buys in April after the upgrade.
  Enroll("new");
  ASSERT_TRUE(Buy("new", Day(2026, 4, 2), 1000).ok());
  EXPECT_EQ(Metrics(Day(2026, 3, 1), Day(2026, 5, 1)).rows(0).active_members(), 1);

  ASSERT_TRUE(MigrateMemberMonths(*ledger_).ok());
  ASSERT_TRUE(MigrateMemberMonths(*ledger_).ok());  // the second does nothing
  const auto spring = Metrics(Day(2026, 3, 1), Day(2026, 5, 1)).rows(0);
  EXPECT_EQ(spring.active_members(), 2);  // old and new, once each
  EXPECT_EQ(spring.repeat_members(), 1);  // old: three purchases
  const auto april = Metrics(Day(2026, 4, 1), Day(2026, 5, 1)).rows(0);
  EXPECT_EQ(april.active_members(), 2);
  EXPECT_EQ(april.repeat_members(), 0);
  // A sale after the migration adds to the migrated month, not over it.
  ASSERT_TRUE(Buy("old", Day(2026, 4, 20), 1000).ok());
  EXPECT_EQ(Metrics(Day(2026, 4, 1), Day(2026, 5, 1)).rows(0).repeat_members(), 1);
}

}  // namespace
}  // namespace loyalty::analytics
