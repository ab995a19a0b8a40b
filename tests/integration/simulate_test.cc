// Program.SimulateRules on a live server: the replay of a history under the
// rule set that recorded it reproduces every recorded figure; hand-worked
// candidates (a doubled weekend rate, a budget that runs out, a tier
// threshold moved); a bad candidate; cancellation; nothing written.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "engine/base/clock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/support/served_ledger.h"
#include "tests/support/simulate_client.h"

namespace loyalty {
namespace {

using google::protobuf::util::MessageDifferencer;

absl::Time At(int month, int day, int hour = 10) {
  return absl::FromCivil(absl::CivilHour(2026, month, day, hour),
                         absl::UTCTimeZone());
}

// Points expire after 60 days; spend over 700.00 EUR in a year makes a
// member silver (x1.5 points); weekends double points up to 50 a member a
// day; a spring bonus of 20 points a sale until its 400 points are given;
// a mug costs 30 points; 1% cashback.
constexpr char kHistoryRules[] =
    R"(program: {id: sim, currency: EUR, point_value_minor: 1}
earn: {points: 1, per_minor: 100, rounding: down, cashback_basis_points: 100}
burn: {max_basket_share_percent: 50, earned_points_pay_same_order: false}
points: {lifetime_days: 60}
tiers:
  measure: spend
  window: rolling
  window_days: 365
  levels:
    - {id: member, name: Member, threshold: 0}
    - id: silver
      name: Silver
      threshold: 700.00
      benefits: {earn_multiplier_percent: 150}
rules:
  - id: weekend-double
    description: Weekend double points
    valid: {weekdays: [sat, sun]}
    multiply_points: {percent: 200}
    caps: {per_member_per_day: 50}
  - id: spring-bonus
    description: Spring bonus
    bonus_points: {points: 20}
    caps: {budget: 400}
rewards:
  - {id: mug, description: A mug, points: 30}
)";

// 1 point per 1.00 EUR, nothing else.
constexpr char kPlainRules[] =
    R"(program: {id: plain, currency: EUR, point_value_minor: 1}
earn: {points: 1, per_minor: 100, rounding: down}
burn: {max_basket_share_percent: 50, earned_points_pay_same_order: false}
)";

// The figures of rule `id` (all zero when it never applied).
v1::RuleFigures RuleOf(const v1::SimulationFigures& figures,
                       const std::string& id) {
  for (const v1::RuleFigures& rule : figures.rules()) {
    if (rule.rule_id() == id) return rule;
  }
  return v1::RuleFigures();
}

std::string WithRules(const std::string& base, const std::string& rules) {
  return base + "rules:\n" + rules;
}

std::string TierRules(const std::string& threshold) {
  return absl::StrCat(
      kPlainRules,
      "tiers:\n  measure: spend\n  window: rolling\n  window_days: 365\n"
      "  levels:\n    - {id: member, name: Member, threshold: 0}\n"
      "    - {id: silver, name: Silver, threshold: ",
      threshold, "}\n");
}

class SimulateTest : public ::testing::Test {
 protected:
  void Start(const std::string& yaml) {
    ASSERT_NO_FATAL_FAILURE(served_.Start([&] {
      server::ServerOptions options = testing::ServedOptions(yaml);
      options.clock = &clock_;
      return options;
    }()));
  }

  void Enroll(const std::string& id, const std::string& segment = "") {
    grpc::ClientContext context;
    v1::EnrollMemberRequest request;
    request.set_request_id("enroll-" + id);
    request.mutable_profile()->set_member_id(id);
    if (!segment.empty()) request.mutable_profile()->add_segments(segment);
    v1::EnrollMemberResponse response;
    ASSERT_TRUE(
        served_.members().EnrollMember(&context, request, &response).ok());
    members_.push_back(id);
  }

  // A sale of two lines: 2 x `unit_minor` and 1 x 500, paying `redeem`
  // points; the clock is set to `when` first.
  grpc::Status Sale(const std::string& member, const std::string& order,
                    absl::Time when, int64_t unit_minor, int64_t redeem = 0) {
    clock_.Set(when);
    grpc::ClientContext context;
    v1::CommitPurchaseRequest request;
    request.set_request_id("sale-" + order);
    auto* purchase = request.mutable_purchase();
    purchase->set_member_id(member);
    purchase->set_order_id(order);
    purchase->set_currency("EUR");
    purchase->set_redeem_points(redeem);
    for (const auto& [sku, quantity, price] :
         {std::tuple<const char*, int, int64_t>{"shirt", 2, unit_minor},
          {"socks", 1, 500}}) {
      auto* line = purchase->add_lines();
      line->set_sku(sku);
      line->set_quantity(quantity);
      line->set_unit_price_minor(price);
    }
    v1::CommitPurchaseResponse response;
    return served_.checkout().CommitPurchase(&context, request, &response);
  }

