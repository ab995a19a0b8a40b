// Property test: thousands of random enroll, commit, refund and adjustment
// operations (good, refused, retried and reused request ids, back-dated
// sales, points and cashback burned, partial and full refunds, referrals,
// purchases at coalition partners, some of them suspended at times) against the real ledger on RocksDB. After every step the
// whole ledger is audited: postings sum to zero per asset, the hash chain
// holds, and every stored balance equals the replay of the journal. A model
// of each member's points checks the answers themselves.
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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
    clock_.Advance(absl::Seconds(Uniform(1, 600)));
    const int dice = static_cast<int>(Uniform(1, 100));
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
    if (dice <= 39) {  // suspend or reactivate a partner
      const auto& [id, share] = kPartners[Uniform(0, 2)];
      Partner(id, share, Chance(60));
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

  void CheckLedger(int step) {
    if (step % 50 == 0) CheckSettlement(step);
    auto report = ledger_->Audit();
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_TRUE(report->ok()) << "after step " << step << ": " << report->problem;
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
};

TEST_F(PropertyTest, RandomOperationsKeepEveryInvariant) {
  // LOYALTY_PROPERTY_STEPS raises the count for a longer run by hand.
  const char* env = std::getenv("LOYALTY_PROPERTY_STEPS");
  const int steps = env != nullptr ? std::atoi(env) : 2000;
  for (int step = 1; step <= steps; ++step) {
    Step();
    CheckLedger(step);
    if (HasFatalFailure() || HasFailure()) return;
  }
  // The mix must really have exercised sales, not only refusals.
  EXPECT_GT(committed_, steps / 4);
  EXPECT_GT(refunded_, steps / 40);
  EXPECT_GT(members_.size(), 10u);
  EXPECT_GT(referrals_, 5);
  EXPECT_GT(referrals_reversed_, 0);
  EXPECT_GT(settlements_with_claims_, 0);
}

}  // namespace
}  // namespace loyalty::program
