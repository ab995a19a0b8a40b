// Checkout.CommitPurchases through a real loyaltyd (RocksDB in a temp dir,
// gRPC on loopback): each purchase of a batch gets its own outcome, decided
// in the order sent and remembered under its own request_id exactly as a
// single CommitPurchase would be; the limits of a batch refuse it whole.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/base/limits.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/support/served_ledger.h"

namespace loyalty {
namespace {

using google::protobuf::util::MessageDifferencer;
using loyalty::v1::CommitPurchaseRequest;
using loyalty::v1::CommitPurchaseResponse;
using loyalty::v1::CommitPurchasesRequest;
using loyalty::v1::CommitPurchasesResponse;
using loyalty::v1::PurchaseOutcome;

const absl::Time kNow = absl::FromUnixSeconds(1767225600);  // 2026-01-01

// The reason and field of a refused outcome.
v1::ErrorDetail DetailOf(const PurchaseOutcome& outcome) {
  v1::ErrorDetail detail;
  if (outcome.refused().details_size() == 1) {
    detail.ParseFromString(outcome.refused().details(0).value());
  }
  return detail;
}

class BatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerOptions options = testing::ServedOptions();
    options.clock = &clock_;
    ASSERT_NO_FATAL_FAILURE(served_.Start(options));
    Enroll("ann");
    Enroll("bob");
  }

  static void SetDeadline(grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(30));
  }

  void Enroll(const std::string& id) {
    const grpc::Status status = served_.Enroll(id);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // One line of `price_minor`: 1 point per 1.00 EUR paid.
  static CommitPurchaseRequest Sale(const std::string& request_id,
                                    const std::string& member,
                                    int64_t price_minor, int64_t redeem = 0) {
    CommitPurchaseRequest request;
    request.set_request_id(request_id);
    v1::Purchase* purchase = request.mutable_purchase();
    purchase->set_member_id(member);
    purchase->set_order_id("order-" + request_id);
    purchase->set_currency("EUR");
    purchase->set_redeem_points(redeem);
    auto* line = purchase->add_lines();
    line->set_sku("sku-1");
    line->set_quantity(1);
    line->set_unit_price_minor(price_minor);
    return request;
  }

  static CommitPurchasesRequest Batch(
      std::vector<CommitPurchaseRequest> sales) {
    CommitPurchasesRequest request;
    for (auto& sale : sales) *request.add_purchases() = std::move(sale);
    return request;
  }

  grpc::Status CommitAll(const CommitPurchasesRequest& request,
                         CommitPurchasesResponse* response) {
    grpc::ClientContext context;
    SetDeadline(&context);
    return served_.checkout().CommitPurchases(&context, request, response);
  }

  grpc::Status Commit(const CommitPurchaseRequest& request,
                      CommitPurchaseResponse* response) {
    grpc::ClientContext context;
    SetDeadline(&context);
    return served_.checkout().CommitPurchase(&context, request, response);
  }

  int64_t PointsOf(const std::string& id) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::GetBalanceRequest request;
    request.set_member_id(id);
    v1::GetBalanceResponse response;
    EXPECT_TRUE(
        served_.members().GetBalance(&context, request, &response).ok());
    return response.balance().points_available();
  }

  // The newest entry's sequence: what the ledger has recorded in all.
  int64_t RecordedEntries() {
    return served_.server().ledger().Head().sequence();
  }

  void ExpectAuditClean() {
    auto report = served_.server().ledger().Audit();
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->ok()) << report->problem;
  }

  ManualClock clock_{kNow};
  testing::ServedLedger served_;  // after the clock it uses
};

