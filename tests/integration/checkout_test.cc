// A real loyaltyd server (ledger on RocksDB in a temp dir, gRPC on loopback)
// driven through the generated client stubs, as a POS terminal would.
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/base/time_util.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/support/served_ledger.h"

namespace loyalty {
namespace {

using loyalty::v1::CommitPurchaseRequest;
using loyalty::v1::CommitPurchaseResponse;

const absl::Time kNow = absl::FromUnixSeconds(1767225600);  // 2026-01-01

using testing::DetailOf;

class CheckoutTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }

  void StartServer() {
    server::ServerOptions options = testing::ServedOptions();
    options.clock = &clock_;
    ASSERT_NO_FATAL_FAILURE(served_.Start(options));
  }

  void RestartServer() {
    served_.Stop();
    StartServer();
  }

  static void SetDeadline(grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(10));
  }

  void Enroll(const std::string& id) {
    const grpc::Status status = served_.Enroll(id);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  static CommitPurchaseRequest Sale(const std::string& request_id,
                                    const std::string& member,
                                    int64_t price_minor, int64_t redeem = 0) {
    CommitPurchaseRequest request;
    request.set_request_id(request_id);
    v1::Purchase* purchase = request.mutable_purchase();
    purchase->set_member_id(member);
    purchase->set_order_id("order-" + request_id);
    purchase->set_store_id("store-1");
    purchase->set_terminal_id("till-3");
    purchase->set_channel(v1::CHANNEL_POS);
    purchase->set_currency("EUR");
    purchase->set_redeem_points(redeem);
    auto* line = purchase->add_lines();
    line->set_sku("sku-1");
    line->set_category("grocery");
    line->set_quantity(1);
    line->set_unit_price_minor(price_minor);
    return request;
  }

  grpc::Status Commit(const CommitPurchaseRequest& request,
                      CommitPurchaseResponse* response) {
    grpc::ClientContext context;
    SetDeadline(&context);
    return served_.checkout().CommitPurchase(&context, request, response);
  }

  v1::Balance BalanceOf(const std::string& id) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::GetBalanceRequest request;
    request.set_member_id(id);
    v1::GetBalanceResponse response;
    EXPECT_TRUE(served_.members().GetBalance(&context, request, &response).ok());
    return response.balance();
  }

  int EntryCount(const std::string& id) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ListEntriesRequest request;
    request.set_member_id(id);
    request.set_page_size(1000);
    v1::ListEntriesResponse response;
    EXPECT_TRUE(served_.members().ListEntries(&context, request, &response).ok());
    return response.entries_size();
  }

  void ExpectAuditClean() {
    auto report = served_.server().ledger().Audit();
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->ok()) << report->problem;
  }

  ManualClock clock_{kNow};
  testing::ServedLedger served_;  // after the clock it uses
};

TEST_F(CheckoutTest, CommitEarnsWhatTheRulesSayWithTheExplanation) {
  Enroll("ann");
  // Two lines: 2 x 12.50 + 1 x 9.99 = 34.99 EUR; 1 point per 1.00 EUR paid,
  // rounded down: 34 points.
  CommitPurchaseRequest request = Sale("s1", "ann", 1250);
  request.mutable_purchase()->mutable_lines(0)->set_quantity(2);
  auto* second = request.mutable_purchase()->add_lines();
  second->set_sku("sku-2");
  second->set_quantity(1);
  second->set_unit_price_minor(999);
  CommitPurchaseResponse response;
  ASSERT_TRUE(Commit(request, &response).ok());
  EXPECT_EQ(response.priced().subtotal_minor(), 3499);
  EXPECT_EQ(response.priced().total_due_minor(), 3499);
  EXPECT_EQ(response.priced().points_earned(), 34);
  EXPECT_EQ(response.balance().points_available(), 34);
  EXPECT_FALSE(response.transaction_id().empty());
  bool explained = false;
  for (const auto& row : response.priced().applied()) {
    if (row.points() == 34) {
      explained = true;
      EXPECT_NE(row.explanation().find("34"), std::string::npos)
          << row.explanation();
    }
  }
  EXPECT_TRUE(explained) << response.priced().DebugString();
  EXPECT_EQ(BalanceOf("ann").points_available(), 34);
  EXPECT_EQ(EntryCount("ann"), 2);  // the enrollment and the sale
  ExpectAuditClean();
}

