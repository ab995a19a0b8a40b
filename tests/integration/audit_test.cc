// The Audit service on a live server: exports from one snapshot while
// clients commit, verification, tamper detection, backups while serving.
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/ledger/journal_checker.h"
#include "engine/server/server.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "loyalty/v1/audit.grpc.pb.h"
#include "loyalty/v1/checkout.grpc.pb.h"
#include "loyalty/v1/members.grpc.pb.h"
#include "tests/support/served_ledger.h"

namespace loyalty {
namespace {

constexpr int kMembers = 12;

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(
        served_.Start(testing::ServedOptions(testing::RulesYaml(100, 50, 150))));
    auto members = v1::Members::NewStub(served_.channel());
    for (int m = 0; m < kMembers; ++m) {
      grpc::ClientContext context;
      v1::EnrollMemberRequest request;
      request.set_request_id(absl::StrCat("enroll-", m));
      request.mutable_profile()->set_member_id(absl::StrCat("m", m));
      v1::EnrollMemberResponse response;
      ASSERT_TRUE(members->EnrollMember(&context, request, &response).ok());
    }
  }

  // `clients` threads commit sales until `stop`; each sale earns points and
  // cashback, and every third one burns some.
  void StartClients(int clients) {
    for (int c = 0; c < clients; ++c) {
      clients_.emplace_back([this, c] {
        auto checkout = v1::Checkout::NewStub(served_.channel());
        for (int s = 0; !stop_; ++s) {
          grpc::ClientContext context;
          v1::CommitPurchaseRequest request;
          request.set_request_id(absl::StrCat("c", c, "-", s));
          auto* purchase = request.mutable_purchase();
          purchase->set_member_id(absl::StrCat("m", (c + s) % kMembers));
          purchase->set_order_id(request.request_id());
          purchase->set_currency("EUR");
          purchase->set_redeem_points(s % 3 == 2 ? 5 : 0);
          auto* line = purchase->add_lines();
          line->set_sku("sku");
          line->set_quantity(1);
          line->set_unit_price_minor(1000 + s);
          v1::CommitPurchaseResponse response;
          if (checkout->CommitPurchase(&context, request, &response).ok()) ++committed_;
        }
      });
    }
  }

  void StopClients() {
    stop_ = true;
    for (auto& client : clients_) client.join();
    clients_.clear();
  }

  std::vector<v1::JournalEntry> Export(int64_t* snapshot_sequence = nullptr) {
    grpc::ClientContext context;
    v1::ExportLedgerRequest request;
    auto reader = served_.audit().ExportLedger(&context, request);
    std::vector<v1::JournalEntry> entries;
    v1::ExportLedgerResponse page;
    while (reader->Read(&page)) {
      if (snapshot_sequence != nullptr) *snapshot_sequence = page.snapshot_sequence();
      for (const auto& entry : page.entries()) entries.push_back(entry);
    }
    EXPECT_TRUE(reader->Finish().ok());
    return entries;
  }

  testing::ServedLedger served_;
  std::vector<std::thread> clients_;
  std::atomic<bool> stop_{false};
  std::atomic<int> committed_{0};
};

TEST_F(AuditTest, AnExportTakenWhileSixteenClientsCommitIsConsistent) {
  StartClients(16);
  while (committed_ < 300) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  int64_t snapshot = 0;
  const std::vector<v1::JournalEntry> entries = Export(&snapshot);
  const int committed_at_export = committed_;
  StopClients();
  // Every entry of the snapshot, in order, none after it: the chain verifies
  // from the first entry and the postings replay without a negative member.
  ASSERT_EQ(static_cast<int64_t>(entries.size()), snapshot);
  ASSERT_GE(snapshot, kMembers + 300);
  ledger::JournalChecker checker;
  for (const auto& entry : entries) ASSERT_TRUE(checker.Add(entry)) << checker.problem();
  EXPECT_TRUE(checker.from_genesis());
  EXPECT_LT(snapshot, kMembers + committed_at_export + 64);
  // A second export after the clients stopped replays to the stored balances.
  ledger::JournalChecker full;
  for (const auto& entry : Export()) ASSERT_TRUE(full.Add(entry)) << full.problem();
  for (int m = 0; m < kMembers; ++m) {
    const std::string id = absl::StrCat("m", m);
    auto record = served_.server().ledger().GetMember(id);
    ASSERT_TRUE(record.ok());
    EXPECT_EQ(full.Balance("member/" + id + "/points/available", "PTS"),
              record->points_available());
    EXPECT_EQ(full.Balance("member/" + id + "/cashback/EUR", "EUR"),
              record->cashback(0).amount_minor());
  }
}

