// Stored records that cannot be read, and sums that would not fit, through
// the public API of a real server (RocksDB in a temp dir, gRPC on loopback).
// The records are damaged in RocksDB directly while the server is stopped.
//   - An idempotency record or an order record that does not parse is
//     DATA_LOSS (STORED_RECORD_UNREADABLE): the request is never decided
//     again, nothing is written, and the refusal is not kept as its answer.
//   - A metrics counter that an operation would push past INT64_MAX refuses
//     the operation (INVALID_ARGUMENT, AMOUNT_OVERFLOW) with nothing written.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/analytics/counters.h"
#include "engine/ledger/keys.h"
#include "engine/ledger/rocksdb_options.h"
#include "gtest/gtest.h"
#include "loyalty/v1/storage.pb.h"
#include "rocksdb/db.h"
#include "tests/support/ledger_database.h"
#include "tests/support/served_ledger.h"

namespace loyalty {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1767225600);  // 2026-01-01
// Bytes that are no protobuf message: a field tag whose varint never ends.
constexpr char kGarbage[] = "\xff\xff\xff\xff";

using testing::DetailOf;

class DamagedRecordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(Start());
    ASSERT_NO_FATAL_FAILURE(Enroll("ann"));
  }

  void Start() {
    server::ServerOptions options = testing::ServedOptions();
    options.clock = &clock_;
    ASSERT_NO_FATAL_FAILURE(served_.Start(options));
  }

  // Stops the server, lets `change` edit its RocksDB database, restarts it.
  void WithServerStopped(const std::function<void(rocksdb::DB&)>& change) {
    served_.Drop();
    ASSERT_NO_FATAL_FAILURE(
        testing::WithLedgerDatabase(served_.data_dir(), change));
    ASSERT_NO_FATAL_FAILURE(Start());
  }

  void Damage(const std::string& key) {
    WithServerStopped([&](rocksdb::DB& db) {
      std::string value;
      ASSERT_TRUE(db.Get(rocksdb::ReadOptions(), key, &value).ok()) << key;
      rocksdb::WriteOptions sync;
      sync.sync = true;
      ASSERT_TRUE(db.Put(sync, key, kGarbage).ok());
    });
  }

  static void SetDeadline(grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }

  void Enroll(const std::string& id) {
    const grpc::Status status = served_.Enroll(id);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  static v1::CommitPurchaseRequest Sale(const std::string& request_id,
                                        const std::string& order_id, int64_t price_minor) {
    v1::CommitPurchaseRequest request;
    request.set_request_id(request_id);
    v1::Purchase* purchase = request.mutable_purchase();
    purchase->set_member_id("ann");
    purchase->set_order_id(order_id);
    purchase->set_currency("EUR");
    auto* line = purchase->add_lines();
    line->set_sku("sku-1");
    line->set_quantity(1);
    line->set_unit_price_minor(price_minor);
    return request;
  }

  grpc::Status Commit(const v1::CommitPurchaseRequest& request) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::CommitPurchaseResponse response;
    return served_.checkout().CommitPurchase(&context, request, &response);
  }

  grpc::Status Refund(const std::string& request_id, const std::string& order_id) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::RefundPurchaseRequest request;
    request.set_request_id(request_id);
    request.set_order_id(order_id);
    v1::RefundPurchaseResponse response;
    return served_.checkout().RefundPurchase(&context, request, &response);
  }

  int64_t Points() {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::GetBalanceRequest request;
    request.set_member_id("ann");
    v1::GetBalanceResponse response;
    EXPECT_TRUE(served_.members().GetBalance(&context, request, &response).ok());
    return response.balance().points_available();
  }

  // The newest entry's sequence, as VerifyLedger reports it (and a check
  // that the ledger still verifies).
  int64_t Head() {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::VerifyLedgerResponse verified;
    const grpc::Status status =
        served_.audit().VerifyLedger(&context, v1::VerifyLedgerRequest(), &verified);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(verified.ok()) << verified.problem();
    return verified.head_sequence();
  }

  static void ExpectDataLoss(const grpc::Status& status, const std::string& field) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DATA_LOSS) << status.error_message();
    EXPECT_EQ(DetailOf(status).reason(), "STORED_RECORD_UNREADABLE") << status.error_message();
    EXPECT_EQ(DetailOf(status).field(), field);
  }

  ManualClock clock_{kNow};
  testing::ServedLedger served_;  // after the clock it uses
};

