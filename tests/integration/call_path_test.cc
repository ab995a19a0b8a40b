// The call path of engine/server/call_path.h without a door: what the gRPC
// door, and the HTTP/JSON door and batch RPC to come, all go through. Every
// write takes the caller's deadline to the ledger: one the ledger reaches
// after that deadline is not decided (DEADLINE_EXCEEDED, nothing written).
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "engine/server/call_path.h"
#include "engine/server/handlers.h"
#include "gtest/gtest.h"
#include "tests/support/program_fixture.h"
#include "tests/support/test_rules.h"

namespace loyalty {
namespace {

class CallPathTest : public testing::ProgramFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(
        OpenProgram(testing::CompileRules(testing::RulesYaml())));
    handlers_ = std::make_unique<server::RpcHandlers>(
        operations_.get(), ledger_.get(), &keys_, &clock_, &readers_);
    path_ = std::make_unique<server::CallPath>(&authorizer_, &Logger::Discard(),
                                               handlers_.get());
  }

  // Runs `request` through the path with `deadline`; its status.
  template <typename Request>
  absl::Status Run(const Request& request, absl::Time deadline) {
    absl::Notification done;
    absl::Status status;
    path_->Run<Request>(
        server::CallOrigin{std::nullopt, deadline}, request,
        [&](absl::StatusOr<server::ResponseOf<Request>> answer) {
          status = answer.status();
          done.Notify();
        });
    done.WaitForNotification();
    return status;
  }

  using Write = std::function<absl::Status(absl::Time)>;
  template <typename Request>
  Write WriteOf(Request request) {
    return
        [this, request](absl::Time deadline) { return Run(request, deadline); };
  }

  // Each of the ten writes, as a call the ledger could decide.
  std::vector<std::pair<std::string, Write>> Writes() {
    v1::EnrollMemberRequest enroll;
    enroll.set_request_id("enroll");
    enroll.mutable_profile()->set_member_id("ann");
    v1::CommitPurchaseRequest commit;
    commit.set_request_id("commit");
    v1::Purchase* purchase = commit.mutable_purchase();
    purchase->set_member_id("ann");
    purchase->set_order_id("o-1");
    purchase->set_currency("EUR");
    v1::PurchaseLine* line = purchase->add_lines();
    line->set_sku("tea");
    line->set_quantity(1);
    line->set_unit_price_minor(500);
    v1::RefundPurchaseRequest refund;
    refund.set_request_id("refund");
    refund.set_member_id("ann");
    refund.set_order_id("o-1");
    v1::RedeemRewardRequest redeem;
    redeem.set_request_id("redeem");
    redeem.set_member_id("ann");
    redeem.set_reward_id("mug");
    v1::AdjustBalanceRequest adjust;
    adjust.set_request_id("adjust");
    adjust.set_member_id("ann");
    adjust.set_points(5);
    adjust.set_reason_code("GOODWILL");
    v1::RecordFeedbackRequest feedback;
    feedback.set_request_id("feedback");
    feedback.mutable_feedback()->set_survey(v1::SURVEY_KIND_NPS);
    feedback.mutable_feedback()->set_score(9);
    v1::LoadRulesRequest load;
    load.set_request_id("load");
    load.set_file_name("later.yaml");
    load.set_yaml(testing::RulesYaml(/*per_minor=*/50));
    v1::UpsertPartnerRequest partner;
    partner.set_request_id("partner");
    partner.set_partner_id("fuelco");
    partner.set_name("Fuel Co");
    v1::CreateApiKeyRequest create;
    create.set_request_id("create-key");
    create.set_role(v1::ROLE_POS);
    v1::RevokeApiKeyRequest revoke;
    revoke.set_request_id("revoke-key");
    revoke.set_key_id("000000000000");
    return {{"EnrollMember", WriteOf(enroll)},
            {"CommitPurchase", WriteOf(commit)},
            {"RefundPurchase", WriteOf(refund)},
            {"RedeemReward", WriteOf(redeem)},
            {"AdjustBalance", WriteOf(adjust)},
            {"RecordFeedback", WriteOf(feedback)},
            {"LoadRules", WriteOf(load)},
            {"UpsertPartner", WriteOf(partner)},
            {"CreateApiKey", WriteOf(create)},
            {"RevokeApiKey", WriteOf(revoke)}};
  }

  server::KeyRing keys_;
  server::Authorizer authorizer_{&keys_, /*require_keys=*/false};
  server::ReaderPool readers_{server::ReaderPoolOptions{}};
  std::unique_ptr<server::RpcHandlers> handlers_;
  std::unique_ptr<server::CallPath> path_;
};

TEST_F(CallPathTest, EveryWriteTakesTheCallersDeadlineToTheLedger) {
  const absl::Time passed = absl::Now() - absl::Seconds(1);
  const int64_t head = ledger_->Head().sequence();
  for (const auto& [name, write] : Writes()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(write(passed).code(), absl::StatusCode::kDeadlineExceeded);
    EXPECT_EQ(ledger_->Head().sequence(), head);
  }
  // In time, the same calls are decided: none is refused for its deadline.
  for (const auto& [name, write] : Writes()) {
    SCOPED_TRACE(name);
    EXPECT_NE(write(absl::InfiniteFuture()).code(),
              absl::StatusCode::kDeadlineExceeded);
  }
  EXPECT_GT(ledger_->Head().sequence(), head);
}

}  // namespace
}  // namespace loyalty