TEST_F(AuditTest, OneAlteredByteInAnExportNamesThatEntry) {
  StartClients(2);
  while (committed_ < 40) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  StopClients();
  std::vector<std::string> lines;
  for (const auto& entry : Export()) {
    std::string json;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(entry, &json).ok());
    lines.push_back(json);
  }
  // Change one digit of the amount of a posting in entry 30.
  std::string& line = lines[29];
  const size_t amount = line.find("\"amount\":\"");
  ASSERT_NE(amount, std::string::npos) << line;
  size_t first_digit = amount + 10;
  if (line[first_digit] == '-') ++first_digit;
  char& digit = line[first_digit];
  digit = digit == '9' ? '8' : static_cast<char>(digit + 1);
  ledger::JournalChecker checker;
  for (const std::string& text : lines) {
    v1::JournalEntry entry;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(text, &entry).ok());
    if (!checker.Add(entry)) break;
  }
  EXPECT_EQ(checker.problem().rfind("entry 30: ", 0), 0u) << checker.problem();
}

TEST_F(AuditTest, VerifyLedgerOnTheServerIsClean) {
  StartClients(4);
  while (committed_ < 100) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  grpc::ClientContext context;
  v1::VerifyLedgerResponse response;
  ASSERT_TRUE(served_.audit().VerifyLedger(&context, {}, &response).ok());
  StopClients();
  EXPECT_TRUE(response.ok()) << response.problem();
  EXPECT_GE(response.entries_checked(), kMembers + 100);
  EXPECT_EQ(response.members_checked(), kMembers);
}

TEST_F(AuditTest, BackupWhileServingRestoresToALedgerThatVerifies) {
  StartClients(8);
  while (committed_ < 100) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  grpc::ClientContext context;
  v1::CreateBackupRequest request;
  request.set_backup_dir(served_.dir().Sub("backups"));
  v1::CreateBackupResponse backup;
  grpc::Status status = served_.audit().CreateBackup(&context, request, &backup);
  StopClients();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_GT(backup.size_bytes(), 0);
  ASSERT_TRUE(ledger::Ledger::RestoreBackup(served_.dir().Sub("backups"),
                                            served_.dir().Sub("restored"))
                  .ok());
  ledger::LedgerOptions options;
  options.data_dir = served_.dir().Sub("restored");
  auto restored = ledger::Ledger::Open(options);
  ASSERT_TRUE(restored.ok()) << restored.status();
  // The answer names exactly the newest entry the backup holds, even though
  // sales went on committing while it was taken.
  EXPECT_EQ((*restored)->Head().sequence(), backup.sequence());
  auto report = (*restored)->Audit();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problem;
  EXPECT_EQ(report->members_checked, kMembers);
  // Restoring over a ledger that has data is refused.
  EXPECT_FALSE(ledger::Ledger::RestoreBackup(served_.dir().Sub("backups"),
                                             served_.dir().Sub("restored"))
                   .ok());
}

// The backup directory's refusals, each with the code that tells the caller
// who can fix it, and a missing directory created private to its owner.
TEST_F(AuditTest, BackupDirectoriesAreCreatedPrivateOrRefusedWithTheirReason) {
  auto backup = [&](const std::string& dir, v1::CreateBackupResponse* response) {
    grpc::ClientContext context;
    v1::CreateBackupRequest request;
    request.set_backup_dir(dir);
    return served_.audit().CreateBackup(&context, request, response);
  };
  v1::CreateBackupResponse response;
  grpc::Status relative = backup("backups/loyalty", &response);
  EXPECT_EQ(relative.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(relative.error_message().find("backup_dir"), std::string::npos)
      << relative.error_message();
  EXPECT_NE(relative.error_message().find("RELATIVE_PATH"), std::string::npos);

  std::ofstream(served_.dir().Sub("a-file")) << "not a directory";
  grpc::Status blocked = backup(served_.dir().Sub("a-file/loyalty"), &response);
  EXPECT_EQ(blocked.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << blocked.error_message();
  EXPECT_NE(blocked.error_message().find("DIRECTORY_NOT_WRITABLE"),
            std::string::npos) << blocked.error_message();

  const std::string nested = served_.dir().Sub("new/backups/loyalty");
  grpc::Status created = backup(nested, &response);
  ASSERT_TRUE(created.ok()) << created.error_message();
  EXPECT_EQ(response.sequence(), kMembers);  // the enrollments
  for (const std::string& dir :
       {served_.dir().Sub("new"), served_.dir().Sub("new/backups"), nested}) {
    struct stat info {};
    ASSERT_EQ(::stat(dir.c_str(), &info), 0) << dir;
    EXPECT_EQ(info.st_mode & 0777, 0700u) << dir;
  }
}

// The service is idle again before an audit task's answer leaves: a caller
// that asks again as soon as it has the answer is never told to retry.
TEST_F(AuditTest, BackToBackVerificationsAreNeverRefusedAsBusy) {
  for (int i = 0; i < 200; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::VerifyLedgerResponse response;
    grpc::Status status =
        served_.audit().VerifyLedger(&context, v1::VerifyLedgerRequest(), &response);
    ASSERT_TRUE(status.ok()) << "call " << i << ": " << status.error_message();
    EXPECT_TRUE(response.ok());
  }
}

}  // namespace
}  // namespace loyalty
