// The Transaction a decision works through, on a real ledger: the member
// records it hands out stay valid for the whole decision, and a refused
// Append puts back exactly what it changed and nothing else.
#include "engine/ledger/transaction.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/base/clock.h"
#include "engine/base/error.h"
#include "engine/ledger/accounts.h"
#include "engine/ledger/ledger.h"
#include "gtest/gtest.h"
#include "tests/support/ledger_decisions.h"
#include "tests/support/temp_dir.h"

namespace loyalty::ledger {
namespace {

using loyalty::v1::JournalEntry;
using loyalty::v1::MemberRecord;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);  // 2026-01-01
const std::string kPoints(kPointsAsset);

void AddPosting(JournalEntry& entry, const std::string& account,
                int64_t amount) {
  auto* posting = entry.add_postings();
  posting->set_account(account);
  posting->set_asset(kPoints);
  posting->set_amount(amount);
}

// `points` for `member_id` (a burn when negative), from or to the program.
JournalEntry MovePoints(const std::string& member_id, int64_t points) {
  JournalEntry entry;
  entry.set_kind(loyalty::v1::ENTRY_KIND_ADJUSTMENT);
  entry.set_member_id(member_id);
  AddPosting(entry, MemberPointsAvailable(member_id), points);
  AddPosting(
      entry,
      std::string(points > 0 ? kProgramPointsIssued : kProgramPointsRedeemed),
      -points);
  return entry;
}

class TransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LedgerOptions options;
    options.data_dir = dir_.Sub("ledger");
    options.clock = &clock_;
    auto opened = Ledger::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    ledger_ = *std::move(opened);
  }

  Outcome Run(const std::string& request_id, Decide decide) {
    return testing::RunAndWait(*ledger_, request_id, std::move(decide));
  }

  // Enrolls every id in one operation, each with `points` available points.
  void Enroll(const std::vector<std::string>& ids, int64_t points) {
    Outcome outcome =
        Run(absl::StrCat("enroll-", ids.front()),
            [&](Transaction& t) -> absl::StatusOr<std::string> {
              for (const std::string& id : ids) {
                MemberRecord record;
                record.mutable_profile()->set_member_id(id);
                if (auto added = t.AddMember(record); !added.ok()) {
                  return added;
                }
                if (auto sequence = t.Append(MovePoints(id, points));
                    !sequence.ok()) {
                  return sequence.status();
                }
              }
              return std::string();
            });
    ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  }

  // The audit's first problem; "" for a clean ledger.
  std::string AuditProblem() {
    absl::StatusOr<AuditReport> report = ledger_->Audit();
    return report.ok() ? report->problem : report.status().ToString();
  }

  testing::TempDir dir_;
  ManualClock clock_{kStart};
  std::unique_ptr<Ledger> ledger_;
};

// A handle taken before hundreds more members are staged (the hash table
// that holds them grows many times meanwhile) still reads and writes the
// member it was taken for. Under ASan, the old flat table's moved records
// were a heap-use-after-free here.
TEST_F(TransactionTest, HandlesStayValidWhileManyMoreMembersAreStaged) {
  constexpr int kOthers = 500;
  std::vector<std::string> ids = {"first"};
  for (int i = 0; i < kOthers; ++i) ids.push_back(absl::StrCat("other-", i));
  ASSERT_NO_FATAL_FAILURE(Enroll(ids, 20));

  bool same_handle = false;
  std::string read_id;
  int64_t read_points = 0;
  Outcome outcome =
      Run("many", [&](Transaction& t) -> absl::StatusOr<std::string> {
        auto first = t.Member("first");
        auto mutable_first = t.MutableMember("first");
        if (!first.ok()) return first.status();
        if (!mutable_first.ok()) return mutable_first.status();
        for (int i = 0; i < kOthers; ++i) {
          const std::string id = absl::StrCat("other-", i);
          if (auto other = t.Member(id); !other.ok()) return other.status();
          if (i % 50 == 0) {
            if (auto sequence = t.Append(MovePoints(id, 5)); !sequence.ok()) {
              return sequence.status();
            }
          }
        }
        if (auto sequence = t.Append(MovePoints("first", 10)); !sequence.ok()) {
          return sequence.status();
        }
        auto again = t.Member("first");
        if (!again.ok()) return again.status();
        same_handle = *again == *first && *again == *mutable_first;
        read_id = (*first)->profile().member_id();
        read_points = (*first)->points_available();
        (*mutable_first)->set_purchase_count(7);
        return std::string();
      });
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_TRUE(same_handle);
  EXPECT_EQ(read_id, "first");
  EXPECT_EQ(read_points, 30);  // the handle shows the Append made after it
  auto first = ledger_->GetMember("first");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->points_available(), 30);
  EXPECT_EQ(first->purchase_count(), 7);
  EXPECT_EQ(ledger_->GetMember("other-0")->points_available(), 25);
  EXPECT_EQ(ledger_->GetMember("other-1")->points_available(), 20);
  EXPECT_EQ(AuditProblem(), "");
}

