// SIGTERM on the real loyaltyd binary, with work in flight: an idle client
// connection, a streaming export, a maintenance run, and sales from several
// clients. Each time loyaltyd must exit (code 0) soon after the calls in
// flight; the stop must not wait for the client to hang up, for the export to
// reach its end or for the run to visit every member. After a restart, every
// acknowledged sale is in the ledger exactly once, under the transaction id
// it was answered with, every balance is what the recorded sales make it, and
// Audit.VerifyLedger is clean.
//
// loyaltyd runs with --shutdown_timeout=60s, so that anything that holds the
// stop (rather than finishing) shows as a stop longer than kHangBound, or
// kConnectionHoldBound where only connections are left. The time each stop
// took is printed; it is not asserted beyond those bounds.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/channel_arguments.h"
#include "gtest/gtest.h"
#include "loyalty/v1/audit.grpc.pb.h"
#include "loyalty/v1/checkout.grpc.pb.h"
#include "loyalty/v1/members.grpc.pb.h"
#include "loyalty/v1/program.grpc.pb.h"
#include "tests/crash/child_process.h"
#include "tests/crash/loyaltyd_process.h"
#include "tests/support/temp_dir.h"

namespace loyalty {
namespace {

// Longer than any prompt stop, far shorter than --shutdown_timeout.
constexpr absl::Duration kHangBound = absl::Seconds(10);
// gRPC alone holds a stop about 5 s for an open client connection; a stop
// that closes connections takes tens of milliseconds. This bound tells the
// two apart with a wide margin either side.
constexpr absl::Duration kConnectionHoldBound = absl::Seconds(3);
constexpr absl::Duration kCallTimeout = absl::Seconds(30);
constexpr int kClients = 8;
// Every sale is one line of 10.00 EUR: 10 points under the default rules.
constexpr int64_t kSaleMinor = 1000;
constexpr int64_t kPointsPerSale = 10;

std::string MemberId(int index) { return absl::StrCat("m", index); }

void SetDeadline(grpc::ClientContext* context, absl::Duration timeout = kCallTimeout) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

// A sale of kSaleMinor in one line.
v1::CommitPurchaseRequest Sale(const std::string& request_id, int member) {
  v1::CommitPurchaseRequest request;
  request.set_request_id(request_id);
  v1::Purchase* purchase = request.mutable_purchase();
  purchase->set_member_id(MemberId(member));
  purchase->set_order_id(request_id);
  purchase->set_currency("EUR");
  v1::PurchaseLine* line = purchase->add_lines();
  line->set_sku("coffee");
  line->set_category("drinks");
  line->set_quantity(1);
  line->set_unit_price_minor(kSaleMinor);
  return request;
}

// Runs body(i) for i in [0, count) on kClients threads.
void ParallelFor(int count, const std::function<void(int)>& body) {
  std::atomic<int> next{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < kClients; ++t) {
    workers.emplace_back([&] {
      for (int i = next++; i < count; i = next++) body(i);
    });
  }
  for (auto& worker : workers) worker.join();
}

class ShutdownTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_ != nullptr && HasFailure()) {
      std::printf("loyaltyd stderr:\n%s\n",
                  testing::ReadWholeFile(server_->stderr_path()).c_str());
    }
    server_.reset();  // SIGKILL and wait, if still running
  }

  // The default rules, plus `extra` YAML.
  std::string WriteRules(const std::string& extra) {
    const std::string path = dir_.Sub("rules.yaml");
    const std::string text = testing::ReadWholeFile(testing::DefaultRulesPath()) + extra;
    FILE* file = std::fopen(path.c_str(), "w");
    if (file != nullptr) {
      std::fwrite(text.data(), 1, text.size(), file);
      std::fclose(file);
    }
    return path;
  }

  void Start(const std::string& rules = testing::DefaultRulesPath()) {
    std::vector<std::string> args = testing::LoyaltydArgs(dir_.Sub("data"), rules);
    args.push_back("--upkeep_every=0");
    args.push_back("--shutdown_timeout=60s");
    auto started = testing::StartLoyaltyd(args, dir_.Sub(absl::StrCat("loyaltyd-", ++starts_)));
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = std::move(started->process);
    server_address_ = absl::StrCat("127.0.0.1:", started->port);
    channel_ = grpc::CreateChannel(server_address_, grpc::InsecureChannelCredentials());
  }

  // SIGTERM, then waits for loyaltyd's exit; returns how long it took.
  absl::Duration Stop(const std::string& during, absl::Duration bound = kHangBound) {
    const absl::Time sent = absl::Now();
    server_->Signal(SIGTERM);
    const auto ended = server_->WaitFor(bound);
    const absl::Duration took = absl::Now() - sent;
    std::printf("loyaltyd stopped %s after SIGTERM during %s\n",
                absl::FormatDuration(absl::Trunc(took, absl::Milliseconds(1))).c_str(),
                during.c_str());
    EXPECT_TRUE(ended.has_value()) << "loyaltyd still runs " << bound
                                   << " after SIGTERM during " << during;
    if (ended.has_value()) {
      EXPECT_TRUE(ended->exited && ended->exit_code == 0) << ended->ToString();
    }
    server_.reset();
    return took;
  }

  void Enroll(int members, const std::string& birth_date = "") {
    ParallelFor(members, [&](int m) {
      auto stub = v1::Members::NewStub(channel_);
      v1::EnrollMemberRequest request;
      request.set_request_id(absl::StrCat("enroll-", m));
      request.mutable_profile()->set_member_id(MemberId(m));
      request.mutable_profile()->set_birth_date(birth_date);
      v1::EnrollMemberResponse response;
      grpc::ClientContext context;
      SetDeadline(&context);
      const grpc::Status status = stub->EnrollMember(&context, request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
    });
  }

  // Sends one sale; when it is acknowledged, keeps its transaction id.
  grpc::Status Commit(v1::Checkout::Stub& stub, const std::string& request_id, int member) {
    v1::CommitPurchaseResponse response;
    grpc::ClientContext context;
    SetDeadline(&context);
    const grpc::Status status =
        stub.CommitPurchase(&context, Sale(request_id, member), &response);
    if (status.ok()) {
      absl::MutexLock lock(&mu_);
      acknowledged_[request_id] = response.transaction_id();
    }
    return status;
  }

  // `count` sales spread over `members` members, from kClients clients.
  void CommitSales(int count, int members) {
    ParallelFor(count, [&](int i) {
      auto stub = v1::Checkout::NewStub(channel_);
      const grpc::Status status = Commit(*stub, absl::StrCat("sale-", i), i % members);
      EXPECT_TRUE(status.ok()) << status.error_message();
    });
  }

  // The whole journal, read from one export.
  std::vector<v1::JournalEntry> ExportAll() {
    auto audit = v1::Audit::NewStub(channel_);
    grpc::ClientContext context;
    SetDeadline(&context, absl::Seconds(120));
    auto reader = audit->ExportLedger(&context, v1::ExportLedgerRequest());
    std::vector<v1::JournalEntry> entries;
    v1::ExportLedgerResponse page;
    while (reader->Read(&page)) {
      for (auto& entry : *page.mutable_entries()) entries.push_back(std::move(entry));
    }
    const grpc::Status status = reader->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return entries;
  }

  // After a restart: the ledger verifies, every acknowledged sale is in it
  // once under its transaction id, and each member's points are 10 per
  // recorded sale plus `extra_points_each`.
  void CheckAfterRestart(int members, int64_t extra_points_each = 0) {
    auto audit = v1::Audit::NewStub(channel_);
    {
      grpc::ClientContext context;
      SetDeadline(&context, absl::Seconds(120));
      v1::VerifyLedgerResponse verified;
      const grpc::Status status =
          audit->VerifyLedger(&context, v1::VerifyLedgerRequest(), &verified);
      ASSERT_TRUE(status.ok()) << status.error_message();
      EXPECT_TRUE(verified.ok()) << verified.problem();
    }
    absl::flat_hash_map<std::string, int64_t> sequence_of;
    std::vector<int64_t> sales_of(members, 0);
    for (const v1::JournalEntry& entry : ExportAll()) {
      if (!entry.has_purchase()) continue;
      EXPECT_TRUE(sequence_of.emplace(entry.request_id(), entry.sequence()).second)
          << "sale " << entry.request_id() << " recorded twice";
      for (int m = 0; m < members; ++m) {
        if (entry.member_id() == MemberId(m)) ++sales_of[m];
      }
    }
    absl::MutexLock lock(&mu_);
    // A sale either was answered and is recorded, or was refused and is not:
    // the stop leaves no sale done without its answer.
    for (const std::string& request_id : refused_) {
      EXPECT_FALSE(sequence_of.contains(request_id))
          << "sale " << request_id << " was refused at the stop, yet recorded";
    }
    for (const auto& [request_id, transaction] : acknowledged_) {
      auto it = sequence_of.find(request_id);
      ASSERT_TRUE(it != sequence_of.end()) << "acknowledged sale " << request_id << " is lost";
      EXPECT_EQ(absl::StrCat(it->second), transaction) << request_id;
    }
    auto members_stub = v1::Members::NewStub(channel_);
    for (int m = 0; m < members; ++m) {
      v1::GetBalanceRequest request;
      request.set_member_id(MemberId(m));
      v1::GetBalanceResponse response;
      grpc::ClientContext context;
      SetDeadline(&context);
      ASSERT_TRUE(members_stub->GetBalance(&context, request, &response).ok());
      EXPECT_EQ(response.balance().points_available(),
                sales_of[m] * kPointsPerSale + extra_points_each)
          << MemberId(m);
    }
    std::printf(
        "after restart: %zu sales acknowledged, %zu refused at the stop, %zu recorded; "
        "ledger verifies\n",
        acknowledged_.size(), refused_.size(), sequence_of.size());
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::ChildProcess> server_;
  std::string server_address_;
  std::shared_ptr<grpc::Channel> channel_;
  int starts_ = 0;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::string> acknowledged_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> refused_ ABSL_GUARDED_BY(mu_);
};

// A client that made a call and keeps its connection open (what a POS or an
// e-shop backend does) must not hold the stop until the shutdown timeout.
TEST_F(ShutdownTest, AnIdleClientConnectionDoesNotHoldTheStop) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Enroll(2));
  auto stub = v1::Checkout::NewStub(channel_);
  ASSERT_TRUE(Commit(*stub, "sale-idle", 1).ok());
  // The channel stays connected and idle while loyaltyd stops.
  Stop("an idle client connection", kConnectionHoldBound);
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(CheckAfterRestart(2));
}

