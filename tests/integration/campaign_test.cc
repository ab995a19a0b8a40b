// Campaign rules on a live server: budgets and caps under concurrent
// commits, single-use promo codes, rule-set versions loaded while clients
// commit, and refused rule files.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/served_ledger.h"

namespace loyalty {
namespace {

// 1 point per 1.00 EUR; a launch bonus of 100 points a purchase, at most
// 300 a member a day and 1000 for the whole campaign; a personal code for kim.
constexpr char kCampaignRules[] = R"(
program: {id: campaign, currency: EUR, point_value_minor: 1}
earn: {points: 1, per_minor: 100, rounding: down}
burn: {max_basket_share_percent: 50, earned_points_pay_same_order: false}
rules:
  - id: launch-bonus
    description: Launch bonus
    bonus_points: {points: 100}
    caps: {budget: 1000, per_member_per_day: 300}
  - id: welcome
    description: Welcome discount
    percent_discount: {percent: 10}
promo_codes:
  - code: WELCOME-KIM
    member: kim
    rules: [welcome]
)";

std::string RateRules(int points_per_euro) {
  return absl::StrCat(
      "program: {id: rates, currency: EUR, point_value_minor: 1}\n"
      "earn: {points: ", points_per_euro, ", per_minor: 100, rounding: down}\n"
      "burn: {max_basket_share_percent: 50, earned_points_pay_same_order: false}\n");
}

class LiveCampaignTest : public ::testing::Test {
 protected:
  void Start(const std::string& yaml) {
    ASSERT_NO_FATAL_FAILURE(served_.Start(testing::ServedOptions(yaml)));
  }

  void Enroll(const std::string& id) {
    const grpc::Status status = served_.Enroll(id);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  grpc::Status Commit(const std::string& request_id, const std::string& member,
                      const std::string& promo, v1::CommitPurchaseResponse* response) {
    auto checkout = v1::Checkout::NewStub(served_.channel());
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::CommitPurchaseRequest request;
    request.set_request_id(request_id);
    auto* purchase = request.mutable_purchase();
    purchase->set_member_id(member);
    purchase->set_order_id(request_id);
    purchase->set_currency("EUR");
    if (!promo.empty()) purchase->add_promo_codes(promo);
    auto* line = purchase->add_lines();
    line->set_sku("sku");
    line->set_quantity(1);
    line->set_unit_price_minor(2000);
    return checkout->CommitPurchase(&context, request, response);
  }

  static int64_t RulePoints(const v1::CommitPurchaseResponse& response,
                            const std::string& rule_id) {
    int64_t points = 0;
    for (const auto& row : response.priced().applied()) {
      if (row.rule_id() == rule_id) points += row.points();
    }
    return points;
  }

  // Runs `count` commits at once, one thread each.
  template <typename Body>
  static void AllAtOnce(int count, Body body) {
    std::vector<std::thread> threads;
    for (int i = 0; i < count; ++i) threads.emplace_back(body, i);
    for (auto& thread : threads) thread.join();
  }

  testing::ServedLedger served_;
};

TEST_F(LiveCampaignTest, ABudgetIsNeverOverspentBy32ConcurrentCommits) {
  Start(kCampaignRules);
  for (int m = 0; m < 16; ++m) Enroll(absl::StrCat("m", m));
  std::atomic<int64_t> bonus{0};
  std::atomic<int> committed{0};
  AllAtOnce(32, [&](int i) {
    v1::CommitPurchaseResponse response;
    if (Commit(absl::StrCat("b", i), absl::StrCat("m", i % 16), "", &response).ok()) {
      ++committed;
      bonus += RulePoints(response, "launch-bonus");
    }
  });
  EXPECT_EQ(committed.load(), 32);
  // 32 purchases would earn 3200 bonus points; the budget holds 1000.
  EXPECT_EQ(bonus.load(), 1000);
  auto report = served_.server().ledger().Audit();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problem;
}

TEST_F(LiveCampaignTest, AMembersDailyCapHoldsUnderConcurrentCommits) {
  Start(kCampaignRules);
  Enroll("solo");
  std::atomic<int64_t> bonus{0};
  AllAtOnce(8, [&](int i) {
    v1::CommitPurchaseResponse response;
    ASSERT_TRUE(Commit(absl::StrCat("s", i), "solo", "", &response).ok());
    bonus += RulePoints(response, "launch-bonus");
  });
  EXPECT_EQ(bonus.load(), 300);  // eight purchases, at most 300 a day
  // Each purchase also earned its 20 base points: 8 x 20 + 300.
  auto record = served_.server().ledger().GetMember("solo");
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->points_available(), 8 * 20 + 300);
}

TEST_F(LiveCampaignTest, APersonalPromoCodeIsSpentOnceUnderConcurrency) {
  Start(kCampaignRules);
  Enroll("kim");
  Enroll("lea");
  std::atomic<int> discounted{0}, refused{0};
  AllAtOnce(8, [&](int i) {
    v1::CommitPurchaseResponse response;
    grpc::Status status = Commit(absl::StrCat("k", i), "kim", "welcome-kim", &response);
    if (status.ok()) {
      EXPECT_EQ(response.priced().discount_minor(), 200);  // 10% of 20.00
      ++discounted;
    } else {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
      EXPECT_NE(status.error_message().find("PROMO_CODE_ALREADY_USED"), std::string::npos)
          << status.error_message();
      ++refused;
    }
  });
  EXPECT_EQ(discounted.load(), 1);
  EXPECT_EQ(refused.load(), 7);
  v1::CommitPurchaseResponse response;
  grpc::Status other = Commit("lea-1", "lea", "WELCOME-KIM", &response);
  EXPECT_NE(other.error_message().find("PROMO_CODE_NOT_FOR_MEMBER"), std::string::npos);
}

TEST_F(LiveCampaignTest, AReloadDuringLoadPricesEachPurchaseWithOneVersion) {
  Start(RateRules(1));
  for (int m = 0; m < 8; ++m) Enroll(absl::StrCat("m", m));
  std::map<std::string, int> rate_of_version;
  rate_of_version[served_.server().operations().rules()->version()] = 1;
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<v1::CommitPurchaseResponse> answers;
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      for (int s = 0; !stop; ++s) {
        v1::CommitPurchaseResponse response;
        if (Commit(absl::StrCat(c, "-", s), absl::StrCat("m", c), "", &response).ok()) {
          std::lock_guard<std::mutex> lock(mu);
          answers.push_back(response);
        }
      }
    });
  }
  for (int load = 0; load < 6; ++load) {
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    const int rate = 2 + load % 3;
    grpc::ClientContext context;
    v1::LoadRulesRequest request;
    request.set_request_id(absl::StrCat("load-", load));
    request.set_file_name(absl::StrCat("rate", rate, ".yaml"));
    request.set_yaml(RateRules(rate));
    v1::LoadRulesResponse loaded;
    ASSERT_TRUE(served_.program().LoadRules(&context, request, &loaded).ok());
    rate_of_version[loaded.version().version()] = rate;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  stop = true;
  for (auto& client : clients) client.join();
  std::map<std::string, int> priced_by;
  for (const auto& answer : answers) {
    const std::string& version = answer.priced().rules_version();
    ASSERT_TRUE(rate_of_version.count(version)) << version;
    // 20.00 EUR at the version's rate, nothing else.
    EXPECT_EQ(answer.priced().points_earned(), 20 * rate_of_version[version]);
    ++priced_by[version];
    int64_t sequence = 0;
    ASSERT_TRUE(absl::SimpleAtoi(answer.transaction_id(), &sequence));
    auto entry = served_.server().ledger().GetEntry(sequence);
    ASSERT_TRUE(entry.ok());
    EXPECT_EQ(entry->rules_version(), version);
  }
  EXPECT_GE(priced_by.size(), 3u);  // the switch happened under load
}

