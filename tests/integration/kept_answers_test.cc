// The answer a sale's request id keeps, through the public API of a real
// server (RocksDB in a temp dir, gRPC on loopback):
//   - the request's record keeps the answer without the priced purchase,
//     which the order's record holds, and a retry gets the whole first
//     answer back: in the same batch, from the writer's state and after a
//     restart alike;
//   - a record in the shape ledgers kept before (the whole answer) is
//     answered as it is;
//   - a kept answer whose order record cannot be read is DATA_LOSS
//     (STORED_RECORD_UNREADABLE): the sale is never decided again.
#include <functional>
#include <memory>
#include <string>

#include "engine/ledger/keys.h"
#include "engine/ledger/rocksdb_options.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "loyalty/v1/storage.pb.h"
#include "rocksdb/db.h"
#include "tests/support/ledger_database.h"
#include "tests/support/served_ledger.h"

namespace loyalty {
namespace {

using google::protobuf::util::MessageDifferencer;

const absl::Time kNow = absl::FromUnixSeconds(1767225600);  // 2026-01-01

class KeptAnswersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(Start());
    ASSERT_TRUE(served_.Enroll("ann").ok());
  }

  void Start() {
    server::ServerOptions options = testing::ServedOptions();
    options.clock = &clock_;
    ASSERT_NO_FATAL_FAILURE(served_.Start(options));
  }

  // Stops the server, lets `change` use its RocksDB database, restarts it.
  void WithServerStopped(const std::function<void(rocksdb::DB&)>& change) {
    served_.Stop();
    ASSERT_NO_FATAL_FAILURE(
        testing::WithLedgerDatabase(served_.data_dir(), change));
    ASSERT_NO_FATAL_FAILURE(Start());
  }

  // The idempotency record of `request_id`, read with the server stopped.
  v1::IdempotencyRecord StoredRecord(const std::string& request_id) {
    v1::IdempotencyRecord record;
    WithServerStopped([&](rocksdb::DB& db) {
      std::string value;
      ASSERT_TRUE(db.Get(rocksdb::ReadOptions(),
                         ledger::keys::Request(request_id), &value)
                      .ok());
      ASSERT_TRUE(record.ParseFromString(value));
    });
    return record;
  }

  void Put(const std::string& key, const std::string& value) {
    WithServerStopped([&](rocksdb::DB& db) {
      rocksdb::WriteOptions sync;
      sync.sync = true;
      ASSERT_TRUE(db.Put(sync, key, value).ok());
    });
  }

  // A sale of 25.00 EUR, which earns points by the test rules.
  static v1::CommitPurchaseRequest Sale(const std::string& request_id,
                                        const std::string& order_id) {
    v1::CommitPurchaseRequest request;
    request.set_request_id(request_id);
    v1::Purchase* purchase = request.mutable_purchase();
    purchase->set_member_id("ann");
    purchase->set_order_id(order_id);
    purchase->set_currency("EUR");
    auto* line = purchase->add_lines();
    line->set_sku("sku-1");
    line->set_quantity(1);
    line->set_unit_price_minor(2500);
    return request;
  }

  grpc::Status Commit(const v1::CommitPurchaseRequest& request,
                      v1::CommitPurchaseResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    return served_.checkout().CommitPurchase(&context, request, response);
  }