TEST_F(BatchTest, EachPurchaseHasItsOwnOutcomeInTheOrderSent) {
  // ann has no points yet: a redemption first is refused, the same after
  // her sale of 50.00 EUR (50 points) goes through. An unknown member's
  // sale is refused without touching the others.
  CommitPurchasesResponse response;
  const grpc::Status status = CommitAll(
      Batch({Sale("b1", "ann", 2000, /*redeem=*/10), Sale("b2", "ann", 5000),
             Sale("b3", "zed", 1000), Sale("b4", "ann", 2000, /*redeem=*/10),
             Sale("b5", "bob", 3000)}),
      &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.outcomes_size(), 5);
  const char* ids[] = {"b1", "b2", "b3", "b4", "b5"};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(response.outcomes(i).request_id(), ids[i]);
    EXPECT_FALSE(response.outcomes(i).replayed());
  }
  const PurchaseOutcome& early = response.outcomes(0);
  ASSERT_TRUE(early.has_refused());
  EXPECT_EQ(early.refused().code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(DetailOf(early).reason(), "INSUFFICIENT_POINTS");
  ASSERT_TRUE(response.outcomes(1).has_committed());
  EXPECT_EQ(response.outcomes(1).committed().priced().points_earned(), 50);
  const PurchaseOutcome& unknown = response.outcomes(2);
  ASSERT_TRUE(unknown.has_refused());
  EXPECT_EQ(unknown.refused().code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(DetailOf(unknown).reason(), "UNKNOWN_MEMBER");
  EXPECT_EQ(DetailOf(unknown).field(), "purchase.member_id");
  ASSERT_TRUE(response.outcomes(3).has_committed())
      << response.outcomes(3).refused().message();
  EXPECT_EQ(response.outcomes(3).committed().priced().redeemed_points(), 10);
  ASSERT_TRUE(response.outcomes(4).has_committed());
  // 50 + 19 earned on 19.90 EUR paid - 10 redeemed; bob 30.
  EXPECT_EQ(PointsOf("ann"), 50 + 19 - 10);
  EXPECT_EQ(PointsOf("bob"), 30);
  ExpectAuditClean();
}

TEST_F(BatchTest, ABatchSentAgainGetsTheSameAnswersAndRecordsNothingTwice) {
  const CommitPurchasesRequest batch =
      Batch({Sale("r1", "ann", 5000), Sale("r2", "zed", 1000),
             Sale("r3", "bob", 2500, /*redeem=*/999)});
  CommitPurchasesResponse first;
  ASSERT_TRUE(CommitAll(batch, &first).ok());
  const int64_t recorded = RecordedEntries();
  CommitPurchasesResponse again;
  ASSERT_TRUE(CommitAll(batch, &again).ok());
  EXPECT_EQ(RecordedEntries(), recorded);
  ASSERT_EQ(again.outcomes_size(), 3);
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(again.outcomes(i).replayed());
    PurchaseOutcome expected = first.outcomes(i);
    expected.set_replayed(true);
    EXPECT_TRUE(MessageDifferencer::Equals(again.outcomes(i), expected))
        << again.outcomes(i).DebugString() << "\nvs\n"
        << expected.DebugString();
  }
  EXPECT_EQ(PointsOf("ann"), 50);
  // A single CommitPurchase with a batch's request id gets the batch's
  // answer, and a batch gets the answer of an earlier single sale.
  CommitPurchaseResponse single;
  ASSERT_TRUE(Commit(Sale("r1", "ann", 5000), &single).ok());
  EXPECT_TRUE(
      MessageDifferencer::Equals(single, first.outcomes(0).committed()));
  CommitPurchaseResponse alone;
  ASSERT_TRUE(Commit(Sale("s1", "bob", 4000), &alone).ok());
  CommitPurchasesResponse later;
  ASSERT_TRUE(CommitAll(Batch({Sale("s1", "bob", 4000)}), &later).ok());
  ASSERT_EQ(later.outcomes_size(), 1);
  EXPECT_TRUE(later.outcomes(0).replayed());
  EXPECT_TRUE(MessageDifferencer::Equals(later.outcomes(0).committed(), alone));
  EXPECT_EQ(RecordedEntries(), recorded + 1);
  ExpectAuditClean();
}

