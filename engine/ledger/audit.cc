// Ledger::Audit: the full replay that proves the stored state.
#include <algorithm>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "engine/ledger/accounts.h"
#include "engine/ledger/journal_checker.h"
#include "engine/ledger/keys.h"
#include "engine/ledger/ledger.h"
#include "engine/ledger/rocksdb_options.h"

namespace loyalty::ledger {
namespace {

using loyalty::v1::MemberRecord;

// The problem with one member's stored record, or "".
std::string CheckMember(const MemberRecord& record,
                        const JournalChecker& journal) {
  const std::string& id = record.profile().member_id();
  const std::string where = absl::StrCat("member ", id, ": ");
  const std::string points(kPointsAsset);
  if (record.points_available() !=
      journal.Balance(MemberPointsAvailable(id), points)) {
    return where + "points_available differs from the journal";
  }
  if (record.points_pending() !=
      journal.Balance(MemberPointsPending(id), points)) {
    return where + "points_pending differs from the journal";
  }
  int64_t in_lots = 0;
  for (const auto& lot : record.lots()) {
    if (lot.remaining() <= 0) return where + "a lot is empty or negative";
    in_lots += lot.remaining();
  }
  if (in_lots != std::max<int64_t>(record.points_available(), 0)) {
    return where + "lots do not add up to points_available";
  }
  int64_t in_pending_lots = 0;
  for (const auto& lot : record.pending_lots()) {
    if (lot.remaining() <= 0) return where + "a pending lot is empty or negative";
    in_pending_lots += lot.remaining();
  }
  if (in_pending_lots != record.points_pending()) {
    return where + "pending lots do not add up to points_pending";
  }
  for (const auto& wallet : record.cashback()) {
    if (wallet.amount_minor() !=
        journal.Balance(MemberCashback(id, wallet.currency()),
                        wallet.currency())) {
      return absl::StrCat(where, "cashback in ", wallet.currency(),
                          " differs from the journal");
    }
  }
  return "";
}

// Adds the partner-funded points an entry moves outside member accounts:
// for every partner, these sums plus the points in lots it funds are zero.
void AddFunding(const loyalty::v1::JournalEntry& entry,
                std::map<std::string, int64_t>* funding) {
  for (const auto& posting : entry.postings()) {
    if (!posting.lot_partner_id().empty() && posting.asset() == kPointsAsset &&
        !ParseMemberAccount(posting.account())) {
      (*funding)[posting.lot_partner_id()] += posting.amount();
    }
  }
}

template <typename Message>
bool Parse(const rocksdb::Iterator& it, Message* message) {
  return message->ParseFromArray(it.value().data(),
                                 static_cast<int>(it.value().size()));
}

// Funding sums by partner (see AddFunding).
using Funding = std::map<std::string, int64_t>;

// Replays every entry into `journal`, which checks sequences, the hash chain
// and the postings; adds partner funding to `funding`. The first problem,
// or "".
std::string ReplayJournal(rocksdb::Iterator& it, JournalChecker& journal,
                          Funding& funding) {
  std::string problem;
  for (it.Seek(keys::kEntryPrefix); problem.empty() && it.Valid() &&
                                    it.key().starts_with(keys::kEntryPrefix);
       it.Next()) {
    loyalty::v1::JournalEntry entry;
    if (!Parse(it, &entry)) {
      problem = absl::StrCat("entry after sequence ", journal.entries_checked(),
                             " does not parse");
    } else if (journal.entries_checked() == 0 && entry.sequence() != 1) {
      problem = absl::StrCat("entry ", entry.sequence(), ": the journal must start at 1");
    } else if (!journal.Add(entry)) {
      problem = journal.problem();
    } else {
      AddFunding(entry, &funding);
    }
  }
  return problem;
}

// Checks every stored member record against the replayed journal (see
// CheckMember), counting them in `members_checked`, and adds the points in
// partner-funded lots to `funding`. The first problem, or "".
std::string CheckMembers(rocksdb::Iterator& it, const JournalChecker& journal,
                         Funding& funding, int64_t& members_checked) {
  std::string problem;
  for (it.Seek(keys::kMemberPrefix); problem.empty() && it.Valid() &&
                                     it.key().starts_with(keys::kMemberPrefix);
       it.Next()) {
    MemberRecord record;
    problem = Parse(it, &record) ? CheckMember(record, journal)
                                 : "a member record does not parse";
    for (const auto* lots : {&record.lots(), &record.pending_lots()}) {
      for (const auto& lot : *lots) {
        if (!lot.partner_id().empty()) funding[lot.partner_id()] += lot.remaining();
      }
    }
    ++members_checked;
  }
  return problem;
}

// Every partner's funding postings and the points in its lots cancel out.
std::string CheckFunding(const Funding& funding) {
  for (const auto& [partner, sum] : funding) {
    if (sum != 0) {
      return absl::StrCat("points funded by partner ", partner,
                          ": lots and funding postings differ by ", sum);
    }
  }
  return "";
}

// Every stored program or partner balance equals the replayed one.
std::string CheckProgramAccounts(rocksdb::Iterator& it,
                                 const JournalChecker& journal) {
  for (it.Seek(keys::kAccountPrefix);
       it.Valid() && it.key().starts_with(keys::kAccountPrefix); it.Next()) {
    loyalty::v1::AccountBalance stored;
    if (!Parse(it, &stored) ||
        stored.amount() != journal.Balance(stored.account(), stored.asset())) {
      return absl::StrCat("account ", stored.account(), " (", stored.asset(),
                          ") differs from the journal");
    }
  }
  return "";
}

// Every account with a replayed balance is stored somewhere (a member
// record or a program account).
std::string CheckBalancesStored(rocksdb::DB& db,
                                const rocksdb::ReadOptions& read,
                                const JournalChecker& journal) {
  for (const auto& [key, amount] : journal.balances()) {
    if (amount == 0) continue;
    auto member = ParseMemberAccount(key.first);
    std::string value;
    if (!db.Get(read,
                member ? keys::Member(member->member_id)
                       : keys::Account(key.first, key.second),
                &value)
             .ok()) {
      return absl::StrCat("account ", key.first,
                          " has postings but no stored balance");
    }
  }
  return "";
}

}  // namespace

absl::StatusOr<AuditReport> Ledger::Audit() const {
  AuditReport report;
  rocksdb::ReadOptions read = VerifiedReadOptions();
  rocksdb::ManagedSnapshot snapshot(db_.get());
  read.snapshot = snapshot.snapshot();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read));
  JournalChecker journal;
  Funding funding;
  // Each step runs only while no problem is found; the first one is told.
  std::string problem = ReplayJournal(*it, journal, funding);
  report.entries_checked = journal.entries_checked();
  if (problem.empty()) {
    problem = CheckMembers(*it, journal, funding, report.members_checked);
  }
  if (problem.empty()) problem = CheckFunding(funding);
  if (problem.empty()) problem = CheckProgramAccounts(*it, journal);
  if (problem.empty()) problem = CheckBalancesStored(*db_, read, journal);
  if (!it->status().ok()) return absl::UnavailableError(it->status().ToString());
  report.problem = problem;
  return report;
}

}  // namespace loyalty::ledger
