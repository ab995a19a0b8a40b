// The ledger when the disk fails: a RocksDB FileSystem wrapper makes the
// WAL's Append (I/O error) or Sync (disk full) fail on demand. A write that
// cannot be made durable fails its operations with UNAVAILABLE
// (LEDGER_WRITE_FAILED), stops the writer, calls on_fatal once and
// acknowledges nothing; after a reopen on a healthy disk every acknowledged
// operation is there and the audit is clean.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "engine/base/error.h"
#include "engine/base/time_util.h"
#include "engine/ledger/accounts.h"
#include "engine/ledger/ledger.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "tests/support/faulty_file_system.h"
#include "tests/support/ledger_decisions.h"
#include "tests/support/temp_dir.h"

namespace loyalty::ledger {
namespace {

using loyalty::v1::JournalEntry;
using loyalty::v1::MemberRecord;
using testing::Fault;
using testing::FaultSwitch;
using testing::FaultyFileSystem;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);  // 2026-01-01

// What one submitted operation came back with.
struct Answer {
  std::string request_id;
  Outcome outcome;
};

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = rocksdb::NewCompositeEnv(std::make_shared<FaultyFileSystem>(&faults_));
    ASSERT_NO_FATAL_FAILURE(Open(env_.get()));
  }

  void Open(rocksdb::Env* env) {
    ledger_.reset();
    LedgerOptions options;
    options.data_dir = dir_.Sub("ledger");
    options.clock = &clock_;
    options.env = env;
    options.on_fatal = [this](const absl::Status& cause) {
      absl::MutexLock lock(&mu_);
      ++fatal_calls_;
      fatal_cause_ = cause;
    };
    auto opened = Ledger::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    ledger_ = *std::move(opened);
  }

  // The same directory, on the real file system.
  void ReopenHealthy() {
    faults_.fault = Fault::kNone;
    ASSERT_NO_FATAL_FAILURE(Open(nullptr));
  }

  int64_t AcknowledgedPoints(const std::string& member) {
    absl::MutexLock lock(&mu_);
    auto it = acknowledged_points_.find(member);
    return it == acknowledged_points_.end() ? 0 : it->second;
  }

  int fatal_calls() {
    absl::MutexLock lock(&mu_);
    return fatal_calls_;
  }
  bool WaitForFatal(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(
        absl::Condition(+[](int* calls) { return *calls > 0; }, &fatal_calls_), timeout);
  }

  // Earns `amount` points for `id`; the response is the entry's sequence.
  static Decide EarnDecision(const std::string& id, int64_t amount) {
    return [=](Transaction& t) -> absl::StatusOr<std::string> {
      JournalEntry entry;
      entry.set_kind(loyalty::v1::ENTRY_KIND_PURCHASE);
      entry.set_member_id(id);
      *entry.mutable_effective_time() = ToTimestamp(kStart);
      auto* member = entry.add_postings();
      member->set_account(MemberPointsAvailable(id));
      member->set_asset("PTS");
      member->set_amount(amount);
      auto* program = entry.add_postings();
      program->set_account(std::string(kProgramPointsIssued));
      program->set_asset("PTS");
      program->set_amount(-amount);
      auto sequence = t.Append(entry);
      if (!sequence.ok()) return sequence.status();
      return absl::StrCat(*sequence);
    };
  }

  Outcome Run(const std::string& request_id, Decide decide) {
    absl::Notification finished;
    Outcome result;
    ledger_->Submit(Operation{request_id, "f", std::move(decide)},
                    [&](Outcome outcome) {
                      result = std::move(outcome);
                      finished.Notify();
                    });
    finished.WaitForNotification();
    return result;
  }

  // Earns for `id` under `request_id`, remembering an acknowledged one.
  Outcome Earn(const std::string& request_id, const std::string& id, int64_t amount) {
    Outcome outcome = Run(request_id, EarnDecision(id, amount));
    if (outcome.status.ok()) Acknowledge(request_id, outcome.response, id, amount);
    return outcome;
  }

  void Acknowledge(const std::string& request_id, const std::string& response,
                   const std::string& member, int64_t points) {
    absl::MutexLock lock(&mu_);
    int64_t sequence = 0;
    EXPECT_TRUE(absl::SimpleAtoi(response, &sequence)) << response;
    acknowledged_[request_id] = sequence;
    acknowledged_points_[member] += points;
  }

  // Every entry of the ledger, by request id (from one snapshot).
  absl::flat_hash_map<std::string, JournalEntry> EntriesByRequest() {
    absl::flat_hash_map<std::string, JournalEntry> entries;
    auto reader = ledger_->NewEntryReader(EntryFilter());
    while (true) {
      auto page = reader->Next(256);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok() || page->empty()) break;
      for (JournalEntry& entry : *page) {
        const std::string id = entry.request_id();
        EXPECT_TRUE(entries.emplace(id, std::move(entry)).second) << "twice: " << id;
      }
    }
    return entries;
  }

  void ExpectAuditClean() {
    auto report = ledger_->Audit();
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->ok()) << report->problem;
  }

  // A failed write's answer: UNAVAILABLE, and a reason saying why.
  static void ExpectUnavailable(const Outcome& outcome, const std::string& what) {
    EXPECT_EQ(outcome.status.code(), absl::StatusCode::kUnavailable)
        << what << ": " << outcome.status;
    const std::string reason = ErrorReason(outcome.status);
    EXPECT_TRUE(reason == "LEDGER_WRITE_FAILED" || reason == "LEDGER_BUSY")
        << what << ": " << outcome.status;
    EXPECT_TRUE(outcome.response.empty()) << what;
  }

  // Submissions after the fault are refused at once, before Submit returns.
  void ExpectRefusedAtOnce() {
    bool called = false;
    Outcome refused;
    ledger_->Submit(Operation{"after-the-fault", "f", EarnDecision("alice", 1)},
                    [&](Outcome outcome) {
                      called = true;
                      refused = std::move(outcome);
                    });
    ASSERT_TRUE(called) << "a submission to a failed ledger was queued";
    ExpectUnavailable(refused, "after the fault");
  }

  // Submits without waiting; the answer lands in *answer, and its request
  // id joins answer_order_ when it arrives.
  void SubmitAsync(const std::string& request_id, Decide decide, Answer* answer,
                   absl::Notification* answered) {
    answer->request_id = request_id;
    ledger_->Submit(Operation{request_id, "f", std::move(decide)},
                    [this, answer, answered, request_id](Outcome outcome) {
                      answer->outcome = std::move(outcome);
                      {
                        absl::MutexLock lock(&mu_);
                        answer_order_.push_back(request_id);
                      }
                      answered->Notify();
                    });
  }

  // `decide`, telling `decided` when it has run.
  static Decide Noting(Decide decide, absl::Notification* decided) {
    return [decide = std::move(decide),
            decided](Transaction& t) mutable -> absl::StatusOr<Decision> {
      auto result = decide(t);
      if (!decided->HasBeenNotified()) decided->Notify();
      return result;
    };
  }

  void EnrollAndEarn(int earns) {
    ASSERT_TRUE(Run("enroll-alice", testing::EnrollDecision("alice")).status.ok());
    ASSERT_TRUE(Run("enroll-bob", testing::EnrollDecision("bob")).status.ok());
    for (int i = 0; i < earns; ++i) {
      ASSERT_TRUE(Earn(absl::StrCat("earn-", i), i % 2 ? "bob" : "alice", 10 + i).status.ok());
    }
  }

  // The durable state after a reopen on a healthy disk: every acknowledged
  // operation under its sequence, balances that add up, a clean audit.
  void ExpectAcknowledgedAllThere(
      const absl::flat_hash_map<std::string, JournalEntry>& entries) {
    absl::flat_hash_map<std::string, int64_t> acknowledged;
    {
      absl::MutexLock lock(&mu_);
      acknowledged = acknowledged_;
    }
    for (const auto& [request_id, sequence] : acknowledged) {
      auto it = entries.find(request_id);
      ASSERT_NE(it, entries.end()) << "acknowledged " << request_id << " is lost";
      EXPECT_EQ(it->second.sequence(), sequence) << request_id;
    }
    ASSERT_NO_FATAL_FAILURE(ExpectAuditClean());
  }

  testing::TempDir dir_;
  ManualClock clock_{kStart};
  FaultSwitch faults_;
  std::unique_ptr<rocksdb::Env> env_;  // outlives ledger_
  std::unique_ptr<Ledger> ledger_;
  absl::Mutex mu_;
  int fatal_calls_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status fatal_cause_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int64_t> acknowledged_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int64_t> acknowledged_points_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> answer_order_ ABSL_GUARDED_BY(mu_);
};

