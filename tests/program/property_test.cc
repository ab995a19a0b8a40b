// Property test: thousands of random enroll, commit, refund and adjustment
// operations (good, refused, retried and reused request ids, back-dated
// sales, points and cashback burned, partial and full refunds, referrals,
// purchases at coalition partners, some of them suspended at times)
// against the real ledger on RocksDB. After every step the whole ledger
// is audited: postings sum to zero per asset, the hash chain holds, every
// stored balance equals the replay of the journal, and partner-funded
// lots match their funding postings; every 50 steps the settlement
// reconciles to the accounts. A model of each member's points checks the
// answers themselves. A second run adds the member's year: pending
// points, expiry, tiers, rewards, birthday gifts and maintenance runs,
// with the clock moving hours at a step.
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/base/error.h"
#include "engine/base/time_util.h"
#include "engine/ledger/ledger.h"
#include "engine/ledger/accounts.h"
#include "engine/program/operations.h"
#include "engine/program/refund.h"
#include "gtest/gtest.h"
#include "tests/support/await.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_rules.h"

namespace loyalty::program {
namespace {

using loyalty::testing::Await;

// What a request answered the first time: code and response bytes.
struct Answer {
  absl::StatusCode code;
  std::string response;
};

class PropertyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger::LedgerOptions options;
    options.data_dir = dir_.Sub("ledger");
    options.clock = &clock_;
    auto opened = ledger::Ledger::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    ledger_ = *std::move(opened);
    // 1 point per 1.00 EUR, points and cashback may pay 60% of a basket,
    // 2.5% cashback into the wallet; referrals for purchases of 15.00 EUR
    // or more, at most 3 per referrer per month.
    operations_ = std::make_unique<Operations>(
        ledger_.get(),
        testing::CompileRules(testing::RulesYaml(100, 60, 250) +
                              "referral:\n  referrer_points: 50\n  newcomer_points: 20\n"
                              "  referrer_cashback_minor: 30\n  min_purchase_minor: 1500\n"
                              "  max_per_referrer_per_month: 3\n"),
        &clock_);
    for (const auto& [id, share] : kPartners) Partner(id, share, true);
  }

  // Coalition partners: all-funded, half-funded, program-funded.
  static constexpr std::pair<const char*, int64_t> kPartners[] = {
      {"p-all", 10000}, {"p-half", 5000}, {"p-none", 0}};

  void Partner(const std::string& id, int64_t share, bool active) {
    v1::UpsertPartnerRequest request;
    request.set_request_id(absl::StrCat("req-", next_request_++));
    request.set_partner_id(id);
    request.set_funded_share_bp(share);
    request.set_status(active ? v1::PARTNER_STATUS_ACTIVE : v1::PARTNER_STATUS_SUSPENDED);
    auto result = Await<v1::UpsertPartnerResponse>(
        [&](auto reply) { operations_->UpsertPartner(request, std::move(reply)); });
    ASSERT_TRUE(result.ok()) << result.status();
  }

  // The stored order record (for whether a refund reversed its referral).
  v1::OrderRecord Order(const v1::Purchase& purchase) {
    auto stored = ledger_->ReadAux(OrderKey(purchase.partner_id(), purchase.order_id()));
    v1::OrderRecord order;
    if (stored.ok() && !stored->empty()) order.ParseFromString(stored->front().second);
    return order;
  }

