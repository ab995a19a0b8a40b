// Every RPC that names a member answers a member that does not exist the
// same way: NOT_FOUND, reason UNKNOWN_MEMBER, the request's own field, the
// id quoted in the message, and nothing written. Through a real loyaltyd
// (ledger on RocksDB, gRPC on loopback).
#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/served_ledger.h"

namespace loyalty {
namespace {

using testing::DetailOf;

constexpr char kNobody[] = "nobody";

v1::Purchase SaleOf(const std::string& member) {
  v1::Purchase purchase;
  purchase.set_member_id(member);
  purchase.set_order_id("order-1");
  purchase.set_currency("EUR");
  v1::PurchaseLine* line = purchase.add_lines();
  line->set_sku("sku-1");
  line->set_quantity(1);
  line->set_unit_price_minor(1000);
  return purchase;
}

struct Call {
  const char* rpc;
  const char* field;  // the field the refusal names
  std::function<grpc::Status(testing::ServedLedger&, grpc::ClientContext*)>
      send;
};

class UnknownMemberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(served_.Start(
        testing::ServedOptions(testing::RulesYaml() +
                               "rewards:\n  - id: coffee\n    description: "
                               "A free coffee\n    points: 20\n")));
  }

  testing::ServedLedger served_;
};

TEST_F(UnknownMemberTest,
       EveryRpcNamingAMemberSaysUnknownMemberWithItsOwnField) {
  const Call calls[] = {
      {"CommitPurchase", "purchase.member_id",
       [](testing::ServedLedger& s, grpc::ClientContext* c) {
         v1::CommitPurchaseRequest request;
         request.set_request_id("commit-1");
         *request.mutable_purchase() = SaleOf(kNobody);
         v1::CommitPurchaseResponse response;
         return s.checkout().CommitPurchase(c, request, &response);
       }},
      {"QuotePurchase", "purchase.member_id",
       [](testing::ServedLedger& s, grpc::ClientContext* c) {
         v1::QuotePurchaseRequest request;
         *request.mutable_purchase() = SaleOf(kNobody);
         v1::QuotePurchaseResponse response;
         return s.checkout().QuotePurchase(c, request, &response);
       }},
      {"RedeemReward", "member_id",
       [](testing::ServedLedger& s, grpc::ClientContext* c) {
         v1::RedeemRewardRequest request;
         request.set_request_id("redeem-1");
         request.set_member_id(kNobody);
         request.set_reward_id("coffee");
         v1::RedeemRewardResponse response;
         return s.checkout().RedeemReward(c, request, &response);
       }},
      {"AdjustBalance", "member_id",
       [](testing::ServedLedger& s, grpc::ClientContext* c) {
         v1::AdjustBalanceRequest request;
         request.set_request_id("adjust-1");
         request.set_member_id(kNobody);
         request.set_points(10);
         request.set_reason_code("GOODWILL");
         v1::AdjustBalanceResponse response;
         return s.program().AdjustBalance(c, request, &response);
       }},
      {"RecordFeedback", "feedback.member_id",
       [](testing::ServedLedger& s, grpc::ClientContext* c) {
         v1::RecordFeedbackRequest request;
         request.set_request_id("feedback-1");
         request.mutable_feedback()->set_member_id(kNobody);
         request.mutable_feedback()->set_survey(v1::SURVEY_KIND_NPS);
         request.mutable_feedback()->set_score(9);
         v1::RecordFeedbackResponse response;
         return s.program().RecordFeedback(c, request, &response);
       }},
      {"GetMember", "member_id",
       [](testing::ServedLedger& s, grpc::ClientContext* c) {
         v1::GetMemberRequest request;
         request.set_member_id(kNobody);
         v1::GetMemberResponse response;
         return s.members().GetMember(c, request, &response);
       }},
      {"GetBalance", "member_id",
       [](testing::ServedLedger& s, grpc::ClientContext* c) {
         v1::GetBalanceRequest request;
         request.set_member_id(kNobody);
         v1::GetBalanceResponse response;
         return s.members().GetBalance(c, request, &response);
       }},
      {"ListEntries", "member_id",
       [](testing::ServedLedger& s, grpc::ClientContext* c) {
         v1::ListEntriesRequest request;
         request.set_member_id(kNobody);
         v1::ListEntriesResponse response;
         return s.members().ListEntries(c, request, &response);
       }},
  };
  const int64_t head = served_.server().ledger().Head().sequence();
  for (const Call& call : calls) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    const grpc::Status status = call.send(served_, &context);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << call.rpc;
    EXPECT_EQ(DetailOf(status).reason(), "UNKNOWN_MEMBER") << call.rpc;
    EXPECT_EQ(DetailOf(status).field(), call.field) << call.rpc;
    EXPECT_EQ(status.error_message(),
              absl::StrCat("UNKNOWN_MEMBER: ", call.field,
                           ": no member with id '", kNobody, "'"))
        << call.rpc;
  }
  EXPECT_EQ(served_.server().ledger().Head().sequence(), head);
}

}  // namespace
}  // namespace loyalty