TEST_F(FaultTest, AWalWriteErrorFailsTheBatchStopsTheWriterAndAcknowledgesNothing) {
  ASSERT_NO_FATAL_FAILURE(EnrollAndEarn(10));
  ASSERT_EQ(faults_.injected, 0);
  faults_.fault = Fault::kAppendIoError;
  // Several operations in flight when the disk fails.
  std::vector<Answer> answers(20);
  absl::Notification all_done;
  std::atomic<int> remaining{static_cast<int>(answers.size())};
  for (size_t i = 0; i < answers.size(); ++i) {
    answers[i].request_id = absl::StrCat("doomed-", i);
    ledger_->Submit(Operation{answers[i].request_id, "f", EarnDecision("alice", 5)},
                    [&, i](Outcome outcome) {
                      answers[i].outcome = std::move(outcome);
                      if (--remaining == 0) all_done.Notify();
                    });
  }
  ASSERT_TRUE(all_done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  ASSERT_TRUE(WaitForFatal(absl::Seconds(30)));
  EXPECT_GT(faults_.injected, 0);
  EXPECT_EQ(ErrorReason(answers[0].outcome.status), "LEDGER_WRITE_FAILED")
      << answers[0].outcome.status;
  for (const Answer& answer : answers) ExpectUnavailable(answer.outcome, answer.request_id);
  ASSERT_NO_FATAL_FAILURE(ExpectRefusedAtOnce());
  EXPECT_EQ(fatal_calls(), 1);
  {
    absl::MutexLock lock(&mu_);
    EXPECT_TRUE(absl::StrContains(fatal_cause_.message(), "injected")) << fatal_cause_;
  }
  // Reads still work and show nothing that was not made durable.
  EXPECT_EQ(ledger_->Head().sequence(), 12);
  EXPECT_EQ(ledger_->GetMember("alice")->points_available(), AcknowledgedPoints("alice"));

  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  EXPECT_EQ(fatal_calls(), 1);
  const auto entries = EntriesByRequest();
  ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedAllThere(entries));
  EXPECT_EQ(entries.size(), 12u);  // 2 enrollments, 10 earnings, nothing else
  for (const Answer& answer : answers) {
    EXPECT_FALSE(entries.contains(answer.request_id)) << answer.request_id;
  }
  EXPECT_EQ(ledger_->GetMember("alice")->points_available(), AcknowledgedPoints("alice"));
  EXPECT_EQ(ledger_->GetMember("bob")->points_available(), AcknowledgedPoints("bob"));
  // The failed requests were never answered, so a retry decides them now.
  Outcome retry = Run(answers[0].request_id, EarnDecision("alice", 5));
  ASSERT_TRUE(retry.status.ok()) << retry.status;
  EXPECT_FALSE(retry.replayed);
  EXPECT_EQ(retry.response, "13");
  ASSERT_NO_FATAL_FAILURE(ExpectAuditClean());
}