  // The member's year on top of the same earning: points pending 3 days and
  // living 40, spend tiers over a rolling 30 days, a catalogue, a birthday
  // gift. The exact points model is off (time moves points on its own); the
  // audit, and the checks of every maintenance run, stay.
  void UseYearRules() {
    auto rule_set = evaluator::ParseRuleFile("year.yaml", testing::RulesYaml(100, 60, 250));
    ASSERT_TRUE(rule_set.ok()) << rule_set.status();
    rule_set->mutable_points()->set_pending_days(3);
    rule_set->mutable_points()->set_lifetime_days(40);
    // Referrals as in the first run: pending and expiring rewards too.
    v1::ReferralSettings* referral = rule_set->mutable_referral();
    referral->set_referrer_points(50);
    referral->set_newcomer_points(20);
    referral->set_referrer_cashback_minor(30);
    referral->set_min_purchase_minor(1500);
    referral->set_max_per_referrer_per_month(3);
    v1::TierSettings* tiers = rule_set->mutable_tiers();
    tiers->set_measure(v1::TIER_MEASURE_SPEND);
    tiers->set_window(v1::TIER_WINDOW_ROLLING);
    tiers->set_window_days(30);
    tiers->set_grace_days(5);
    for (const auto& [id, threshold] :
         {std::pair<const char*, int64_t>{"base", 0}, {"silver", 20000}, {"gold", 60000}}) {
      v1::Tier* level = tiers->add_levels();
      level->set_id(id);
      level->set_threshold(threshold);
    }
    for (const auto& [id, points] : {std::pair<const char*, int64_t>{"mug", 100}, {"pen", 40}}) {
      v1::Reward* reward = rule_set->add_rewards();
      reward->set_id(id);
      reward->set_points(points);
    }
    rule_set->mutable_rewards(0)->set_stock(30);
    rule_set->mutable_birthday()->set_points(50);
    rule_set->mutable_birthday()->set_when(v1::BIRTHDAY_WHEN_MONTH);
    auto compiled = evaluator::CompiledRules::Compile(*rule_set);
    ASSERT_TRUE(compiled.ok()) << compiled.status();
    operations_ = std::make_unique<Operations>(ledger_.get(), *compiled, &clock_);
    year_ = true;
  }

  std::string RandomMember() {
    if (members_.empty() || Chance(5)) return "ghost";  // never enrolled
    return members_[Uniform(0, members_.size() - 1)];
  }

  int64_t Uniform(int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(random_);
  }
  bool Chance(int percent) { return Uniform(1, 100) <= percent; }

  v1::EnrollMemberRequest RandomEnroll() {
    v1::EnrollMemberRequest request;
    request.set_request_id(absl::StrCat("req-", next_request_++));
    // Sometimes an id that may already exist, sometimes one assigned.
    if (Chance(80)) {
      request.mutable_profile()->set_member_id(
          absl::StrCat("p", Uniform(0, members_.size() + 3)));
    }
    if (!members_.empty() && Chance(40)) {  // a referral, maybe one's own
      auto referrer = ledger_->GetMember(members_[Uniform(0, members_.size() - 1)]);
      if (referrer.ok()) request.set_referral_code(referrer->profile().referral_code());
    } else if (Chance(3)) {
      request.set_referral_code("ZZZZZZZZZZ");  // unknown
    }
    if (year_ && Chance(70)) {
      request.mutable_profile()->set_birth_date(
          absl::StrFormat("19%02d-%02d-%02d", Uniform(50, 99), Uniform(1, 12), Uniform(1, 28)));
    }
    return request;
  }

  v1::CommitPurchaseRequest RandomCommit() {
    v1::CommitPurchaseRequest request;
    request.set_request_id(absl::StrCat("req-", next_request_++));
    v1::Purchase* purchase = request.mutable_purchase();
    purchase->set_member_id(RandomMember());
    purchase->set_order_id(absl::StrCat("o-", Uniform(0, 1 << 20)));
    purchase->set_currency(Chance(3) ? "USD" : "EUR");
    // The operator's shop, a partner (perhaps suspended now), or a label.
    const char* partners[] = {"", "", "p-all", "p-half", "p-none", "label"};
    purchase->set_partner_id(partners[Uniform(0, 5)]);
    const int lines = static_cast<int>(Uniform(Chance(3) ? 0 : 1, 5));
    for (int i = 0; i < lines; ++i) {
      auto* line = purchase->add_lines();
      line->set_sku(absl::StrCat("sku-", Uniform(1, 50)));
      line->set_quantity(Uniform(Chance(2) ? -1 : 1, 3));
      line->set_unit_price_minor(Uniform(1, 5000));
    }
    const auto& known = points_.find(purchase->member_id());
    const int64_t available = known == points_.end() ? 0 : known->second;
    if (Chance(50)) purchase->set_redeem_points(Uniform(0, available + 50));
    if (Chance(30)) purchase->set_use_cashback_minor(Uniform(0, 300));
    if (Chance(20)) {
      *purchase->mutable_purchase_time() =
          ToTimestamp(clock_.Now() - absl::Hours(Uniform(1, 24 * 30)));
    }
    return request;
  }