  // Refunds one shirt of `order` (or the whole order when `whole`).
  void Refund(const std::string& member, const std::string& order, bool whole) {
    grpc::ClientContext context;
    v1::RefundPurchaseRequest request;
    request.set_request_id(
        absl::StrCat("refund-", order, whole ? "-all" : "-1"));
    request.set_member_id(member);
    request.set_order_id(order);
    if (!whole) {
      auto* line = request.add_lines();
      line->set_line_index(0);
      line->set_quantity(1);
    }
    v1::RefundPurchaseResponse response;
    EXPECT_TRUE(
        served_.checkout().RefundPurchase(&context, request, &response).ok());
  }

  void Redeem(const std::string& member, const std::string& id) {
    grpc::ClientContext context;
    v1::RedeemRewardRequest request;
    request.set_request_id("redeem-" + id);
    request.set_member_id(member);
    request.set_reward_id("mug");
    v1::RedeemRewardResponse response;
    served_.checkout().RedeemReward(&context, request,
                                    &response);  // may lack points
  }

  void Goodwill(const std::string& member, const std::string& id) {
    grpc::ClientContext context;
    v1::AdjustBalanceRequest request;
    request.set_request_id("goodwill-" + id);
    request.set_member_id(member);
    request.set_points(15);
    request.set_reason_code("GOODWILL");
    v1::AdjustBalanceResponse response;
    EXPECT_TRUE(
        served_.program().AdjustBalance(&context, request, &response).ok());
  }

  void Maintenance(const std::string& id) {
    grpc::ClientContext context;
    v1::RunExpiryRequest request;
    request.set_request_id("run-" + id);
    auto reader = served_.program().RunExpiry(&context, request);
    v1::RunExpiryResponse response;
    while (reader->Read(&response)) {
    }
    EXPECT_TRUE(reader->Finish().ok());
  }

  // Four months of sales, one a day across six members, with redemptions,
  // partial and full refunds, rewards, goodwill and maintenance runs.
  void MakeHistory() {
    for (const char* id : {"ann", "bob", "cy", "dee", "eve", "fay"}) Enroll(id);
    for (int d = 0; d < 110; ++d) {
      const absl::Time day = At(1, 5) + absl::Hours(24 * d);
      const std::string member = members_[d % 6];
      const std::string order = absl::StrCat("o", d);
      const int64_t redeem = d % 4 == 3 ? 20 : 0;
      Sale(member, order, day, 500 + (d * 737) % 3000, redeem).ok();
      clock_.Set(day + absl::Hours(2));
      if (d % 9 == 4) Refund(member, order, false);
      if (d % 9 == 5) Refund(member, order, false);
      if (d % 13 == 6) Refund(member, order, true);
      if (d % 17 == 8) Redeem(member, order);
      if (d % 25 == 12) Goodwill(member, order);
      if (d % 30 == 29) Maintenance(order);
    }
  }

  std::map<std::string, std::string> Balances() {
    std::map<std::string, std::string> balances;
    for (const std::string& member : members_) {
      grpc::ClientContext context;
      v1::GetBalanceRequest request;
      request.set_member_id(member);
      v1::GetBalanceResponse response;
      EXPECT_TRUE(
          served_.members().GetBalance(&context, request, &response).ok());
      balances[member] = response.DebugString();
    }
    return balances;
  }

  testing::Simulated Simulate(const std::string& yaml, absl::Time from,
                              absl::Time to) {
    return testing::Simulate(served_.program(),
                             testing::SimulationOf(yaml, from, to));
  }

  ManualClock clock_{At(1, 5, 9)};
  testing::ServedLedger served_;  // after the clock it uses
  std::vector<std::string> members_;
};