TEST_F(FaultTest, ADiskFullOnSyncIsNeverAcknowledgedAndRecoversWholeOrNotAtAll) {
  ASSERT_NO_FATAL_FAILURE(EnrollAndEarn(6));
  faults_.fault = Fault::kSyncNoSpace;
  Outcome failed = Run("unsynced", EarnDecision("alice", 7));
  ExpectUnavailable(failed, "unsynced");
  EXPECT_EQ(ErrorReason(failed.status), "LEDGER_WRITE_FAILED") << failed.status;
  ASSERT_TRUE(WaitForFatal(absl::Seconds(30)));
  ASSERT_NO_FATAL_FAILURE(ExpectRefusedAtOnce());
  EXPECT_EQ(fatal_calls(), 1);

  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  const auto entries = EntriesByRequest();
  ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedAllThere(entries));
  // The bytes reached the file before the sync failed, so the entry may have
  // survived: either whole (the retry gets its answer back) or not at all
  // (the retry decides it now). The client was told neither, only "retry".
  const bool survived = entries.contains("unsynced");
  EXPECT_EQ(entries.size(), survived ? 9u : 8u);
  const int64_t alice_before = AcknowledgedPoints("alice");
  EXPECT_EQ(ledger_->GetMember("alice")->points_available(),
            alice_before + (survived ? 7 : 0));
  Outcome retry = Run("unsynced", EarnDecision("alice", 7));
  ASSERT_TRUE(retry.status.ok()) << retry.status;
  EXPECT_EQ(retry.replayed, survived);
  EXPECT_EQ(retry.response, "9");
  EXPECT_EQ(ledger_->GetMember("alice")->points_available(), alice_before + 7);
  ASSERT_NO_FATAL_FAILURE(ExpectAuditClean());
  std::printf("the unsynced entry %s the reopen\n",
              survived ? "survived" : "did not survive");
}