// An export still streaming ends at its next page with UNAVAILABLE (export
// again later) instead of holding the stop until its last entry.
TEST_F(ShutdownTest, AnExportInProgressEndsAndTheStopIsPrompt) {
  // About 1.6 MB of export. The exporting client keeps gRPC's flow-control
  // windows at their 64 KiB start (no BDP probing, which would let the whole
  // export into buffers), so the export is still streaming at the stop.
  constexpr int kMembers = 16;
  constexpr int kSales = 6000;
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Enroll(kMembers));
  ASSERT_NO_FATAL_FAILURE(CommitSales(kSales, kMembers));

  grpc::ChannelArguments small_windows;
  small_windows.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  auto audit = v1::Audit::NewStub(grpc::CreateCustomChannel(
      server_address_, grpc::InsecureChannelCredentials(), small_windows));
  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(120));
  auto reader = audit->ExportLedger(&context, v1::ExportLedgerRequest());
  v1::ExportLedgerResponse page;
  ASSERT_TRUE(reader->Read(&page));
  const int64_t snapshot = page.snapshot_sequence();
  int64_t received = page.entries_size();
  const size_t page_bytes = page.ByteSizeLong();
  // The client pauses (the server's writes wait on flow control), loyaltyd
  // is told to stop, then the client reads on as fast as it can.
  absl::SleepFor(absl::Milliseconds(200));
  std::thread stop([&] { Stop("an export"); });
  absl::SleepFor(absl::Milliseconds(300));
  while (reader->Read(&page)) received += page.entries_size();
  const grpc::Status status = reader->Finish();
  stop.join();
  std::printf("export: %lld of %lld entries received (%zu bytes a page), then %d %s\n",
              static_cast<long long>(received), static_cast<long long>(snapshot),
              page_bytes, status.error_code(), status.error_message().c_str());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_LT(received, snapshot);

  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(CheckAfterRestart(kMembers));
}

