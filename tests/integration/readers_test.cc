// Long reads run on the reader pool (engine/server/reader_pool.h), off gRPC's
// threads, through a real loyaltyd (RocksDB in a temp dir, gRPC on
// loopback): sales keep committing while an export of 1,000,000 entries
// streams, and with every reader slot taken a long read is refused at once
// (UNAVAILABLE, READERS_BUSY), not queued without bound. Prints the commit
// latencies it saw; asserts order and progress, never a time.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/support/served_ledger.h"

namespace loyalty {
namespace {

constexpr int64_t kEntries = 1000000;
constexpr int64_t kEntriesPerWrite = 1000;
// Sales tried at most while the export runs (a bound, not an expectation).
constexpr int kMaxSales = 100000;

class ReadersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerOptions options = testing::ServedOptions();
    options.readers.threads = 2;
    options.readers.slots = 1;  // the export takes the only one
    ASSERT_NO_FATAL_FAILURE(served_.Start(options));
    ASSERT_NO_FATAL_FAILURE(FillJournal());
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::EnrollMemberRequest enroll;
    enroll.set_request_id("enroll-ann");
    enroll.mutable_profile()->set_member_id("ann");
    v1::EnrollMemberResponse enrolled;
    ASSERT_TRUE(
        served_.members().EnrollMember(&context, enroll, &enrolled).ok());
  }

  static void SetDeadline(grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(600));
  }

  // kEntries survey entries (no postings), written straight through the
  // ledger a thousand per write, a few writes in flight.
  void FillJournal() {
    constexpr int kInFlight = 4;
    absl::Mutex mu;
    int in_flight = 0;
    int failed = 0;
    const absl::Time start = absl::Now();
    for (int64_t write = 0; write < kEntries / kEntriesPerWrite; ++write) {
      {
        absl::MutexLock lock(&mu);
        mu.Await(absl::Condition(
            +[](int* n) { return *n < kInFlight; }, &in_flight));
        ++in_flight;
      }
      served_.server().ledger().Submit(
          ledger::Operation{
              absl::StrCat("fill-", write), "fill",
              [](ledger::Transaction& t) -> absl::StatusOr<std::string> {
                for (int64_t i = 0; i < kEntriesPerWrite; ++i) {
                  v1::JournalEntry entry;
                  entry.set_kind(v1::ENTRY_KIND_FEEDBACK);
                  entry.set_member_id("survey");
                  auto appended = t.Append(std::move(entry));
                  if (!appended.ok()) return appended.status();
                }
                return std::string();
              }},
          [&](ledger::Outcome outcome) {
            absl::MutexLock lock(&mu);
            --in_flight;
            if (!outcome.status.ok()) ++failed;
          });
    }
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](int* n) { return *n == 0; }, &in_flight));
    ASSERT_EQ(failed, 0);
    std::printf("journal of %lld entries written in %s\n",
                static_cast<long long>(kEntries),
                absl::FormatDuration(absl::Now() - start).c_str());
  }

  grpc::Status Sale(int number) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::CommitPurchaseRequest request;
    request.set_request_id(absl::StrCat("sale-", number));
    auto* purchase = request.mutable_purchase();
    purchase->set_member_id("ann");
    purchase->set_order_id(absl::StrCat("o-", number));
    purchase->set_currency("EUR");
    auto* line = purchase->add_lines();
    line->set_sku("coffee");
    line->set_quantity(1);
    line->set_unit_price_minor(350);
    v1::CommitPurchaseResponse response;
    return served_.checkout().CommitPurchase(&context, request, &response);
  }

  grpc::Status History() {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ListEntriesRequest request;
    request.set_member_id("ann");
    v1::ListEntriesResponse response;
    return served_.members().ListEntries(&context, request, &response);
  }

  testing::ServedLedger served_;
};

TEST_F(ReadersTest, SalesCommitWhileAMillionEntriesExport) {
  const int64_t snapshot = served_.server().ledger().Head().sequence();
  std::atomic<int64_t> exported{0};
  std::atomic<bool> export_over{false};
  absl::Notification first_page, go_on;
  grpc::Status export_status;
  absl::Duration export_took;
  std::thread exporter([&] {
    const absl::Time start = absl::Now();
    grpc::ClientContext context;
    SetDeadline(&context);
    auto reader =
        served_.audit().ExportLedger(&context, v1::ExportLedgerRequest());
    v1::ExportLedgerResponse page;
    while (reader->Read(&page)) {
      exported += page.entries_size();
      if (!first_page.HasBeenNotified()) {
        first_page.Notify();
        go_on.WaitForNotification();
      }
    }
    export_status = reader->Finish();
    export_took = absl::Now() - start;
    export_over = true;
    if (!first_page.HasBeenNotified()) first_page.Notify();
  });
  first_page.WaitForNotification();
  // The export holds the only reader slot until it ends: another long read
  // is refused at once, whatever the pool's threads are doing.
  const grpc::Status busy = History();
  EXPECT_EQ(busy.error_code(), grpc::StatusCode::UNAVAILABLE)
      << busy.error_message();
  EXPECT_EQ(testing::DetailOf(busy).reason(), "READERS_BUSY");
  go_on.Notify();

  std::vector<absl::Duration> latencies;
  int during_export = 0;
  for (int number = 0; !export_over && number < kMaxSales; ++number) {
    const absl::Time start = absl::Now();
    const grpc::Status sold = Sale(number);
    ASSERT_TRUE(sold.ok()) << sold.error_message();
    latencies.push_back(absl::Now() - start);
    if (!export_over) ++during_export;  // answered before the export ended
  }
  exporter.join();
  ASSERT_TRUE(export_status.ok()) << export_status.error_message();
  EXPECT_EQ(exported.load(), snapshot);  // the whole snapshot, and only it
  EXPECT_GT(during_export, 0);
  EXPECT_TRUE(History().ok());  // the slot is back

  std::sort(latencies.begin(), latencies.end());
  auto at = [&](double share) {
    return absl::FormatDuration(
        latencies[static_cast<size_t>(share * (latencies.size() - 1))]);
  };
  std::printf(
      "export of %lld entries: %s; %d sales committed during it, "
      "latency p50 %s, p99 %s, max %s\n",
      static_cast<long long>(exported.load()),
      absl::FormatDuration(export_took).c_str(), during_export, at(0.5).c_str(),
      at(0.99).c_str(), at(1.0).c_str());
}

}  // namespace
}  // namespace loyalty
