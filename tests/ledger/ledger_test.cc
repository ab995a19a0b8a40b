// The ledger on real RocksDB in a temporary directory: double entry, lots,
// idempotency, durability across restarts and the hash chain.
#include "engine/ledger/ledger.h"

#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "engine/base/error.h"
#include "engine/base/sha256.h"
#include "engine/base/time_util.h"
#include "engine/ledger/accounts.h"
#include "engine/ledger/keys.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/support/ledger_decisions.h"
#include "tests/support/temp_dir.h"

namespace loyalty::ledger {
namespace {

using loyalty::v1::JournalEntry;
using loyalty::v1::MemberRecord;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);  // 2026-01-01

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    ledger_.reset();
    LedgerOptions options;
    options.data_dir = dir_.Sub("ledger");
    options.clock = &clock_;
    auto opened = Ledger::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    ledger_ = *std::move(opened);
  }

  Outcome Run(std::string request_id, Decide decide,
              std::string fingerprint = "f") {
    absl::Notification finished;
    Outcome result;
    ledger_->Submit(
        Operation{std::move(request_id), std::move(fingerprint),
                  std::move(decide)},
        [&](Outcome outcome) {
          result = std::move(outcome);
          finished.Notify();
        });
    finished.WaitForNotification();
    return result;
  }

  Outcome Enroll(const std::string& id) {
    return Run("enroll-" + id, testing::EnrollDecision(id));
  }

  // Earns (amount > 0) or burns (amount < 0) points for `id` at `when`.
  Outcome MovePoints(const std::string& request_id, const std::string& id,
                     int64_t amount, absl::Time when = kStart) {
    return Run(request_id, [=](Transaction& t) -> absl::StatusOr<std::string> {
      JournalEntry entry;
      entry.set_kind(loyalty::v1::ENTRY_KIND_PURCHASE);
      entry.set_member_id(id);
      *entry.mutable_effective_time() = ToTimestamp(when);
      auto* member = entry.add_postings();
      member->set_account(MemberPointsAvailable(id));
      member->set_asset("PTS");
      member->set_amount(amount);
      auto* program = entry.add_postings();
      program->set_account(std::string(amount > 0 ? kProgramPointsIssued
                                                  : kProgramPointsRedeemed));
      program->set_asset("PTS");
      program->set_amount(-amount);
      auto sequence = t.Append(entry);
      if (!sequence.ok()) return sequence.status();
      return absl::StrCat(*sequence);
    });
  }

  void ExpectAuditClean() {
    auto report = ledger_->Audit();
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->ok()) << report->problem;
  }

  testing::TempDir dir_;
  ManualClock clock_{kStart};
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(LedgerTest, EarnAndBurnMoveBalancesAndStayBalanced) {
  ASSERT_TRUE(Enroll("alice").status.ok());
  ASSERT_TRUE(MovePoints("earn-1", "alice", 120).status.ok());
  ASSERT_TRUE(MovePoints("burn-1", "alice", -20).status.ok());
  auto alice = ledger_->GetMember("alice");
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(alice->points_available(), 100);
  EXPECT_EQ(ledger_->Head().sequence(), 3);
  ExpectAuditClean();
}

TEST_F(LedgerTest, UnbalancedPostingsAreRefusedAndWriteNothing) {
  ASSERT_TRUE(Enroll("bob").status.ok());
  Outcome outcome = Run("bad", [](Transaction& t) -> absl::StatusOr<std::string> {
    JournalEntry entry;
    auto* posting = entry.add_postings();
    posting->set_account(MemberPointsAvailable("bob"));
    posting->set_asset("PTS");
    posting->set_amount(50);  // no matching debit
    auto sequence = t.Append(entry);
    if (!sequence.ok()) return sequence.status();
    return std::string("written");
  });
  EXPECT_EQ(outcome.status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ledger_->GetMember("bob")->points_available(), 0);
  EXPECT_EQ(ledger_->Head().sequence(), 1);
  ExpectAuditClean();
}

TEST_F(LedgerTest, OverdraftIsRefusedAndTheRefusalIsRemembered) {
  ASSERT_TRUE(Enroll("carol").status.ok());
  ASSERT_TRUE(MovePoints("earn", "carol", 10).status.ok());
  Outcome first = MovePoints("burn", "carol", -11);
  EXPECT_EQ(first.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(first.status), "INSUFFICIENT_POINTS");
  // Points arrive, but the retry of the refused request keeps its answer.
  ASSERT_TRUE(MovePoints("earn-more", "carol", 10).status.ok());
  Outcome retry = MovePoints("burn", "carol", -11);
  EXPECT_TRUE(retry.replayed);
  EXPECT_EQ(retry.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(retry.status), "INSUFFICIENT_POINTS");
  EXPECT_EQ(ledger_->GetMember("carol")->points_available(), 20);
  ExpectAuditClean();
}

TEST_F(LedgerTest, SameRequestIdReplaysAndAnotherPayloadIsRejected) {
  ASSERT_TRUE(Enroll("dave").status.ok());
  Outcome first = MovePoints("earn", "dave", 30);
  ASSERT_TRUE(first.status.ok());
  const int64_t head = ledger_->Head().sequence();
  Outcome again = MovePoints("earn", "dave", 30);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.response, first.response);
  EXPECT_EQ(ledger_->Head().sequence(), head);  // nothing new written
  Outcome reused = Run("earn", [](Transaction&) -> absl::StatusOr<std::string> {
    return std::string("never");
  }, "another fingerprint");
  EXPECT_EQ(reused.status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrorReason(reused.status), "REQUEST_ID_REUSED");
  EXPECT_EQ(ledger_->GetMember("dave")->points_available(), 30);
}