// What a decision observes of its staged state after two refused Appends.
struct AfterRefusals {
  absl::Status insufficient;  // a burn beyond the balance
  absl::Status partial;       // refused after changing a record
  bool same_handles = false;
  int64_t alice_points = 0, bob_points = 0, erin_points = 0;
  int alice_lots = 0, bob_lots = 0;
  int64_t alice_last_sequence = 0, bob_last_sequence = 0;
  int64_t kept_sequence = 0;
  int64_t carol_purchases = 0;
};

// Two Appends refused in the middle of their postings: the first after it
// changed bob, erin (whom it staged itself) and two program accounts, the
// second after it changed alice's balance and lots. Each puts back exactly
// those, in place, and leaves alone what the decision changed before it
// (alice's kept Append, carol's purchase count).
TEST_F(TransactionTest, RefusedAppendRestoresOnlyWhatItTouched) {
  ASSERT_NO_FATAL_FAILURE(Enroll({"alice", "bob", "carol", "erin"}, 100));
  AfterRefusals seen;
  Outcome outcome =
      Run("refusals", [&](Transaction& t) -> absl::StatusOr<std::string> {
        auto alice = t.Member("alice");
        auto bob = t.Member("bob");
        auto carol = t.MutableMember("carol");
        if (!alice.ok() || !bob.ok() || !carol.ok())
          return absl::InternalError("staging");
        (*carol)->set_purchase_count(5);
        auto kept = t.Append(MovePoints("alice", 10));
        if (!kept.ok()) return kept.status();
        seen.kept_sequence = *kept;

        JournalEntry spread;
        AddPosting(spread, std::string(kProgramPointsIssued), -40);
        AddPosting(spread, MemberPointsAvailable("bob"), 30);
        AddPosting(spread, MemberPointsAvailable("erin"), 10);
        AddPosting(spread, std::string(kProgramPointsRedeemed), 1000);
        AddPosting(spread, MemberPointsAvailable("alice"), -1000);
        seen.insufficient = t.Append(spread).status();

        // Passes the balance check, then finds no lot of partner "acme".
        JournalEntry by_partner = MovePoints("alice", -50);
        by_partner.mutable_postings(0)->set_by_lot_partner(true);
        by_partner.mutable_postings(0)->set_lot_partner_id("acme");
        seen.partial = t.Append(by_partner).status();

        auto alice_again = t.Member("alice");
        auto bob_again = t.Member("bob");
        auto erin = t.Member("erin");
        if (!alice_again.ok() || !bob_again.ok() || !erin.ok()) {
          return absl::InternalError("restaging");
        }
        seen.same_handles = *alice_again == *alice && *bob_again == *bob;
        seen.alice_points = (*alice)->points_available();
        seen.alice_lots = (*alice)->lots_size();
        seen.alice_last_sequence = (*alice)->last_sequence();
        seen.bob_points = (*bob)->points_available();
        seen.bob_lots = (*bob)->lots_size();
        seen.bob_last_sequence = (*bob)->last_sequence();
        seen.erin_points = (*erin)->points_available();
        seen.carol_purchases = (*carol)->purchase_count();
        auto burn = t.Append(MovePoints("bob", -20));
        if (!burn.ok()) return burn.status();
        return std::string();
      });
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_EQ(seen.insufficient.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(seen.insufficient), "INSUFFICIENT_POINTS");
  EXPECT_EQ(seen.partial.code(), absl::StatusCode::kInternal) << seen.partial;
  EXPECT_TRUE(seen.same_handles);
  EXPECT_EQ(seen.alice_points, 110);
  EXPECT_EQ(seen.alice_lots, 2);
  EXPECT_EQ(seen.alice_last_sequence, seen.kept_sequence);
  EXPECT_EQ(seen.bob_points, 100);
  EXPECT_EQ(seen.bob_lots, 1);
  EXPECT_LT(seen.bob_last_sequence, seen.kept_sequence);
  EXPECT_EQ(seen.erin_points, 100);
  EXPECT_EQ(seen.carol_purchases, 5);

  EXPECT_EQ(ledger_->GetMember("alice")->points_available(), 110);
  EXPECT_EQ(ledger_->GetMember("bob")->points_available(), 80);
  EXPECT_EQ(ledger_->GetMember("carol")->purchase_count(), 5);
  EXPECT_EQ(ledger_->GetMember("erin")->points_available(), 100);
  auto balances = ledger_->ReadProgramBalances();
  ASSERT_TRUE(balances.ok()) << balances.status();
  const AccountAsset issued{std::string(kProgramPointsIssued), kPoints};
  const AccountAsset redeemed{std::string(kProgramPointsRedeemed), kPoints};
  EXPECT_EQ((*balances)[issued], -410);
  EXPECT_EQ((*balances)[redeemed], 20);
  EXPECT_EQ(AuditProblem(), "");
}

}  // namespace
}  // namespace loyalty::ledger