// A maintenance run ends at its next page of members with UNAVAILABLE; what
// it did stays done, and the next run does the rest, once.
TEST_F(ShutdownTest, AMaintenanceRunInProgressStopsAtItsNextPage) {
  constexpr int kMembers = 6000;  // six pages of 1000
  constexpr int64_t kGift = 5;
  // Every member has a birthday this month: the run has a gift to write
  // for each one.
  const std::string rules = WriteRules(
      absl::StrCat("\nbirthday:\n  points: ", kGift, "\n  when: month\n"));
  const std::string birth_date =
      absl::FormatTime("1990-%m-01", absl::Now(), absl::UTCTimeZone());
  ASSERT_NO_FATAL_FAILURE(Start(rules));
  ASSERT_NO_FATAL_FAILURE(Enroll(kMembers, birth_date));

  auto program = v1::Program::NewStub(channel_);
  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(120));
  v1::RunExpiryRequest request;
  request.set_request_id("run-before-stop");
  auto reader = program->RunExpiry(&context, request);
  v1::RunExpiryResponse progress;
  ASSERT_TRUE(reader->Read(&progress));  // the first page is done
  std::thread stop([&] { Stop("a maintenance run"); });
  bool done = progress.done();
  while (reader->Read(&progress)) done = progress.done();
  const grpc::Status status = reader->Finish();
  stop.join();
  std::printf("run: %lld of %lld members visited, then %d %s\n",
              static_cast<long long>(progress.members_scanned()),
              static_cast<long long>(progress.members_total()), status.error_code(),
              status.error_message().c_str());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_FALSE(done);

  ASSERT_NO_FATAL_FAILURE(Start(rules));
  {
    grpc::ClientContext again;
    SetDeadline(&again, absl::Seconds(120));
    request.set_request_id("run-after-restart");
    auto restarted = v1::Program::NewStub(channel_);
    auto rest = restarted->RunExpiry(&again, request);
    while (rest->Read(&progress)) {
    }
    ASSERT_TRUE(rest->Finish().ok());
    EXPECT_TRUE(progress.done());
  }
  // Every member has the gift exactly once: none lost, none doubled.
  ASSERT_NO_FATAL_FAILURE(CheckAfterRestart(kMembers, kGift));
}

