// A loaded rule-set version prices nothing before its record is durable: a
// quote made while the load's WAL sync is held sees the version before, and
// a load whose write fails never prices anything, before or after a reopen.
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "engine/ledger/ledger.h"
#include "engine/program/operations.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "tests/support/await.h"
#include "tests/support/faulty_file_system.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_rules.h"

namespace loyalty {
namespace {

using testing::Await;
using testing::Fault;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);  // 2026-01-01

std::string RateRules(int points_per_euro) {
  return absl::StrCat(
      "program: {id: rates, currency: EUR, point_value_minor: 1}\n"
      "earn: {points: ", points_per_euro, ", per_minor: 100, rounding: down}\n"
      "burn: {max_basket_share_percent: 50, earned_points_pay_same_order: false}\n");
}

class RuleActivationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = rocksdb::NewCompositeEnv(
        std::make_shared<testing::FaultyFileSystem>(&faults_));
    ASSERT_NO_FATAL_FAILURE(Open(env_.get()));
    v1::EnrollMemberRequest enroll;
    enroll.set_request_id("enroll-ann");
    enroll.mutable_profile()->set_member_id("ann");
    ASSERT_TRUE(Await<v1::EnrollMemberResponse>([&](auto reply) {
                  operations_->EnrollMember(enroll, std::move(reply));
                }).ok());
  }

  void Open(rocksdb::Env* env) {
    operations_.reset();
    ledger_.reset();
    ledger::LedgerOptions options;
    options.data_dir = dir_.Sub("ledger");
    options.clock = &clock_;
    options.env = env;
    options.on_fatal = [](const absl::Status&) {};
    auto opened = ledger::Ledger::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    ledger_ = *std::move(opened);
    operations_ = std::make_unique<program::Operations>(
        ledger_.get(), testing::CompileRules(RateRules(1)), &clock_);
    ASSERT_TRUE(operations_->LoadStoredRules().ok());
  }

  // Points a 20.00 EUR basket of ann's would earn now.
  int64_t QuotedPoints() {
    v1::QuotePurchaseRequest request;
    v1::Purchase* purchase = request.mutable_purchase();
    purchase->set_member_id("ann");
    purchase->set_order_id("quote");
    purchase->set_currency("EUR");
    auto* line = purchase->add_lines();
    line->set_sku("sku");
    line->set_quantity(1);
    line->set_unit_price_minor(2000);
    auto quote = operations_->QuotePurchase(request);
    EXPECT_TRUE(quote.ok()) << quote.status();
    return quote.ok() ? quote->priced().points_earned() : -1;
  }

  // Starts loading RateRules(rate); `answered` is notified with the answer.
  void StartLoad(int rate, absl::Notification* answered,
                 std::optional<absl::StatusOr<v1::LoadRulesResponse>>* answer) {
    v1::LoadRulesRequest request;
    request.set_request_id(absl::StrCat("load-", rate));
    request.set_yaml(RateRules(rate));
    operations_->LoadRules(request, [=](auto result) {
      *answer = std::move(result);
      answered->Notify();
    });
  }

  testing::FaultSwitch faults_;
  std::unique_ptr<rocksdb::Env> env_;
  testing::TempDir dir_;
  ManualClock clock_{kStart};
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<program::Operations> operations_;
};

TEST_F(RuleActivationTest, AVersionPricesNothingBeforeItsLoadIsDurable) {
  ASSERT_EQ(QuotedPoints(), 20);
  faults_.HoldSyncs();
  absl::Notification answered;
  std::optional<absl::StatusOr<v1::LoadRulesResponse>> answer;
  StartLoad(3, &answered, &answer);
  // The load is decided and its batch waits for its sync.
  ASSERT_TRUE(faults_.WaitForHeldSync(absl::Seconds(30)));
  EXPECT_FALSE(answered.HasBeenNotified());
  EXPECT_EQ(QuotedPoints(), 20);  // still the version before
  faults_.ReleaseSyncs();
  answered.WaitForNotification();
  ASSERT_TRUE(answer->ok()) << answer->status();
  EXPECT_EQ(QuotedPoints(), 60);
}

TEST_F(RuleActivationTest, ALoadThatIsNotDurablePricesNothingNowOrAfterARestart) {
  clock_.Advance(absl::Minutes(1));  // after the start file's version
  absl::Notification answered;
  std::optional<absl::StatusOr<v1::LoadRulesResponse>> durable;
  StartLoad(3, &answered, &durable);
  answered.WaitForNotification();
  ASSERT_TRUE(durable->ok()) << durable->status();

  faults_.fault = Fault::kAppendIoError;  // the next load never reaches the WAL
  absl::Notification failed;
  std::optional<absl::StatusOr<v1::LoadRulesResponse>> lost;
  StartLoad(5, &failed, &lost);
  failed.WaitForNotification();
  EXPECT_EQ(lost->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(QuotedPoints(), 60);  // the durable version, not the lost one

  faults_.fault = Fault::kNone;
  ASSERT_NO_FATAL_FAILURE(Open(env_.get()));
  EXPECT_EQ(QuotedPoints(), 60);
  auto rules = operations_->GetRules({});
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_EQ(rules->active_version(), (*durable)->version().version());
  ASSERT_EQ(rules->versions_size(), 2);  // the start file and rate 3
  EXPECT_EQ(rules->versions(1).version(), (*durable)->version().version());
}

}  // namespace
}  // namespace loyalty