TEST_F(BatchTest, ARequestIdReusedForAnotherSaleIsRefusedAloneInTheBatch) {
  CommitPurchaseResponse single;
  ASSERT_TRUE(Commit(Sale("u1", "ann", 5000), &single).ok());
  CommitPurchasesResponse response;
  ASSERT_TRUE(CommitAll(Batch({Sale("u0", "bob", 1000),
                               Sale("u1", "ann", 7000),  // another basket
                               Sale("u2", "bob", 1000)}),
                        &response)
                  .ok());
  ASSERT_EQ(response.outcomes_size(), 3);
  EXPECT_TRUE(response.outcomes(0).has_committed());
  const PurchaseOutcome& reused = response.outcomes(1);
  ASSERT_TRUE(reused.has_refused());
  EXPECT_EQ(reused.refused().code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(DetailOf(reused).reason(), "REQUEST_ID_REUSED");
  EXPECT_EQ(DetailOf(reused).field(), "request_id");
  EXPECT_TRUE(response.outcomes(2).has_committed());
  EXPECT_EQ(PointsOf("ann"), 50);
  EXPECT_EQ(PointsOf("bob"), 20);
}

TEST_F(BatchTest, ARequestIdTwiceInOneBatchIsDecidedOnce) {
  CommitPurchasesResponse response;
  ASSERT_TRUE(CommitAll(Batch({Sale("d1", "ann", 5000), Sale("d1", "ann", 5000),
                               Sale("d1", "ann", 6000)}),
                        &response)
                  .ok());
  ASSERT_EQ(response.outcomes_size(), 3);
  ASSERT_TRUE(response.outcomes(0).has_committed());
  EXPECT_FALSE(response.outcomes(0).replayed());
  // The same sale again: the first answer, nothing recorded again.
  EXPECT_TRUE(response.outcomes(1).replayed());
  EXPECT_TRUE(MessageDifferencer::Equals(response.outcomes(1).committed(),
                                         response.outcomes(0).committed()));
  // Another sale under the same id: refused.
  EXPECT_EQ(DetailOf(response.outcomes(2)).reason(), "REQUEST_ID_REUSED");
  EXPECT_EQ(PointsOf("ann"), 50);
  ExpectAuditClean();
}

TEST_F(BatchTest, AnEmptyOrTooLongOrTooLargeBatchIsRefusedNamingTheRule) {
  const int64_t recorded = RecordedEntries();
  CommitPurchasesResponse response;
  const grpc::Status empty = CommitAll(CommitPurchasesRequest(), &response);
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(testing::DetailOf(empty).reason(), "MISSING_FIELD");
  EXPECT_EQ(testing::DetailOf(empty).field(), "purchases");

  std::vector<CommitPurchaseRequest> many;
  for (int i = 0; i <= kMaxBatchPurchases; ++i) {
    many.push_back(Sale(absl::StrCat("m", i), "ann", 100));
  }
  const grpc::Status too_many = CommitAll(Batch(many), &response);
  EXPECT_EQ(too_many.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(testing::DetailOf(too_many).reason(), "TOO_MANY_PURCHASES");
  EXPECT_EQ(testing::DetailOf(too_many).field(), "purchases");
  EXPECT_TRUE(absl::StrContains(too_many.error_message(), "at most 500"))
      << too_many.error_message();

  // 10 purchases of 1,000 lines with 120-byte skus: about 1.3 MB.
  std::vector<CommitPurchaseRequest> large;
  for (int i = 0; i < 10; ++i) {
    CommitPurchaseRequest sale = Sale(absl::StrCat("l", i), "ann", 100);
    for (int line = 1; line < kMaxBasketLines; ++line) {
      *sale.mutable_purchase()->add_lines() = sale.purchase().lines(0);
      sale.mutable_purchase()->mutable_lines(line)->set_sku(
          std::string(120, 's'));
    }
    large.push_back(std::move(sale));
  }
  const grpc::Status too_large = CommitAll(Batch(large), &response);
  EXPECT_EQ(too_large.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(testing::DetailOf(too_large).reason(), "BATCH_TOO_LARGE");
  EXPECT_EQ(testing::DetailOf(too_large).field(), "purchases");
  EXPECT_TRUE(
      absl::StrContains(too_large.error_message(), "at most 1048576 bytes"))
      << too_large.error_message();
  EXPECT_EQ(RecordedEntries(), recorded);

  // Exactly at the limit: every one of the 500 is decided and committed.
  many.pop_back();
  ASSERT_TRUE(CommitAll(Batch(many), &response).ok());
  ASSERT_EQ(response.outcomes_size(), kMaxBatchPurchases);
  for (const auto& outcome : response.outcomes()) {
    EXPECT_TRUE(outcome.has_committed()) << outcome.DebugString();
  }
  EXPECT_EQ(RecordedEntries(), recorded + kMaxBatchPurchases);
}

TEST_F(BatchTest, APurchaseOverASizeLimitRefusesTheBatchBeforeAnyIsDecided) {
  CommitPurchaseRequest bad = Sale("x2", "ann", 1000);
  bad.mutable_purchase()->mutable_lines(0)->set_sku(
      std::string(kMaxSkuBytes + 1, 's'));
  CommitPurchasesResponse response;
  const grpc::Status status =
      CommitAll(Batch({Sale("x1", "ann", 5000), bad}), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(testing::DetailOf(status).reason(), "TEXT_TOO_LONG");
  EXPECT_EQ(testing::DetailOf(status).field(),
            "purchases[1].purchase.lines[0].sku");
  EXPECT_EQ(PointsOf("ann"), 0);
  // Nothing was remembered under x1: sent again on its own, it is new.
  CommitPurchasesResponse again;
  ASSERT_TRUE(CommitAll(Batch({Sale("x1", "ann", 5000)}), &again).ok());
  EXPECT_FALSE(again.outcomes(0).replayed());
  EXPECT_TRUE(again.outcomes(0).has_committed());
}

}  // namespace
}  // namespace loyalty