// The pipeline: while batch N's sync is held, the writer decides the next
// batch against N's staged state, but nothing is answered (and readers see
// nothing) until N, then N+1, are durable.
TEST_F(FaultTest, NoAnswerLeavesBeforeItsBatchIsDurable) {
  ASSERT_NO_FATAL_FAILURE(EnrollAndEarn(0));
  faults_.HoldSyncs();
  Answer earn, burn, replay;
  absl::Notification earn_answered, burn_answered, replay_answered, burn_decided;
  SubmitAsync("earn", EarnDecision("alice", 10), &earn, &earn_answered);
  ASSERT_TRUE(faults_.WaitForHeldSync(absl::Seconds(30)));
  // Spending the 10 points is possible only against the staged earn.
  SubmitAsync("burn", Noting(EarnDecision("alice", -10), &burn_decided), &burn,
              &burn_answered);
  SubmitAsync("earn", EarnDecision("alice", 10), &replay, &replay_answered);
  ASSERT_TRUE(burn_decided.WaitForNotificationWithTimeout(absl::Seconds(30)))
      << "the next batch was not decided while a sync was in flight";
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_FALSE(earn_answered.HasBeenNotified()) << "answered before durable";
  EXPECT_FALSE(burn_answered.HasBeenNotified()) << "answered before durable";
  EXPECT_FALSE(replay_answered.HasBeenNotified()) << "replayed before durable";
  EXPECT_EQ(ledger_->Head().sequence(), 2);
  EXPECT_EQ(ledger_->GetMember("alice")->points_available(), 0);

  faults_.ReleaseSyncs();
  ASSERT_TRUE(earn_answered.WaitForNotificationWithTimeout(absl::Seconds(30)));
  ASSERT_TRUE(burn_answered.WaitForNotificationWithTimeout(absl::Seconds(30)));
  ASSERT_TRUE(replay_answered.WaitForNotificationWithTimeout(absl::Seconds(30)));
  ASSERT_TRUE(earn.outcome.status.ok()) << earn.outcome.status;
  ASSERT_TRUE(burn.outcome.status.ok()) << burn.outcome.status;
  ASSERT_TRUE(replay.outcome.status.ok()) << replay.outcome.status;
  EXPECT_EQ(earn.outcome.response, "3");
  EXPECT_EQ(burn.outcome.response, "4");
  EXPECT_TRUE(replay.outcome.replayed);
  EXPECT_EQ(replay.outcome.response, "3");
  {
    absl::MutexLock lock(&mu_);
    ASSERT_EQ(answer_order_.size(), 3u);
    EXPECT_EQ(answer_order_[0], "earn");  // batches are answered in order
  }
  EXPECT_EQ(ledger_->Head().sequence(), 4);
  EXPECT_EQ(ledger_->GetMember("alice")->points_available(), 0);
  EXPECT_EQ(fatal_calls(), 0);
  ASSERT_NO_FATAL_FAILURE(ExpectAuditClean());
}