TEST_F(SimulateTest, TheRecordedRulesReproduceEveryRecordedFigure) {
  ASSERT_NO_FATAL_FAILURE(Start(kHistoryRules));
  ASSERT_NO_FATAL_FAILURE(MakeHistory());
  const v1::ChainHead head = served_.server().ledger().Head();
  const auto balances = Balances();
  const testing::Simulated simulated =
      Simulate(kHistoryRules, At(1, 20), At(5, 1));
  ASSERT_TRUE(simulated.status.ok()) << simulated.status.error_message();
  ASSERT_TRUE(simulated.last.done());
  const v1::SimulationReport& report = simulated.last.report();
  const v1::SimulationFigures& recorded = report.recorded();
  // The history has every kind of figure the comparison shows ...
  EXPECT_GT(recorded.sales(), 70);
  EXPECT_GT(recorded.refunds(), 10);
  EXPECT_GT(recorded.points_burned(), 0);
  EXPECT_GT(recorded.points_expired(), 0);
  EXPECT_GT(recorded.cashback_issued_minor(), 0);
  EXPECT_GT(recorded.redemption_rate_bp(), 0);
  ASSERT_EQ(recorded.budgets_size(), 1);
  // Spent by sales; refunds give some back, so sales may spend past 400.
  EXPECT_GT(recorded.budgets(0).spent_before(), 0);
  EXPECT_GE(recorded.budgets(0).spent_before() + recorded.budgets(0).spent(),
            400);
  EXPECT_FALSE(recorded.budgets(0).run_out_date().empty());
  ASSERT_EQ(recorded.tiers_size(), 2);
  EXPECT_EQ(recorded.tiers(1).tier(), "silver");
  EXPECT_GT(recorded.liability_points(), 0);
  // ... and the replay gives each of them again, to the point and the cent.
  EXPECT_TRUE(MessageDifferencer::Equals(recorded, report.candidate()))
      << "recorded:\n"
      << recorded.DebugString() << "candidate:\n"
      << report.candidate().DebugString();
  EXPECT_EQ(report.history_mismatches(), 0);
  EXPECT_EQ(report.sales_priced_differently(), 0);
  EXPECT_EQ(report.members_tier_differs(), 0);
  EXPECT_EQ(report.largest_differences_size(), 0);
  // Nothing was written.
  EXPECT_TRUE(
      MessageDifferencer::Equals(head, served_.server().ledger().Head()));
  EXPECT_EQ(balances, Balances());
  auto audit = served_.server().ledger().Audit();
  ASSERT_TRUE(audit.ok());
  EXPECT_TRUE(audit->ok()) << audit->problem;
}

TEST_F(SimulateTest, TheLiabilityAtTheEndIsWhatMembersHold) {
  ASSERT_NO_FATAL_FAILURE(Start(kHistoryRules));
  ASSERT_NO_FATAL_FAILURE(MakeHistory());
  clock_.Set(At(4, 30));
  Maintenance("last");  // every expiry due is written: balances are records
  int64_t points = 0;
  for (const std::string& member : members_) {
    auto record = served_.server().ledger().GetMember(member);
    ASSERT_TRUE(record.ok());
    points += record->points_available() + record->points_pending();
  }
  const testing::Simulated simulated =
      Simulate(kHistoryRules, At(3, 1), At(5, 1));
  ASSERT_TRUE(simulated.status.ok()) << simulated.status.error_message();
  EXPECT_EQ(simulated.last.report().recorded().liability_points(), points);
  EXPECT_EQ(simulated.last.report().candidate().liability_points(), points);
}

// Saturday 7 March ann buys for 40.00 EUR (2 x 17.50 + 5.00), Sunday bob
// for 10.00 (2 x 2.50 + 5.00), Monday ann for 25.00 (2 x 10.00 + 5.00).
class HandWorkedTest : public SimulateTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(Start(kPlainRules));
    Enroll("ann");
    Enroll("bob");
    ASSERT_TRUE(Sale("ann", "sat", At(3, 7), 1750).ok());
    ASSERT_TRUE(Sale("bob", "sun", At(3, 8), 250).ok());
    ASSERT_TRUE(Sale("ann", "mon", At(3, 9), 1000).ok());
  }
};

