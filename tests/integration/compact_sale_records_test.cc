// A sale's records without what they repeat (ledger format
// "loyalty-ledger-4"), through the public API of a real server (RocksDB in a
// temp dir, gRPC on loopback):
//   - the order record leaves out the ids its key holds, the priced
//     currency and the qualifying spend; the kept answer the member's id;
//     the member's month record the group counts that are its total;
//   - a ledger written in the shapes before (format "loyalty-ledger-3") is
//     moved along the step on open and read as it is: a retry of a sale
//     written before gets its first answer, its order refunds, metrics count
//     the same members, and a new sale in the same month counts on top.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "engine/analytics/activity.h"
#include "engine/ledger/format.h"
#include "engine/ledger/keys.h"
#include "engine/ledger/rocksdb_options.h"
#include "engine/program/order_record.h"
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
const char kMonth[] = "2026-01";

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(30));
  return context;
}

std::string Get(rocksdb::DB& db, const std::string& key) {
  std::string value;
  const rocksdb::Status status = db.Get(rocksdb::ReadOptions(), key, &value);
  EXPECT_TRUE(status.ok()) << key << ": " << status.ToString();
  return value;
}

void Put(rocksdb::DB& db, const std::string& key, const std::string& value) {
  rocksdb::WriteOptions sync;
  sync.sync = true;
  ASSERT_TRUE(db.Put(sync, key, value).ok());
}

class CompactSaleRecordsTest : public ::testing::Test {
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

  // A sale at store "s1" that earns points by the test rules.
  static v1::CommitPurchaseRequest Sale(const std::string& request_id,
                                        const std::string& order_id) {
    v1::CommitPurchaseRequest request;
    request.set_request_id(request_id);
    v1::Purchase* purchase = request.mutable_purchase();
    purchase->set_member_id("ann");
    purchase->set_order_id(order_id);
    purchase->set_store_id("s1");
    purchase->set_currency("EUR");
    auto* line = purchase->add_lines();
    line->set_sku("sku-1");
    line->set_quantity(2);
    line->set_unit_price_minor(2500);
    return request;
  }