// A sync that fails while the next batch is decided behind it: both batches
// fail, nothing after the failure is written, and on_fatal is called once.
TEST_F(FaultTest, ASyncFailureFailsTheBatchInFlightAndEveryLaterOne) {
  ASSERT_NO_FATAL_FAILURE(EnrollAndEarn(4));
  faults_.HoldSyncs();
  Answer first, second;
  absl::Notification first_answered, second_answered, second_decided;
  SubmitAsync("in-flight", EarnDecision("alice", 5), &first, &first_answered);
  ASSERT_TRUE(faults_.WaitForHeldSync(absl::Seconds(30)));
  SubmitAsync("behind", Noting(EarnDecision("bob", 7), &second_decided), &second,
              &second_answered);
  ASSERT_TRUE(second_decided.WaitForNotificationWithTimeout(absl::Seconds(30)));
  faults_.fault = Fault::kSyncNoSpace;
  faults_.ReleaseSyncs();
  ASSERT_TRUE(first_answered.WaitForNotificationWithTimeout(absl::Seconds(30)));
  ASSERT_TRUE(second_answered.WaitForNotificationWithTimeout(absl::Seconds(30)));
  ExpectUnavailable(first.outcome, "in-flight");
  ExpectUnavailable(second.outcome, "behind");
  EXPECT_EQ(ErrorReason(first.outcome.status), "LEDGER_WRITE_FAILED");
  EXPECT_EQ(ErrorReason(second.outcome.status), "LEDGER_WRITE_FAILED");
  ASSERT_TRUE(WaitForFatal(absl::Seconds(30)));
  ASSERT_NO_FATAL_FAILURE(ExpectRefusedAtOnce());
  EXPECT_EQ(fatal_calls(), 1);
  EXPECT_EQ(ledger_->Head().sequence(), 6);

  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  const auto entries = EntriesByRequest();
  ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedAllThere(entries));
  // The failed batch reached the file before its sync failed, so it may
  // have survived whole; the batch behind it was never written.
  EXPECT_FALSE(entries.contains("behind"));
  EXPECT_EQ(entries.size(), entries.contains("in-flight") ? 7u : 6u);
  EXPECT_EQ(ledger_->GetMember("bob")->points_available(), AcknowledgedPoints("bob"));
}

// Eight submitters commit as fast as they can; the disk fails under them.
// Every operation answered OK is on disk after the reopen, under the
// sequence it was answered with; no failed one is.
TEST_F(FaultTest, UnderConcurrentLoadOnlyDurableOperationsAreAcknowledged) {
  ASSERT_NO_FATAL_FAILURE(EnrollAndEarn(0));
  constexpr int kSubmitters = 8;
  std::atomic<int> acknowledged{0};
  std::vector<std::vector<Answer>> failures(kSubmitters);
  std::vector<std::thread> submitters;
  for (int s = 0; s < kSubmitters; ++s) {
    submitters.emplace_back([&, s] {
      for (int n = 0;; ++n) {
        const std::string id = absl::StrCat("s", s, "-", n);
        const std::string member = s % 2 ? "bob" : "alice";
        Outcome outcome = Earn(id, member, 1 + n % 7);
        if (outcome.status.ok()) {
          ++acknowledged;
          continue;
        }
        failures[s].push_back(Answer{id, std::move(outcome)});
        return;  // the ledger has stopped
      }
    });
  }
  while (acknowledged < 300) absl::SleepFor(absl::Milliseconds(1));
  faults_.fault = Fault::kAppendIoError;
  for (auto& submitter : submitters) submitter.join();
  ASSERT_TRUE(WaitForFatal(absl::Seconds(30)));
  EXPECT_EQ(fatal_calls(), 1);
  for (const auto& failed : failures) {
    ASSERT_EQ(failed.size(), 1u);
    ExpectUnavailable(failed[0].outcome, failed[0].request_id);
  }
  const int acknowledged_before_reopen = acknowledged;

  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  const auto entries = EntriesByRequest();
  ASSERT_NO_FATAL_FAILURE(ExpectAcknowledgedAllThere(entries));
  EXPECT_EQ(entries.size(), 2u + acknowledged_before_reopen);
  for (const auto& failed : failures) {
    EXPECT_FALSE(entries.contains(failed[0].request_id)) << failed[0].request_id;
  }
  EXPECT_EQ(ledger_->GetMember("alice")->points_available(), AcknowledgedPoints("alice"));
  EXPECT_EQ(ledger_->GetMember("bob")->points_available(), AcknowledgedPoints("bob"));
  std::printf("%d operations acknowledged before the disk failed\n",
              acknowledged_before_reopen);
}

}  // namespace
}  // namespace loyalty::ledger