TEST_F(LiveCampaignTest, ARefusedRuleFileNeverReplacesTheActiveOne) {
  Start(RateRules(1));
  const std::string active = served_.server().operations().rules()->version();
  grpc::ClientContext validate_context;
  v1::ValidateRulesRequest validate;
  validate.set_file_name("bad.yaml");
  validate.set_yaml(RateRules(1) + "rules:\n  - id: x\n    description: Broken\n"
                    "    bonus_points: {points: -5}\n");
  v1::ValidateRulesResponse problems;
  ASSERT_TRUE(served_.program().ValidateRules(&validate_context, validate, &problems).ok());
  ASSERT_FALSE(problems.problems().empty());
  EXPECT_EQ(problems.problems(0).rfind("bad.yaml:7:", 0), 0u) << problems.problems(0);
  grpc::ClientContext load_context;
  v1::LoadRulesRequest load;
  load.set_request_id("bad-load");
  load.set_file_name("bad.yaml");
  load.set_yaml(validate.yaml());
  v1::LoadRulesResponse loaded;
  grpc::Status status = served_.program().LoadRules(&load_context, load, &loaded);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("bad.yaml:7:"), std::string::npos);
  EXPECT_EQ(served_.server().operations().rules()->version(), active);
  grpc::ClientContext get_context;
  v1::GetRulesResponse rules;
  ASSERT_TRUE(served_.program().GetRules(&get_context, {}, &rules).ok());
  EXPECT_EQ(rules.active_version(), active);
  EXPECT_EQ(rules.versions_size(), 1);  // the start file, stored at start
}

TEST_F(LiveCampaignTest, ALoadedVersionStaysActiveAfterARestart) {
  Start(RateRules(1));
  grpc::ClientContext context;
  v1::LoadRulesRequest request;
  request.set_request_id("load-3");
  request.set_yaml(RateRules(3));
  v1::LoadRulesResponse loaded;
  ASSERT_TRUE(served_.program().LoadRules(&context, request, &loaded).ok());
  served_.Stop();
  Start(RateRules(1));  // the same start file as before
  EXPECT_EQ(served_.server().operations().rules()->version(), loaded.version().version());
}

}  // namespace
}  // namespace loyalty