  // Commits `request` and returns its answer, which must have a priced
  // purchase with points earned (so that a lost part would show).
  v1::CommitPurchaseResponse FirstAnswer(
      const v1::CommitPurchaseRequest& request) {
    v1::CommitPurchaseResponse response;
    const grpc::Status status = Commit(request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_GT(response.priced().points_earned(), 0);
    EXPECT_GT(response.priced().applied_size(), 0);
    return response;
  }

  void ExpectAnswer(const v1::CommitPurchaseRequest& request,
                    const v1::CommitPurchaseResponse& expected) {
    v1::CommitPurchaseResponse again;
    const grpc::Status status = Commit(request, &again);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(MessageDifferencer::Equals(again, expected))
        << again.DebugString() << "\nexpected\n"
        << expected.DebugString();
  }

  ManualClock clock_{kNow};
  testing::ServedLedger served_;  // after the clock it uses
};

TEST_F(KeptAnswersTest,
       TheRequestRecordLeavesThePricedPurchaseToTheOrderRecord) {
  const auto sale = Sale("sale-1", "order-1");
  const v1::CommitPurchaseResponse first = FirstAnswer(sale);
  const v1::IdempotencyRecord record = StoredRecord("sale-1");
  ASSERT_TRUE(record.has_kept());
  EXPECT_TRUE(record.response().empty());
  v1::CommitPurchaseResponse kept;
  ASSERT_TRUE(kept.ParseFromString(record.kept()));
  EXPECT_FALSE(kept.has_priced());
  EXPECT_EQ(kept.transaction_id(), first.transaction_id());
  // The member's id is the request's (format "loyalty-ledger-4").
  v1::Balance balance = first.balance();
  EXPECT_EQ(balance.member_id(), "ann");
  balance.clear_member_id();
  EXPECT_TRUE(MessageDifferencer::Equals(kept.balance(), balance));
  EXPECT_LT(record.ByteSizeLong(), first.ByteSizeLong());
}

TEST_F(KeptAnswersTest, ARetryGetsTheWholeFirstAnswerBeforeAndAfterARestart) {
  const auto sale = Sale("sale-1", "order-1");
  const v1::CommitPurchaseResponse first = FirstAnswer(sale);
  ASSERT_NO_FATAL_FAILURE(ExpectAnswer(sale, first));  // the writer's state
  // A later sale and a refund change the member and the order's record;
  // the answer kept is still the first one.
  FirstAnswer(Sale("sale-2", "order-2"));
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    v1::RefundPurchaseRequest refund;
    refund.set_request_id("refund-1");
    refund.set_order_id("order-1");
    v1::RefundPurchaseResponse refunded;
    ASSERT_TRUE(
        served_.checkout().RefundPurchase(&context, refund, &refunded).ok());
  }
  served_.Stop();
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(ExpectAnswer(sale, first));  // from RocksDB
  // The same id for another sale is still refused.
  v1::CommitPurchaseResponse other;
  EXPECT_EQ(Commit(Sale("sale-1", "order-3"), &other).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
}

// The same sale twice in one CommitPurchases: the second is answered from
// the first's record while both are still in the batch being decided.
TEST_F(KeptAnswersTest, ARepeatInTheSameBatchGetsTheWholeFirstAnswer) {
  v1::CommitPurchasesRequest request;
  *request.add_purchases() = Sale("sale-1", "order-1");
  *request.add_purchases() = Sale("sale-1", "order-1");
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  v1::CommitPurchasesResponse response;
  const grpc::Status status =
      served_.checkout().CommitPurchases(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.outcomes_size(), 2);
  ASSERT_TRUE(response.outcomes(0).has_committed());
  ASSERT_TRUE(response.outcomes(1).has_committed())
      << response.outcomes(1).refused().message();
  EXPECT_FALSE(response.outcomes(0).replayed());
  EXPECT_TRUE(response.outcomes(1).replayed());
  EXPECT_GT(response.outcomes(0).committed().priced().points_earned(), 0);
  EXPECT_TRUE(MessageDifferencer::Equals(response.outcomes(1).committed(),
                                         response.outcomes(0).committed()));
  ASSERT_NO_FATAL_FAILURE(ExpectAnswer(Sale("sale-1", "order-1"),
                                       response.outcomes(0).committed()));
}

TEST_F(KeptAnswersTest, ARecordWithTheWholeAnswerIsAnsweredAsItIs) {
  const auto sale = Sale("sale-1", "order-1");
  v1::CommitPurchaseResponse old_answer = FirstAnswer(sale);
  v1::IdempotencyRecord record = StoredRecord("sale-1");
  // The shape of the ledger's first format: the whole response, no kept
  // part. A mark in it shows that it is what the retry gets.
  old_answer.mutable_balance()->set_points_available(424242);
  record.clear_kept();
  record.set_response(old_answer.SerializeAsString());
  ASSERT_NO_FATAL_FAILURE(
      Put(ledger::keys::Request("sale-1"), record.SerializeAsString()));
  ASSERT_NO_FATAL_FAILURE(ExpectAnswer(sale, old_answer));
}

TEST_F(KeptAnswersTest, AKeptAnswerWhoseOrderRecordIsUnreadableIsDataLoss) {
  const auto sale = Sale("sale-1", "order-1");
  FirstAnswer(sale);
  ASSERT_NO_FATAL_FAILURE(
      Put(ledger::keys::Aux("order//order-1"), "\xff\xff\xff\xff"));
  for (int retry = 0; retry < 2; ++retry) {
    v1::CommitPurchaseResponse response;
    const grpc::Status status = Commit(sale, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DATA_LOSS)
        << status.error_message();
    EXPECT_EQ(testing::DetailOf(status).reason(), "STORED_RECORD_UNREADABLE");
    EXPECT_EQ(testing::DetailOf(status).field(), "request_id");
  }
}

}  // namespace
}  // namespace loyalty