TEST_F(HandWorkedTest, ADoubledWeekendRate) {
  const std::string candidate = WithRules(kPlainRules, R"(  - id: weekend-double
    description: Weekend double points
    valid: {weekdays: [sat, sun]}
    multiply_points: {percent: 200}
)");
  const testing::Simulated simulated = Simulate(candidate, At(3, 1), At(4, 1));
  ASSERT_TRUE(simulated.status.ok()) << simulated.status.error_message();
  const v1::SimulationReport& report = simulated.last.report();
  EXPECT_EQ(report.recorded().points_issued(), 40 + 10 + 25);
  EXPECT_EQ(report.candidate().points_issued(), 80 + 20 + 25);
  EXPECT_EQ(report.candidate().points_issued_value_minor(), 125);
  EXPECT_EQ(report.recorded().liability_points(), 75);
  EXPECT_EQ(report.candidate().liability_points(), 125);
  const v1::RuleFigures weekend = RuleOf(report.candidate(), "weekend-double");
  EXPECT_EQ(weekend.hits(), 2);
  EXPECT_EQ(weekend.points(), 40 + 10);
  EXPECT_EQ(RuleOf(report.candidate(), "base-earn").points(), 75);
  EXPECT_EQ(RuleOf(report.recorded(), "weekend-double").hits(), 0);
  EXPECT_EQ(report.sales_priced_differently(), 2);
  ASSERT_EQ(report.largest_differences_size(), 2);
  const v1::SaleDifference& first = report.largest_differences(0);
  EXPECT_EQ(first.order_id(), "sat");
  EXPECT_EQ(first.member_id(), "ann");
  EXPECT_EQ(first.difference_minor(), 40);
  EXPECT_EQ(first.recorded().points_earned(), 40);
  EXPECT_EQ(first.candidate().points_earned(), 80);
  ASSERT_EQ(first.candidate().applied_size(),
            first.recorded().applied_size() + 1);
  EXPECT_NE(first.candidate().applied(1).explanation().find("Weekend double"),
            std::string::npos)
      << first.candidate().DebugString();
  EXPECT_EQ(report.largest_differences(1).order_id(), "sun");
  EXPECT_EQ(report.largest_differences(1).difference_minor(), 10);
}

// The period is [from, to): the sale made at exactly `from` (Sunday 10:00)
// is replayed, the one made at exactly `to` (Monday 10:00) is not, nor the
// one before `from`, whose points still count in the liability at `to`.
TEST_F(HandWorkedTest, ThePeriodTakesItsFirstInstantAndNotItsLast) {
  const std::string candidate = WithRules(kPlainRules, R"(  - id: weekend-double
    description: Weekend double points
    valid: {weekdays: [sat, sun]}
    multiply_points: {percent: 200}
)");
  const testing::Simulated simulated = Simulate(candidate, At(3, 8), At(3, 9));
  ASSERT_TRUE(simulated.status.ok()) << simulated.status.error_message();
  const v1::SimulationReport& report = simulated.last.report();
  EXPECT_EQ(report.recorded().sales(), 1);
  EXPECT_EQ(report.candidate().sales(), 1);
  EXPECT_EQ(report.recorded().points_issued(), 10);
  EXPECT_EQ(report.candidate().points_issued(), 20);
  EXPECT_EQ(report.recorded().liability_points(), 40 + 10);
  EXPECT_EQ(report.candidate().liability_points(), 40 + 20);
  EXPECT_EQ(report.sales_priced_differently(), 1);
  ASSERT_EQ(report.largest_differences_size(), 1);
  EXPECT_EQ(report.largest_differences(0).order_id(), "sun");
}

TEST_F(HandWorkedTest, ABudgetThatRunsOutMidPeriod) {
  // 30 points a sale from a budget of 70: 30 on Saturday, 30 on Sunday, the
  // last 10 on Monday, when it runs out.
  const std::string candidate = WithRules(kPlainRules, R"(  - id: march-bonus
    description: March bonus
    bonus_points: {points: 30}
    caps: {budget: 70}
)");
  const testing::Simulated simulated = Simulate(candidate, At(3, 1), At(4, 1));
  ASSERT_TRUE(simulated.status.ok()) << simulated.status.error_message();
  const v1::SimulationReport& report = simulated.last.report();
  EXPECT_EQ(report.recorded().budgets_size(), 0);
  ASSERT_EQ(report.candidate().budgets_size(), 1);
  const v1::BudgetFigures& budget = report.candidate().budgets(0);
  EXPECT_EQ(budget.rule_id(), "march-bonus");
  EXPECT_EQ(budget.budget(), 70);
  EXPECT_EQ(budget.spent_before(), 0);
  EXPECT_EQ(budget.spent(), 70);
  EXPECT_EQ(budget.run_out_date(), "2026-03-09");
  EXPECT_EQ(report.candidate().points_issued(), 75 + 70);
  EXPECT_EQ(RuleOf(report.candidate(), "march-bonus").hits(), 3);
  EXPECT_EQ(RuleOf(report.candidate(), "march-bonus").capped(), 1);
  EXPECT_EQ(report.largest_differences(2).order_id(), "mon");
  EXPECT_EQ(report.largest_differences(2).difference_minor(), 10);
}