  Answer Enroll(const v1::EnrollMemberRequest& request) {
    auto result = Await<v1::EnrollMemberResponse>(
        [&](auto reply) { operations_->EnrollMember(request, std::move(reply)); });
    if (result.ok()) {
      const std::string& id = result->member().member_id();
      if (points_.emplace(id, 0).second) members_.push_back(id);
      return {absl::StatusCode::kOk, result->SerializeAsString()};
    }
    return {result.status().code(), ""};
  }

  Answer Commit(const v1::CommitPurchaseRequest& request, bool first_time) {
    auto result = Await<v1::CommitPurchaseResponse>([&](auto reply) {
      operations_->CommitPurchase(request, std::move(reply));
    });
    if (!result.ok()) return {result.status().code(), ""};
    if (first_time) {
      const auto& referral = result->priced().referral_reward();
      if (result->priced().has_referral_reward()) {
        ++referrals_;
        points_[referral.referrer_id()] += referral.referrer_points();
      }
      if (year_) {
        points_[request.purchase().member_id()] = result->balance().points_available();
        EXPECT_LE(result->priced().redeemed_points(),
                  result->priced().max_redeemable_points());
        return {absl::StatusCode::kOk, result->SerializeAsString()};
      }
      int64_t& model = points_[request.purchase().member_id()];
      model += result->priced().points_earned() - result->priced().redeemed_points() +
               referral.newcomer_points();
      EXPECT_EQ(result->balance().points_available(), model);
      EXPECT_LE(result->priced().redeemed_points(),
                result->priced().max_redeemable_points());
      EXPECT_GE(result->priced().total_due_minor(), 0);
    }
    return {absl::StatusCode::kOk, result->SerializeAsString()};
  }

  void Step() {
    clock_.Advance(year_ ? absl::Minutes(Uniform(1, 720)) : absl::Seconds(Uniform(1, 600)));
    const int dice = static_cast<int>(Uniform(1, 100));
    if (year_ && dice >= 96 && !members_.empty()) {
      RandomRedeem();
      return;
    }
    if (year_ && dice >= 93 && !members_.empty()) {
      MaintenanceRun();
      return;
    }
    if (dice <= 10 && !sent_.empty()) {  // retry: the first answer again
      const auto& [request, answer] = sent_[Uniform(0, sent_.size() - 1)];
      const Answer again = request.has_purchase()
                               ? Commit(request, /*first_time=*/false)
                               : Answer{absl::StatusCode::kUnknown, ""};
      EXPECT_EQ(again.code, answer.code);
      EXPECT_EQ(again.response, answer.response);
      return;
    }
    if (dice <= 13 && !sent_.empty()) {  // the same id for another request
      v1::CommitPurchaseRequest reused = RandomCommit();
      reused.set_request_id(sent_[Uniform(0, sent_.size() - 1)].first.request_id());
      reused.mutable_purchase()->set_order_id("reused");
      EXPECT_EQ(Commit(reused, false).code, absl::StatusCode::kAlreadyExists);
      return;
    }
    if (dice <= 25) {
      Enroll(RandomEnroll());
      return;
    }
    if (dice <= 33 && !orders_.empty()) {
      RandomRefund();
      return;
    }
    if (dice <= 37 && !members_.empty()) {
      RandomAdjust();
      return;
    }
    if (dice <= 39) {  // suspend (now and then) or reactivate a partner
      const auto& [id, share] = kPartners[Uniform(0, 2)];
      Partner(id, share, Chance(85));
      return;
    }
    v1::CommitPurchaseRequest request = RandomCommit();
    Answer answer = Commit(request, /*first_time=*/true);
    sent_.emplace_back(request, answer);
    if (answer.code == absl::StatusCode::kOk) {
      ++committed_;
      orders_.push_back(request.purchase());
    }
  }

