// What an Append costs inside one operation that holds many members, as a
// maintenance chunk does (64 members, engine/program/expiry_run.cc): every
// member is staged, then gets one refused Append (rolled back) and one that
// is kept. The rollback must cost what the Append changed, not what the
// operation holds.
//
//   build/release/tests/ledger/rollback_benchmark [LOTS] [DATA_DIR]
//
// LOTS (default 50) is the number of point lots each of the 64 members
// holds. The decision ends with an error, so nothing of it is written and
// every round decides the same chunk. Prints figures; asserts nothing.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"
#include "engine/ledger/accounts.h"
#include "engine/ledger/ledger.h"
#include "tests/support/benchmark.h"
#include "tests/support/ledger_decisions.h"
#include "tests/support/temp_dir.h"

namespace loyalty {
namespace {

constexpr int kChunkMembers = 64;
constexpr int kRounds = 20;
const absl::Time kStart = absl::FromUnixSeconds(1767225600);  // 2026-01-01

v1::Posting* AddPosting(v1::JournalEntry& entry, const std::string& account,
                        int64_t amount) {
  v1::Posting* posting = entry.add_postings();
  posting->set_account(account);
  posting->set_asset(std::string(ledger::kPointsAsset));
  posting->set_amount(amount);
  return posting;
}

std::string MemberId(int i) { return absl::StrCat("M", 1000 + i); }

// Member `id` with `lots` lots of 10 points, one a day.
ledger::Decide EnrollWithLots(const std::string& id, int lots) {
  return [id, lots](ledger::Transaction& t) -> absl::StatusOr<std::string> {
    v1::MemberRecord record;
    record.mutable_profile()->set_member_id(id);
    RETURN_IF_ERROR(t.AddMember(std::move(record)));
    v1::JournalEntry entry;
    entry.set_kind(v1::ENTRY_KIND_ADJUSTMENT);
    entry.set_member_id(id);
    AddPosting(entry, "program/points/goodwill",
               -10 * static_cast<int64_t>(lots));
    for (int day = 0; day < lots; ++day) {
      *AddPosting(entry, ledger::MemberPointsAvailable(id), 10)
           ->mutable_lot_earn_time() =
          ToTimestamp(kStart + absl::Hours(24 * day));
    }
    RETURN_IF_ERROR(t.Append(std::move(entry)).status());
    return std::string();
  };
}

// A burn of `points` from member `id`.
v1::JournalEntry Burn(const std::string& id, int64_t points) {
  v1::JournalEntry entry;
  entry.set_kind(v1::ENTRY_KIND_ADJUSTMENT);
  entry.set_member_id(id);
  AddPosting(entry, std::string(ledger::kProgramPointsRedeemed), points);
  AddPosting(entry, ledger::MemberPointsAvailable(id), -points);
  return entry;
}

// One chunk: stages every member, then per member a refused burn (more than
// it holds) and a kept one. Returns the time the Appends took.
absl::StatusOr<absl::Duration> DecideChunk(ledger::Ledger& ledger, int round) {
  absl::Duration appends;
  absl::Status failure;
  auto decide = [&](ledger::Transaction& t) -> absl::StatusOr<std::string> {
    for (int i = 0; i < kChunkMembers; ++i) {
      RETURN_IF_ERROR(t.Member(MemberId(i)).status());
    }
    const absl::Time begin = absl::Now();
    for (int i = 0; i < kChunkMembers; ++i) {
      if (t.Append(Burn(MemberId(i), int64_t{1} << 40)).ok()) {
        failure = absl::InternalError("an oversized burn was kept");
      }
      RETURN_IF_ERROR(t.Append(Burn(MemberId(i), 1)).status());
    }
    appends = absl::Now() - begin;
    // Not kept: the next round decides the same chunk again.
    return absl::AbortedError("benchmark round");
  };
  ledger::Outcome outcome = testing::RunAndWait(
      ledger, absl::StrCat("chunk-", round), std::move(decide));
  RETURN_IF_ERROR(failure);
  if (outcome.status.code() != absl::StatusCode::kAborted)
    return outcome.status;
  return appends;
}

int RunBenchmark(int lots, const std::string& data_dir) {
  ManualClock clock(kStart + absl::Hours(24 * 400));
  ledger::LedgerOptions options;
  options.data_dir = data_dir;
  options.clock = &clock;
  auto opened = ledger::Ledger::Open(options);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n",
                 std::string(opened.status().message()).c_str());
    return 1;
  }
  ledger::Ledger& ledger = **opened;
  for (int i = 0; i < kChunkMembers; ++i) {
    ledger::Outcome enrolled = testing::RunAndWait(
        ledger, absl::StrCat("enroll-", i), EnrollWithLots(MemberId(i), lots));
    if (!enrolled.status.ok()) {
      std::fprintf(stderr, "%s\n", enrolled.status.ToString().c_str());
      return 1;
    }
  }
  std::vector<double> round_us;
  for (int round = 0; round < kRounds; ++round) {
    absl::StatusOr<absl::Duration> took = DecideChunk(ledger, round);
    if (!took.ok()) {
      std::fprintf(stderr, "%s\n", took.status().ToString().c_str());
      return 1;
    }
    round_us.push_back(absl::ToDoubleMicroseconds(*took));
  }
  std::sort(round_us.begin(), round_us.end());
  const double median_us = testing::Percentile(round_us, 0.5);
  std::printf(
      "rollback benchmark: %d members with %d lots each in one operation; "
      "%d Appends (%d refused and rolled back) take %.0f us (median of %d), "
      "%.1f us per Append\n",
      kChunkMembers, lots, 2 * kChunkMembers, kChunkMembers, median_us, kRounds,
      median_us / (2 * kChunkMembers));
  return 0;
}

}  // namespace
}  // namespace loyalty

int main(int argc, char** argv) {
  const int lots = argc > 1 ? std::atoi(argv[1]) : 50;
  if (argc > 2) return loyalty::RunBenchmark(lots, argv[2]);
  loyalty::testing::TempDir dir;
  return loyalty::RunBenchmark(lots, dir.Sub("ledger"));
}