TEST_F(CheckoutTest, QuoteWritesNothingAndMatchesTheCommit) {
  Enroll("ben");
  v1::QuotePurchaseRequest quote;
  *quote.mutable_purchase() = Sale("q", "ben", 5000).purchase();
  v1::QuotePurchaseResponse quoted;
  grpc::ClientContext context;
  SetDeadline(&context);
  ASSERT_TRUE(served_.checkout().QuotePurchase(&context, quote, &quoted).ok());
  EXPECT_EQ(quoted.priced().points_earned(), 50);
  EXPECT_EQ(BalanceOf("ben").points_available(), 0);
  EXPECT_EQ(EntryCount("ben"), 1);
  CommitPurchaseResponse committed;
  ASSERT_TRUE(Commit(Sale("q", "ben", 5000), &committed).ok());
  EXPECT_EQ(committed.priced().points_earned(), quoted.priced().points_earned());
}

TEST_F(CheckoutTest, BurningRespectsTheBasketShare) {
  Enroll("cat");
  CommitPurchaseResponse response;
  ASSERT_TRUE(Commit(Sale("big", "cat", 100000), &response).ok());
  ASSERT_EQ(response.balance().points_available(), 1000);
  // A 10.00 EUR basket: at most 50% = 500 minor = 500 points may be burned.
  grpc::Status over = Commit(Sale("over", "cat", 1000, 600), &response);
  EXPECT_EQ(over.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(DetailOf(over).reason(), "REDEEM_LIMIT_EXCEEDED");
  EXPECT_EQ(DetailOf(over).field(), "purchase.redeem_points");
  ASSERT_TRUE(Commit(Sale("max", "cat", 1000, 500), &response).ok());
  EXPECT_EQ(response.priced().max_redeemable_points(), 500);
  EXPECT_EQ(response.priced().redeemed_value_minor(), 500);
  EXPECT_EQ(response.priced().total_due_minor(), 500);
  // Earning is on what is paid: 5.00 EUR -> 5 points.
  EXPECT_EQ(response.priced().points_earned(), 5);
  EXPECT_EQ(response.balance().points_available(), 1000 - 500 + 5);
  ExpectAuditClean();
}

TEST_F(CheckoutTest, PointsEarnedOnAnOrderCannotPayForIt) {
  Enroll("dan");
  // The basket would earn 100 points, but the member has none before it.
  CommitPurchaseResponse response;
  grpc::Status status = Commit(Sale("s", "dan", 10000, 10), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(DetailOf(status).reason(), "INSUFFICIENT_POINTS");
  EXPECT_EQ(BalanceOf("dan").points_available(), 0);
  EXPECT_EQ(EntryCount("dan"), 1);  // no partial entry
}

TEST_F(CheckoutTest, RetrySameRequestIdReturnsTheSameAnswer) {
  Enroll("eve");
  CommitPurchaseResponse first, second;
  ASSERT_TRUE(Commit(Sale("r1", "eve", 2500), &first).ok());
  ASSERT_TRUE(Commit(Sale("r1", "eve", 2500), &second).ok());
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
  EXPECT_EQ(BalanceOf("eve").points_available(), 25);
  EXPECT_EQ(EntryCount("eve"), 2);
  CommitPurchaseResponse third;
  grpc::Status reused = Commit(Sale("r1", "eve", 2600), &third);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(DetailOf(reused).reason(), "REQUEST_ID_REUSED");
  EXPECT_EQ(DetailOf(reused).field(), "request_id");
  // Another request for an order already committed is refused too.
  CommitPurchaseRequest again = Sale("r2", "eve", 2500);
  again.mutable_purchase()->set_order_id("order-r1");
  grpc::Status duplicate_order = Commit(again, &third);
  EXPECT_EQ(duplicate_order.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(DetailOf(duplicate_order).reason(), "ORDER_ALREADY_COMMITTED");
  EXPECT_EQ(BalanceOf("eve").points_available(), 25);
}

TEST_F(CheckoutTest, ARefusalIsRememberedUnderItsRequestId) {
  CommitPurchaseResponse response;
  grpc::Status unknown = Commit(Sale("early", "fay", 1000), &response);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(DetailOf(unknown).reason(), "UNKNOWN_MEMBER");
  Enroll("fay");
  // The member exists now, but the retry keeps the first answer.
  grpc::Status retry = Commit(Sale("early", "fay", 1000), &response);
  EXPECT_EQ(retry.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(BalanceOf("fay").points_available(), 0);
}

TEST_F(CheckoutTest, ARestartKeepsEveryBalance) {
  Enroll("gus");
  Enroll("hal");
  CommitPurchaseResponse response;
  ASSERT_TRUE(Commit(Sale("g1", "gus", 12345), &response).ok());
  ASSERT_TRUE(Commit(Sale("h1", "hal", 999), &response).ok());
  ASSERT_TRUE(Commit(Sale("g2", "gus", 1000, 61), &response).ok());
  const v1::Balance gus = BalanceOf("gus");
  const v1::Balance hal = BalanceOf("hal");
  RestartServer();
  EXPECT_EQ(BalanceOf("gus").SerializeAsString(), gus.SerializeAsString());
  EXPECT_EQ(BalanceOf("hal").SerializeAsString(), hal.SerializeAsString());
  EXPECT_EQ(gus.points_available(), 123 - 61 + 9);
  EXPECT_EQ(served_.server().ledger().Head().member_count(), 2);
  ExpectAuditClean();
}

struct BadCase {
  const char* name;
  void (*mutate)(v1::Purchase*);
  grpc::StatusCode code;
  const char* reason;
  const char* field;
};

TEST_F(CheckoutTest, BadInputGetsTheRightCodeReasonAndFieldAndWritesNothing) {
  Enroll("ida");
  const BadCase cases[] = {
      {"empty basket", [](v1::Purchase* p) { p->clear_lines(); },
       grpc::StatusCode::INVALID_ARGUMENT, "EMPTY_BASKET", "purchase.lines"},
      {"zero quantity", [](v1::Purchase* p) { p->mutable_lines(0)->set_quantity(0); },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_QUANTITY",
       "purchase.lines[0].quantity"},
      {"negative price",
       [](v1::Purchase* p) { p->mutable_lines(0)->set_unit_price_minor(-5); },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PRICE",
       "purchase.lines[0].unit_price_minor"},
      {"unknown currency", [](v1::Purchase* p) { p->set_currency("XYZ"); },
       grpc::StatusCode::INVALID_ARGUMENT, "UNSUPPORTED_CURRENCY",
       "purchase.currency"},
      {"malformed currency", [](v1::Purchase* p) { p->set_currency("eur"); },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_CURRENCY",
       "purchase.currency"},
      {"overflow",
       [](v1::Purchase* p) {
         p->mutable_lines(0)->set_quantity(int64_t{1} << 62);
         p->mutable_lines(0)->set_unit_price_minor(4);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "AMOUNT_OVERFLOW",
       "purchase.lines[0]"},
      {"negative redeem", [](v1::Purchase* p) { p->set_redeem_points(-1); },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_AMOUNT",
       "purchase.redeem_points"},
      {"redeem more than the balance", [](v1::Purchase* p) { p->set_redeem_points(1); },
       grpc::StatusCode::FAILED_PRECONDITION, "INSUFFICIENT_POINTS",
       "purchase.redeem_points"},
      {"unknown member", [](v1::Purchase* p) { p->set_member_id("nobody"); },
       grpc::StatusCode::NOT_FOUND, "UNKNOWN_MEMBER", "purchase.member_id"},
  };
  const int64_t head = served_.server().ledger().Head().sequence();
  int index = 0;
  for (const BadCase& bad : cases) {
    CommitPurchaseRequest request = Sale(absl::StrCat("bad-", index++), "ida", 1000);
    bad.mutate(request.mutable_purchase());
    CommitPurchaseResponse response;
    grpc::Status status = Commit(request, &response);
    EXPECT_EQ(status.error_code(), bad.code) << bad.name;
    EXPECT_EQ(DetailOf(status).reason(), bad.reason) << bad.name;
    EXPECT_TRUE(absl::StartsWith(DetailOf(status).field(), bad.field))
        << bad.name << ": " << DetailOf(status).field();
    EXPECT_NE(status.error_message().find(bad.reason), std::string::npos);
  }
  EXPECT_EQ(served_.server().ledger().Head().sequence(), head);
  EXPECT_EQ(BalanceOf("ida").points_available(), 0);
}

TEST_F(CheckoutTest, SixtyFourConcurrentClientsLoseNoUpdate) {
  constexpr int kMembers = 8;
  constexpr int kClients = 64;
  constexpr int kSalesPerClient = 20;
  for (int m = 0; m < kMembers; ++m) Enroll(absl::StrCat("m", m));
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int s = 0; s < kSalesPerClient; ++s) {
        // Client c sells to member (c + s) % 8: every member is shared.
        const std::string member = absl::StrCat("m", (c + s) % kMembers);
        CommitPurchaseResponse response;
        // 7.00 EUR earns 7 points; retry each sale once to check doubling.
        CommitPurchaseRequest sale = Sale(absl::StrCat(c, "-", s), member, 700);
        if (!Commit(sale, &response).ok()) ++failures;
        if (!Commit(sale, &response).ok()) ++failures;
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(failures.load(), 0);
  const int sales_per_member = kClients * kSalesPerClient / kMembers;
  for (int m = 0; m < kMembers; ++m) {
    EXPECT_EQ(BalanceOf(absl::StrCat("m", m)).points_available(),
              7 * sales_per_member);
  }
  EXPECT_EQ(served_.server().ledger().Head().sequence(),
            kMembers + kClients * kSalesPerClient);
  ExpectAuditClean();
}

}  // namespace
}  // namespace loyalty