  // Refunds all or some units of a committed order; refusals (nothing
  // left to refund, more than bought) are expected answers too.
  void RandomRefund() {
    const v1::Purchase& order = orders_[Uniform(0, orders_.size() - 1)];
    v1::RefundPurchaseRequest request;
    request.set_request_id(absl::StrCat("req-", next_request_++));
    request.set_order_id(order.order_id());
    request.set_partner_id(order.partner_id());
    const bool reversed_before = Order(order).referral_reversed();
    if (Chance(60)) {
      auto* line = request.add_lines();
      line->set_line_index(static_cast<int>(Uniform(0, order.lines_size() - 1)));
      line->set_quantity(Uniform(1, 3));
    }
    auto result = Await<v1::RefundPurchaseResponse>(
        [&](auto reply) { operations_->RefundPurchase(request, std::move(reply)); });
    if (result.ok()) {
      ++refunded_;
      points_[order.member_id()] = result->balance().points_available();
      const v1::OrderRecord after = Order(order);
      if (after.referral_reversed() && !reversed_before) {
        ++referrals_reversed_;
        points_[after.priced().referral_reward().referrer_id()] -=
            after.priced().referral_reward().referrer_points();
      }
    } else {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition)
          << result.status();
    }
  }

  void RandomAdjust() {
    v1::AdjustBalanceRequest request;
    request.set_request_id(absl::StrCat("req-", next_request_++));
    request.set_member_id(members_[Uniform(0, members_.size() - 1)]);
    request.set_points(Uniform(-80, 200));
    request.set_reason_code(request.points() < 0 ? "CORRECTION" : "GOODWILL");
    if (request.points() == 0) request.set_cashback_minor(Uniform(1, 50));
    auto result = Await<v1::AdjustBalanceResponse>(
        [&](auto reply) { operations_->AdjustBalance(request, std::move(reply)); });
    if (result.ok()) {
      points_[request.member_id()] = result->balance().points_available();
    } else {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition)
          << result.status();
    }
  }

  // The settlement of everything so far reconciles to the ledger: nets sum
  // to zero, and each party's issued and burned points are its accounts.
  void CheckSettlement(int step) {
    auto settled = operations_->SettlePartners(v1::SettlePartnersRequest());
    ASSERT_TRUE(settled.ok()) << settled.status();
    auto balances = ledger_->ReadProgramBalances();
    ASSERT_TRUE(balances.ok());
    auto balance = [&](const std::string& account) {
      auto it = balances->find({account, "PTS"});
      return it == balances->end() ? 0 : it->second;
    };
    int64_t net = 0, in = 0, out = 0;
    for (const auto& party : settled->parties()) {
      net += party.net_minor();
      in += party.claims_in_minor();
      out += party.claims_out_minor();
      ASSERT_EQ(party.points_issued(), -balance(ledger::PointsIssued(party.partner_id())))
          << party.partner_id() << " at step " << step;
      ASSERT_EQ(party.points_burned(), balance(ledger::PointsRedeemed(party.partner_id())))
          << party.partner_id() << " at step " << step;
    }
    ASSERT_EQ(net, 0) << "at step " << step;
    ASSERT_EQ(in, out);
    int64_t claimed = 0;
    for (const auto& claim : settled->claims()) claimed += claim.value_minor();
    ASSERT_EQ(claimed, in);
    if (in != 0) ++settlements_with_claims_;
  }

  void RandomRedeem() {
    v1::RedeemRewardRequest request;
    request.set_request_id(absl::StrCat("req-", next_request_++));
    request.set_member_id(members_[Uniform(0, members_.size() - 1)]);
    request.set_reward_id(Chance(50) ? "mug" : Chance(90) ? "pen" : "unknown");
    auto result = Await<v1::RedeemRewardResponse>(
        [&](auto reply) { operations_->RedeemReward(request, std::move(reply)); });
    if (result.ok()) {
      ++redeemed_;
      points_[request.member_id()] = result->balance().points_available();
    } else {
      EXPECT_TRUE(result.status().code() == absl::StatusCode::kFailedPrecondition ||
                  result.status().code() == absl::StatusCode::kNotFound)
          << result.status();
    }
  }

  // What reads showed before a run is what the run writes; a second run
  // right after it moves nothing.
  void MaintenanceRun() {
    std::map<std::string, v1::Balance> shown;
    for (const std::string& id : members_) {
      v1::GetBalanceRequest read;
      read.set_member_id(id);
      auto answer = operations_->GetBalance(read);
      ASSERT_TRUE(answer.ok()) << answer.status();
      shown[id] = answer->balance();
    }
    v1::RunExpiryRequest request;
    request.set_request_id(absl::StrCat("run-", next_request_++));
    auto run = operations_->RunExpiry(request, [](const v1::RunExpiryResponse&) {});
    ASSERT_TRUE(run.ok()) << run.status();
    changed_by_runs_ += run->members_changed();
    expired_ += run->points_expired();
    for (const auto& [id, balance] : shown) {
      auto record = ledger_->GetMember(id);
      ASSERT_TRUE(record.ok());
      EXPECT_EQ(record->points_available(), balance.points_available()) << id;
      EXPECT_EQ(record->points_pending(), balance.points_pending()) << id;
      EXPECT_EQ(record->tier(), balance.tier()) << id;
      points_[id] = record->points_available();
    }
    auto again = operations_->RunExpiry(request, [](const v1::RunExpiryResponse&) {});
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->members_changed(), 0);
  }

  // `steps` random steps, each followed by the whole-ledger checks; stops
  // at the first failure.
  void RunSteps(int steps) {
    for (int step = 1; step <= steps; ++step) {
      Step();
      CheckLedger(step);
      if (HasFatalFailure() || HasFailure()) return;
    }
  }

  void CheckLedger(int step) {
    if (step % 50 == 0) CheckSettlement(step);
    auto report = ledger_->Audit();
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_TRUE(report->ok()) << "after step " << step << ": " << report->problem;
    if (year_) return;  // time moves points: no exact model
    for (const auto& [id, points] : points_) {
      auto record = ledger_->GetMember(id);
      ASSERT_TRUE(record.ok());
      ASSERT_EQ(record->points_available(), points) << id << " at step " << step;
    }
  }

  testing::TempDir dir_;
  ManualClock clock_{absl::FromUnixSeconds(1767225600)};
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<Operations> operations_;
  std::mt19937_64 random_{20261125};
  std::vector<std::string> members_;
  std::map<std::string, int64_t> points_;  // the model
  std::vector<std::pair<v1::CommitPurchaseRequest, Answer>> sent_;
  int next_request_ = 0;
  int committed_ = 0;
  int refunded_ = 0;
  int referrals_ = 0;
  int referrals_reversed_ = 0;
  int settlements_with_claims_ = 0;
  std::vector<v1::Purchase> orders_;
  bool year_ = false;
  int redeemed_ = 0;
  int64_t changed_by_runs_ = 0;
  int64_t expired_ = 0;
};