// ann buys (40.00 EUR), thirty other members buy after her (10.00 EUR
// each), ann pays 30 points of a second sale, the thirty buy again, and ann
// buys a third time: the replay carries ann's state past the others.
class CarriedStateTest : public SimulateTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(Start(kPlainRules));
    Enroll("ann");
    for (int i = 0; i < 30; ++i) Enroll(absl::StrCat("m", i));
    ASSERT_TRUE(Sale("ann", "a1", At(3, 2), 1750).ok());
    OthersBuy(3, "x");
    ASSERT_TRUE(Sale("ann", "a2", At(3, 4), 1750, 30).ok());
    OthersBuy(5, "y");
    ASSERT_TRUE(Sale("ann", "a3", At(3, 6), 1750).ok());
  }

  void OthersBuy(int day, const std::string& order) {
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE(Sale(absl::StrCat("m", i), absl::StrCat(order, i),
                       At(3, day) + absl::Minutes(i), 250)
                      .ok());
    }
  }
};

TEST_F(CarriedStateTest, AMemberSeenAgainAfterManyOthersReplaysAsRecorded) {
  const testing::Simulated simulated =
      Simulate(kPlainRules, At(3, 1), At(4, 1));
  ASSERT_TRUE(simulated.status.ok()) << simulated.status.error_message();
  const v1::SimulationReport& report = simulated.last.report();
  EXPECT_EQ(report.recorded().sales(), 63);
  EXPECT_EQ(report.recorded().points_burned(), 30);
  EXPECT_TRUE(MessageDifferencer::Equals(report.recorded(), report.candidate()))
      << "recorded:\n"
      << report.recorded().DebugString() << "candidate:\n"
      << report.candidate().DebugString();
  EXPECT_EQ(report.history_mismatches(), 0);
  EXPECT_EQ(report.sales_priced_differently(), 0);
}

// A point per 10.00 EUR: ann holds 4 points when she would pay 30, so that
// sale is refused, and her third sale starts from her 4 points, as before
// the refused one. Everyone else holds a point a sale.
TEST_F(CarriedStateTest, ASaleRefusedUnderTheCandidateLeavesTheMemberAsItWas) {
  std::string candidate = kPlainRules;
  candidate.replace(candidate.find("per_minor: 100"), 14, "per_minor: 1000");
  const testing::Simulated simulated = Simulate(candidate, At(3, 1), At(4, 1));
  ASSERT_TRUE(simulated.status.ok()) << simulated.status.error_message();
  const v1::SimulationReport& report = simulated.last.report();
  EXPECT_EQ(report.candidate().operations_refused(), 1);
  EXPECT_EQ(report.candidate().sales(), 62);
  EXPECT_EQ(report.candidate().points_burned(), 0);
  EXPECT_EQ(report.candidate().points_issued(), 4 + 4 + 60);
  EXPECT_EQ(report.candidate().liability_points(), 4 + 4 + 60);
}

TEST_F(SimulateTest, ATierThresholdChangeMovesNamedMembers) {
  // ann spends 350.00, bob 250.00, cy 150.00 (each in one sale).
  ASSERT_NO_FATAL_FAILURE(Start(TierRules("300.00")));
  for (const char* id : {"ann", "bob", "cy"}) Enroll(id);
  ASSERT_TRUE(Sale("ann", "a1", At(3, 2), 17250).ok());
  ASSERT_TRUE(Sale("bob", "b1", At(3, 3), 12250).ok());
  ASSERT_TRUE(Sale("cy", "c1", At(3, 4), 7250).ok());
  const auto moves = [&](const std::string& threshold) {
    const testing::Simulated simulated =
        Simulate(TierRules(threshold), At(3, 1), At(4, 1));
    EXPECT_TRUE(simulated.status.ok()) << simulated.status.error_message();
    std::vector<std::string> moved;
    for (const auto& move : simulated.last.report().tier_moves()) {
      moved.push_back(absl::StrCat(move.member_id(), ":", move.tier_recorded(),
                                   "->", move.tier_candidate()));
    }
    return moved;
  };
  EXPECT_EQ(moves("300.00"), std::vector<std::string>{});
  EXPECT_EQ(moves("200.00"), std::vector<std::string>{"bob:member->silver"});
  EXPECT_EQ(moves("100.00"), (std::vector<std::string>{"bob:member->silver",
                                                       "cy:member->silver"}));
  EXPECT_EQ(moves("400.00"), std::vector<std::string>{"ann:silver->member"});
}