  v1::CommitPurchaseResponse Commit(const v1::CommitPurchaseRequest& request) {
    v1::CommitPurchaseResponse response;
    const grpc::Status status =
        served_.checkout().CommitPurchase(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_GT(response.priced().points_earned(), 0);
    return response;
  }

  v1::GetProgramMetricsResponse Metrics() {
    v1::GetProgramMetricsRequest request;
    request.set_grouping(v1::METRICS_GROUPING_STORE);
    v1::GetProgramMetricsResponse response;
    const grpc::Status status =
        served_.audit().GetProgramMetrics(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  // The store's row: (active members, repeat members, purchases).
  static std::tuple<int64_t, int64_t, int64_t> StoreRow(
      const v1::GetProgramMetricsResponse& metrics) {
    for (const v1::MetricsRow& row : metrics.rows()) {
      if (row.group() == "s1" || row.group() == "store:s1") {
        return {row.active_members(), row.repeat_members(), row.purchases()};
      }
    }
    ADD_FAILURE() << "no row for store s1 in " << metrics.DebugString();
    return {};
  }

  void ExpectVerified() {
    v1::VerifyLedgerResponse response;
    ASSERT_TRUE(
        served_.audit()
            .VerifyLedger(Context().get(), v1::VerifyLedgerRequest(), &response)
            .ok());
    EXPECT_TRUE(response.ok()) << response.problem();
  }

  ManualClock clock_{kNow};
  testing::ServedLedger served_;  // after the clock it uses
};

const std::string kOrderKey =
    ledger::keys::Aux(program::OrderKey("", "order-1"));
const std::string kMonthKey =
    ledger::keys::Aux(analytics::MemberMonthKey(kMonth, "ann"));

TEST_F(CompactSaleRecordsTest, ASaleWritesItsRecordsWithoutRepeats) {
  const v1::CommitPurchaseResponse first = Commit(Sale("sale-1", "order-1"));
  WithServerStopped([&](rocksdb::DB& db) {
    EXPECT_EQ(Get(db, ledger::kFormatKey), ledger::LedgerFormats().current);
    v1::OrderRecord order;
    ASSERT_TRUE(order.ParseFromString(Get(db, kOrderKey)));
    EXPECT_NE(order.left_out() & v1::ORDER_LEFT_OUT_KEY_IDS, 0u);
    EXPECT_NE(order.left_out() & v1::ORDER_LEFT_OUT_PRICED_CURRENCY, 0u);
    EXPECT_TRUE(order.purchase().order_id().empty());
    EXPECT_TRUE(order.priced().currency().empty());
    EXPECT_EQ(order.purchase().store_id(), "s1");
    // Read back, it is the order as priced: the answer's priced purchase.
    v1::OrderRecord whole;
    ASSERT_TRUE(
        program::ReadStoredOrder(Get(db, kOrderKey), "", "order-1", &whole));
    EXPECT_EQ(whole.purchase().order_id(), "order-1");
    EXPECT_EQ(whole.left_out(), 0u);
    EXPECT_TRUE(MessageDifferencer::Equals(whole.priced(), first.priced()));
    EXPECT_LT(order.ByteSizeLong(), whole.ByteSizeLong());

    v1::IdempotencyRecord request;
    ASSERT_TRUE(
        request.ParseFromString(Get(db, ledger::keys::Request("sale-1"))));
    v1::CommitPurchaseResponse kept;
    ASSERT_TRUE(kept.ParseFromString(request.kept()));
    EXPECT_TRUE(kept.balance().member_id().empty());

    v1::MemberMonth month;
    ASSERT_TRUE(month.ParseFromString(Get(db, kMonthKey)));
    EXPECT_EQ(month.purchases(), 1);
    EXPECT_TRUE(month.group_purchases().empty());
    EXPECT_FALSE(month.every_purchase_groups().empty());
  });
  EXPECT_EQ(StoreRow(Metrics()), std::make_tuple(1, 0, 1));
}

// Rewrites the sale's records in the shapes of "loyalty-ledger-3" and moves
// the format key back there.
void MakeOldShapes(rocksdb::DB& db, const std::string& request_id) {
  v1::OrderRecord order;
  ASSERT_TRUE(
      program::ReadStoredOrder(Get(db, kOrderKey), "", "order-1", &order));
  Put(db, kOrderKey, order.SerializeAsString());
  v1::IdempotencyRecord request;
  ASSERT_TRUE(
      request.ParseFromString(Get(db, ledger::keys::Request(request_id))));
  v1::CommitPurchaseResponse kept;
  ASSERT_TRUE(kept.ParseFromString(request.kept()));
  kept.mutable_balance()->set_member_id("ann");
  request.set_kept(kept.SerializeAsString());
  Put(db, ledger::keys::Request(request_id), request.SerializeAsString());
  v1::MemberMonth month;
  ASSERT_TRUE(month.ParseFromString(Get(db, kMonthKey)));
  analytics::ExpandMemberMonth(&month);
  Put(db, kMonthKey, month.SerializeAsString());
  Put(db, ledger::kFormatKey, "loyalty-ledger-3");
}

TEST_F(CompactSaleRecordsTest, ALedgerOfTheFormatBeforeIsReadAsItIs) {
  const auto sale = Sale("sale-1", "order-1");
  const v1::CommitPurchaseResponse first = Commit(sale);
  const v1::GetProgramMetricsResponse metrics = Metrics();
  WithServerStopped([&](rocksdb::DB& db) {
    ASSERT_NO_FATAL_FAILURE(MakeOldShapes(db, "sale-1"));
    v1::OrderRecord order;
    ASSERT_TRUE(order.ParseFromString(Get(db, kOrderKey)));
    ASSERT_EQ(order.purchase().order_id(), "order-1");  // the old shape
    ASSERT_EQ(order.left_out(), 0u);
  });
  // Moved along the steps on open; nothing rewritten.
  WithServerStopped([&](rocksdb::DB& db) {
    EXPECT_EQ(Get(db, ledger::kFormatKey), ledger::LedgerFormats().current);
    v1::OrderRecord order;
    ASSERT_TRUE(order.ParseFromString(Get(db, kOrderKey)));
    EXPECT_EQ(order.purchase().order_id(), "order-1");
  });
  // The retry gets the first answer, metrics count the same.
  v1::CommitPurchaseResponse again;
  ASSERT_TRUE(
      served_.checkout().CommitPurchase(Context().get(), sale, &again).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(again, first))
      << again.DebugString() << "\nexpected\n"
      << first.DebugString();
  EXPECT_TRUE(MessageDifferencer::Equals(Metrics(), metrics));
  // A new sale in the month counts on top of the old record.
  const v1::CommitPurchaseResponse second = Commit(Sale("sale-2", "order-2"));
  EXPECT_EQ(StoreRow(Metrics()), std::make_tuple(1, 1, 2));
  // The old order refunds in full, as a whole record.
  v1::RefundPurchaseRequest refund;
  refund.set_request_id("refund-1");
  refund.set_order_id("order-1");
  v1::RefundPurchaseResponse refunded;
  const grpc::Status status =
      served_.checkout().RefundPurchase(Context().get(), refund, &refunded);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(
      refunded.balance().points_available(),
      second.balance().points_available() - first.priced().points_earned());
  ASSERT_NO_FATAL_FAILURE(ExpectVerified());
  // The refund wrote the order back in today's shape, whole when read.
  WithServerStopped([&](rocksdb::DB& db) {
    v1::OrderRecord order;
    ASSERT_TRUE(
        program::ReadStoredOrder(Get(db, kOrderKey), "", "order-1", &order));
    EXPECT_EQ(order.purchase().order_id(), "order-1");
    EXPECT_EQ(order.purchase().member_id(), "ann");
    EXPECT_EQ(order.refunded_quantity(0), 2);
    EXPECT_EQ(order.priced().currency(), "EUR");
  });
  // The retry of the refunded sale still gets its first answer.
  ASSERT_TRUE(
      served_.checkout().CommitPurchase(Context().get(), sale, &again).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(again, first));
}

TEST(MemberMonthShape, CompactAndExpandAreEachOthersInverse) {
  v1::MemberMonth whole;
  whole.set_purchases(3);
  (*whole.mutable_group_purchases())["store:s1"] = 3;
  (*whole.mutable_group_purchases())["store:s2"] = 1;
  (*whole.mutable_group_purchases())["tier:-"] = 3;
  v1::MemberMonth compact = whole;
  analytics::CompactMemberMonth(&compact);
  EXPECT_EQ(compact.group_purchases_size(), 1);
  ASSERT_EQ(compact.every_purchase_groups_size(), 2);
  EXPECT_EQ(compact.every_purchase_groups(0), "store:s1");
  EXPECT_EQ(compact.every_purchase_groups(1), "tier:-");
  analytics::ExpandMemberMonth(&compact);
  EXPECT_TRUE(MessageDifferencer::Equals(compact, whole));
  analytics::ExpandMemberMonth(&whole);  // an old record stays as it is
  EXPECT_EQ(whole.group_purchases_size(), 3);
}

}  // namespace
}  // namespace loyalty