// A retry whose first answer cannot be read is not decided again: that
// could record the sale twice or answer it differently.
TEST_F(DamagedRecordsTest, ARetryWhoseStoredAnswerIsUnreadableIsDataLoss) {
  const auto sale = Sale("sale-1", "order-1", 2500);
  ASSERT_TRUE(Commit(sale).ok());
  const int64_t points = Points();
  ASSERT_NO_FATAL_FAILURE(Damage(ledger::keys::Request("sale-1")));
  const int64_t head = Head();
  for (int retry = 0; retry < 2; ++retry) {
    ExpectDataLoss(Commit(sale), "request_id");
  }
  EXPECT_EQ(Head(), head) << "the journal grew";
  EXPECT_EQ(Points(), points);
}

TEST_F(DamagedRecordsTest, AnEnrollmentRetryWhoseStoredAnswerIsUnreadableIsDataLoss) {
  ASSERT_NO_FATAL_FAILURE(Damage(ledger::keys::Request("enroll-ann")));
  const int64_t head = Head();
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::EnrollMemberRequest request;
  request.set_request_id("enroll-ann");
  request.mutable_profile()->set_member_id("ann");
  v1::EnrollMemberResponse response;
  ExpectDataLoss(served_.members().EnrollMember(&context, request, &response), "request_id");
  EXPECT_EQ(Head(), head);
}

// A refund of an order whose record cannot be read: DATA_LOSS, not "no such
// order", and not kept under the refund's request id (a retry after a
// repair must be decided then).
TEST_F(DamagedRecordsTest, ARefundOfAnOrderWhoseRecordIsUnreadableIsDataLoss) {
  ASSERT_TRUE(Commit(Sale("sale-1", "order-1", 2500)).ok());
  const int64_t points = Points();
  ASSERT_NO_FATAL_FAILURE(Damage(ledger::keys::Aux("order//order-1")));
  const int64_t head = Head();
  for (int retry = 0; retry < 2; ++retry) {
    ExpectDataLoss(Refund("refund-1", "order-1"), "order_id");
  }
  EXPECT_EQ(Head(), head) << "the journal grew";
  EXPECT_EQ(Points(), points);
  // A refund of an order that was never committed is still NOT_FOUND.
  EXPECT_EQ(Refund("refund-2", "order-2").error_code(), grpc::StatusCode::NOT_FOUND);
}

// A second sale with a committed order's id while the order's record cannot
// be read: DATA_LOSS, not ORDER_ALREADY_COMMITTED naming a transaction 0.
TEST_F(DamagedRecordsTest, ASaleReusingAnOrderWhoseRecordIsUnreadableIsDataLoss) {
  ASSERT_TRUE(Commit(Sale("sale-1", "order-1", 2500)).ok());
  ASSERT_NO_FATAL_FAILURE(Damage(ledger::keys::Aux("order//order-1")));
  const int64_t head = Head();
  ExpectDataLoss(Commit(Sale("sale-2", "order-1", 2500)), "purchase.order_id");
  EXPECT_EQ(Head(), head);
}

// The month's revenue counter one sale short of INT64_MAX: the sale that
// would carry it over is refused whole (no entry, no points, no counter
// change); one that still fits goes through.
TEST_F(DamagedRecordsTest, ASaleThatWouldOverflowACounterIsRefusedWhole) {
  ASSERT_TRUE(Commit(Sale("sale-1", "order-1", 2500)).ok());
  const std::string key =
      ledger::keys::Counter(analytics::GroupKey(analytics::MonthOf(kNow), "all"));
  constexpr int64_t kRoom = 100;
  WithServerStopped([&](rocksdb::DB& db) {
    std::string value;
    ASSERT_TRUE(db.Get(rocksdb::ReadOptions(), key, &value).ok()) << key;
    v1::CounterSet counter;
    ASSERT_TRUE(counter.ParseFromString(value));
    ASSERT_GT(counter.values_size(), analytics::kRevenueMinor);
    counter.set_values(analytics::kRevenueMinor, std::numeric_limits<int64_t>::max() - kRoom);
    rocksdb::WriteOptions sync;
    sync.sync = true;
    ASSERT_TRUE(db.Put(sync, key, counter.SerializeAsString()).ok());
  });
  const int64_t points = Points();
  const int64_t head = Head();

  const grpc::Status refused = Commit(Sale("sale-2", "order-2", kRoom + 1));
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << refused.error_message();
  EXPECT_EQ(DetailOf(refused).reason(), "AMOUNT_OVERFLOW") << refused.error_message();
  EXPECT_EQ(Head(), head) << "a refused sale wrote an entry";
  EXPECT_EQ(Points(), points);

  ASSERT_TRUE(Commit(Sale("sale-3", "order-3", kRoom)).ok());
  EXPECT_EQ(Head(), head + 1);
}

}  // namespace
}  // namespace loyalty