// Several clients commit sales as fast as they can (and an auditor verifies
// the ledger) when SIGTERM comes: the sales in flight are answered, later
// ones are refused and not recorded, nothing acknowledged is lost, and the
// clients' connections, idle once refused, do not hold the stop.
TEST_F(ShutdownTest, SalesFromSeveralClientsLoseNothingAcknowledged) {
  constexpr int kMembers = 16;
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(Enroll(kMembers));
  std::atomic<bool> refused{false};
  std::atomic<int> faults{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto stub = v1::Checkout::NewStub(channel_);
      for (int i = 0; !refused; ++i) {
        const grpc::Status status =
            Commit(*stub, absl::StrCat("load-", c, "-", i), (c + i) % kMembers);
        if (!status.ok()) {
          // UNAVAILABLE: the server takes no new call; CANCELLED: gRPC's
          // shutdown cancels a call that it had received but not yet handed
          // to a service.
          if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
              status.error_code() != grpc::StatusCode::CANCELLED) {
            ++faults;
            std::printf("sale failed with %d %s\n", status.error_code(),
                        status.error_message().c_str());
          }
          absl::MutexLock lock(&mu_);
          refused_.push_back(absl::StrCat("load-", c, "-", i));
          refused = true;
        }
      }
    });
  }
  std::thread auditor([&] {
    auto audit = v1::Audit::NewStub(channel_);
    while (!refused) {
      grpc::ClientContext context;
      SetDeadline(&context);
      v1::VerifyLedgerResponse verified;
      audit->VerifyLedger(&context, v1::VerifyLedgerRequest(), &verified);
    }
  });
  absl::SleepFor(absl::Milliseconds(800));
  Stop("sales from several clients", kConnectionHoldBound);
  refused = true;
  for (auto& client : clients) client.join();
  auditor.join();
  EXPECT_EQ(faults.load(), 0) << "a sale failed with something else than the stop";

  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(CheckAfterRestart(kMembers));
}

}  // namespace
}  // namespace loyalty