TEST_F(SimulateTest, ASampleReplaysEveryNthMemberOrASegment) {
  ASSERT_NO_FATAL_FAILURE(Start(kPlainRules));
  Enroll("a");
  Enroll("b");
  Enroll("c", "students");
  Enroll("d", "students");
  int day = 2;
  for (const std::string& member : members_) {
    ASSERT_TRUE(Sale(member, "o-" + member, At(3, day++), 1000).ok());
  }
  const auto sampled = [&](int64_t every, const std::string& segment) {
    v1::SimulateRulesRequest request =
        testing::SimulationOf(kPlainRules, At(3, 1), At(4, 1));
    request.set_sample_every(every);
    request.set_sample_segment(segment);
    const testing::Simulated simulated =
        testing::Simulate(served_.program(), request);
    EXPECT_TRUE(simulated.status.ok()) << simulated.status.error_message();
    const v1::SimulationReport& report = simulated.last.report();
    EXPECT_TRUE(
        MessageDifferencer::Equals(report.recorded(), report.candidate()));
    return std::pair<int64_t, int64_t>{report.members_in_sample(),
                                       report.recorded().sales()};
  };
  EXPECT_EQ(sampled(0, ""), (std::pair<int64_t, int64_t>{4, 4}));
  EXPECT_EQ(sampled(2, ""), (std::pair<int64_t, int64_t>{2, 2}));  // b and d
  EXPECT_EQ(sampled(0, "students"), (std::pair<int64_t, int64_t>{2, 2}));
  EXPECT_EQ(sampled(2, "students"), (std::pair<int64_t, int64_t>{1, 1}));  // d
}

TEST_F(SimulateTest, ACandidateWithAnErrorIsRefusedWithFileAndLine) {
  ASSERT_NO_FATAL_FAILURE(Start(kPlainRules));
  const std::string bad = std::string(kPlainRules) +
                          "rules:\n  - id: x\n    bonus_points: {points: -5}\n";
  const testing::Simulated simulated = Simulate(bad, At(1, 1), At(2, 1));
  EXPECT_EQ(simulated.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(testing::DetailOf(simulated.status).reason(), "INVALID_RULES");
  EXPECT_NE(simulated.status.error_message().find("candidate.yaml:5:"),
            std::string::npos)
      << simulated.status.error_message();
  const testing::Simulated backwards =
      Simulate(kPlainRules, At(2, 1), At(1, 1));
  EXPECT_EQ(backwards.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(testing::DetailOf(backwards.status).field(), "to_time");
}

TEST_F(SimulateTest, ACancelledSimulationStopsAndFreesItsPlace) {
  ASSERT_NO_FATAL_FAILURE(Start(kHistoryRules));
  ASSERT_NO_FATAL_FAILURE(MakeHistory());
  // The program's own call, stopped before its first page.
  std::atomic<bool> stop{true};
  auto cancelled = served_.server().operations().SimulateRules(
      testing::SimulationOf(kHistoryRules, At(2, 1), At(5, 1)), "",
      [](const v1::SimulateRulesResponse&) {}, &stop);
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kCancelled);
  // Over gRPC: a call the client cancels ends CANCELLED, and the next
  // simulation gets its turn (the server frees the place as it stops).
  {
    grpc::ClientContext context;
    auto reader = served_.program().SimulateRules(
        &context, testing::SimulationOf(kHistoryRules, At(2, 1), At(5, 1)));
    context.TryCancel();
    v1::SimulateRulesResponse message;
    while (reader->Read(&message)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  testing::Simulated next;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    next = Simulate(kHistoryRules, At(2, 1), At(5, 1));
    if (testing::DetailOf(next.status).reason() != "SIMULATION_RUNNING") break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(next.status.ok()) << next.status.error_message();
}

}  // namespace
}  // namespace loyalty