// LOYALTY_PROPERTY_STEPS raises the count for a longer run by hand.
int Steps() {
  const char* env = std::getenv("LOYALTY_PROPERTY_STEPS");
  return env != nullptr ? std::atoi(env) : 2000;
}

TEST_F(PropertyTest, RandomOperationsKeepEveryInvariant) {
  const int steps = Steps();
  RunSteps(steps);
  if (HasFailure()) return;
  // The mix must really have exercised sales, not only refusals.
  EXPECT_GT(committed_, steps / 4);
  EXPECT_GT(refunded_, steps / 40);
  EXPECT_GT(members_.size(), 10u);
  EXPECT_GT(referrals_, 5);
  EXPECT_GT(referrals_reversed_, 0);
  EXPECT_GT(settlements_with_claims_, 0);
}

TEST_F(PropertyTest, TheMembersYearKeepsEveryInvariant) {
  UseYearRules();
  const int steps = Steps();
  RunSteps(steps);
  if (HasFailure()) return;
  // Time really moved points: runs changed members, points expired, and
  // rewards were bought.
  EXPECT_GT(committed_, steps / 4);
  EXPECT_GT(changed_by_runs_, 0);
  EXPECT_GT(expired_, 0);
  EXPECT_GT(redeemed_, 0);
  EXPECT_GT(referrals_, 0);
  EXPECT_GT(settlements_with_claims_, 0);
}

}  // namespace
}  // namespace loyalty::program