TEST_F(LedgerTest, BurningTakesTheOldestLotsFirst) {
  ASSERT_TRUE(Enroll("erin").status.ok());
  const absl::Time march = kStart + absl::Hours(24 * 60);
  ASSERT_TRUE(MovePoints("march", "erin", 50, march).status.ok());
  // A back-dated sale from January is older, so it is burned first.
  ASSERT_TRUE(MovePoints("january", "erin", 30, kStart).status.ok());
  ASSERT_TRUE(MovePoints("later", "erin", 40, march + absl::Hours(1)).status.ok());
  ASSERT_TRUE(MovePoints("burn", "erin", -60).status.ok());
  auto erin = ledger_->GetMember("erin");
  ASSERT_TRUE(erin.ok());
  ASSERT_EQ(erin->lots_size(), 2);
  // January's 30 are gone, March's 50 lost 30, the newest 40 are untouched.
  EXPECT_EQ(erin->lots(0).remaining(), 20);
  EXPECT_EQ(FromTimestamp(erin->lots(0).earn_time()), march);
  EXPECT_EQ(erin->lots(1).remaining(), 40);
  EXPECT_EQ(erin->points_available(), 60);
  ExpectAuditClean();
}

TEST_F(LedgerTest, RestartKeepsEverything) {
  ASSERT_TRUE(Enroll("frank").status.ok());
  ASSERT_TRUE(MovePoints("earn", "frank", 77).status.ok());
  const auto head = ledger_->Head();
  Reopen();
  EXPECT_EQ(ledger_->GetMember("frank")->points_available(), 77);
  EXPECT_EQ(ledger_->Head().sequence(), head.sequence());
  EXPECT_EQ(ledger_->Head().hash(), head.hash());
  EXPECT_EQ(ledger_->Head().member_count(), 1);
  // The idempotency record survived too.
  EXPECT_TRUE(MovePoints("earn", "frank", 77).replayed);
  ASSERT_TRUE(MovePoints("earn-2", "frank", 3).status.ok());
  EXPECT_EQ(ledger_->GetMember("frank")->points_available(), 80);
  ExpectAuditClean();
}

TEST_F(LedgerTest, AuditNamesAnAlteredEntry) {
  ASSERT_TRUE(Enroll("gina").status.ok());
  ASSERT_TRUE(MovePoints("e1", "gina", 5).status.ok());
  ASSERT_TRUE(MovePoints("e2", "gina", 6).status.ok());
  ledger_.reset();
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir_.Sub("ledger"), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    std::string value;
    ASSERT_TRUE(db->Get({}, keys::Entry(2), &value).ok());
    JournalEntry entry;
    ASSERT_TRUE(entry.ParseFromString(value));
    entry.set_description("altered");
    ASSERT_TRUE(db->Put({}, keys::Entry(2), entry.SerializeAsString()).ok());
  }
  Reopen();
  auto report = ledger_->Audit();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->problem, "entry 2: hash does not match the entry's content");
}

TEST_F(LedgerTest, ADirectoryThatIsNotALedgerIsRefused) {
  ledger_.reset();
  const std::string other = dir_.Sub("other");
  {
    rocksdb::DB* raw = nullptr;
    rocksdb::Options options;
    options.create_if_missing = true;
    ASSERT_TRUE(rocksdb::DB::Open(options, other, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put({}, "something", "else").ok());
  }
  LedgerOptions options;
  options.data_dir = other;
  auto opened = Ledger::Open(options);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("not a ledger"), std::string::npos);
}

TEST_F(LedgerTest, ConcurrentSubmittersShareBatchesAndLoseNothing) {
  ASSERT_TRUE(Enroll("hal").status.ok());
  constexpr int kThreads = 16;
  constexpr int kPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kPerThread; ++i) {
        EXPECT_TRUE(MovePoints(absl::StrCat("c-", t, "-", i), "hal", 1).status.ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ledger_->GetMember("hal")->points_available(), kThreads * kPerThread);
  EXPECT_EQ(ledger_->Head().sequence(), 1 + kThreads * kPerThread);
  ExpectAuditClean();
}

TEST_F(LedgerTest, AnOperationPastItsCallersDeadlineIsNotDecidedNorRemembered) {
  bool decided = false;
  absl::Notification finished;
  Outcome late;
  Operation operation{"enroll-late", "f", [&](Transaction& t) {
                        decided = true;
                        return testing::EnrollDecision("late")(t);
                      }};
  operation.deadline = absl::Now() - absl::Seconds(1);
  ledger_->Submit(std::move(operation), [&](Outcome outcome) {
    late = std::move(outcome);
    finished.Notify();
  });
  finished.WaitForNotification();
  EXPECT_EQ(late.status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(decided);
  EXPECT_EQ(ledger_->Head().sequence(), 0);
  EXPECT_EQ(ledger_->GetMember("late").status().code(), absl::StatusCode::kNotFound);
  // The same request id later, in time: decided afresh, not a replay.
  const Outcome retry = Run("enroll-late", testing::EnrollDecision("late"));
  ASSERT_TRUE(retry.status.ok()) << retry.status;
  EXPECT_FALSE(retry.replayed);
  EXPECT_EQ(ledger_->Head().sequence(), 1);
}

}  // namespace
}  // namespace loyalty::ledger
