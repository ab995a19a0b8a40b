#include "engine/analytics/counters.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/analytics/activity.h"
#include "engine/base/checked_math.h"
#include "engine/base/error.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"
#include "engine/ledger/accounts.h"

namespace loyalty::analytics {
namespace {

using loyalty::v1::JournalEntry;
using loyalty::v1::MemberRecord;

std::string OrDash(const std::string& value) { return value.empty() ? "-" : value; }

// Points and cashback moved by the entry, read from its postings.
struct Moves {
  int64_t points_issued = 0, points_redeemed = 0;
  int64_t cashback_issued = 0, cashback_redeemed = 0;
  int64_t points_expired = 0;
};

// Adds `amount` to `*total` (subtracts it when `issued`: issue postings are
// debits); false when the result would not fit.
bool AddMove(int64_t* total, int64_t amount, bool issued = false) {
  const std::optional<int64_t> sum =
      issued ? CheckedSub(*total, amount) : CheckedAdd(*total, amount);
  if (sum) *total = *sum;
  return sum.has_value();
}

// The moves of `entry`; a sum that would not fit refuses the operation
// (through `transaction`) and counts nothing.
Moves MovesOf(const JournalEntry& entry, ledger::Transaction& transaction) {
  Moves moves;
  bool fits = true;
  for (const auto& posting : entry.postings()) {
    const std::string& account = posting.account();
    const int64_t amount = posting.amount();
    if (ledger::IsPointsIssued(account)) {
      fits = fits && AddMove(&moves.points_issued, amount, /*issued=*/true);
    } else if (ledger::IsPointsRedeemed(account)) {
      fits = fits && AddMove(&moves.points_redeemed, amount);
    } else if (account == ledger::kProgramPointsExpired) {
      fits = fits && AddMove(&moves.points_expired, amount);
    } else if (account == ledger::ProgramCashbackIssued(posting.asset())) {
      fits = fits && AddMove(&moves.cashback_issued, amount, /*issued=*/true);
    } else if (account == ledger::ProgramCashbackRedeemed(posting.asset())) {
      fits = fits && AddMove(&moves.cashback_redeemed, amount);
    }
  }
  if (fits) return moves;
  transaction.Refuse(InvalidArgument("AMOUNT_OVERFLOW", "",
                                     "the entry's moves would not fit in a 64-bit integer"));
  return Moves();
}

// Adds the purchase to the member's month; returns the month's new count and
// whether the member already had a purchase in the same year / the year
// before (for the yearly active and retained counters).
struct Activity {
  int64_t purchases_in_month = 0;
  bool active_this_year_before = false;
  bool active_last_year = false;
};

Activity RecordActivity(absl::string_view month, MemberRecord* member) {
  Activity activity;
  const std::string year(month.substr(0, 4));
  const std::string last_year = absl::StrCat(std::stoi(year) - 1);
  auto& months = *member->mutable_activity();
  for (const auto& seen : months) {
    if (seen.month() != month && seen.month().substr(0, 4) == year) {
      activity.active_this_year_before = true;
    }
    if (seen.month().substr(0, 4) == last_year) activity.active_last_year = true;
  }
  auto it = std::find_if(months.begin(), months.end(),
                         [&](const auto& seen) { return seen.month() >= month; });
  if (it == months.end() || it->month() != month) {
    const int index = static_cast<int>(it - months.begin());
    loyalty::v1::MonthActivity added;
    added.set_month(std::string(month));
    months.Add(std::move(added));
    std::rotate(months.begin() + index, months.end() - 1, months.end());
    it = months.begin() + index;
  }
  it->set_purchases(it->purchases() + 1);
  activity.purchases_in_month = it->purchases();
  if (months.size() > kMaxActivityMonths) months.erase(months.begin());
  return activity;
}

}  // namespace

std::string MonthOf(absl::Time time) {
  return absl::FormatTime("%Y-%m", time, absl::UTCTimeZone());
}

std::string GroupKey(absl::string_view month, absl::string_view group) {
  return absl::StrCat("g/", month, "/", group);
}
std::string CohortKey(absl::string_view month) { return absl::StrCat("c/", month); }
std::string SurveyKey(absl::string_view month) { return absl::StrCat("s/", month); }
std::string YearKey(int year) { return absl::StrFormat("y/%04d", year); }

std::vector<std::string> MemberGroups(const JournalEntry& entry,
                                      const MemberRecord& member) {
  // A purchase counts in the tier it was priced in; other entries in the
  // member's tier.
  const std::string& tier =
      entry.has_purchase() ? entry.purchase().tier() : member.tier();
  std::vector<std::string> groups = {"all", "tier:" + OrDash(tier)};
  if (member.profile().segments().empty()) groups.push_back("segment:-");
  for (const auto& segment : member.profile().segments()) {
    groups.push_back("segment:" + segment);
  }
  return groups;
}

std::vector<std::string> PurchaseGroups(const JournalEntry& entry,
                                        const MemberRecord& member) {
  std::vector<std::string> groups = MemberGroups(entry, member);
  groups.push_back("store:" + OrDash(entry.store_id()));
  groups.push_back("partner:" + OrDash(entry.partner_id()));
  return groups;
}

absl::Status CountPurchase(const JournalEntry& entry,
                           const std::vector<ledger::ConsumedLot>& consumed,
                           MemberRecord* member,
                           ledger::Transaction& transaction) {
  const absl::Time when = FromTimestamp(entry.effective_time());
  const std::string month = MonthOf(when);
  const Moves moves = MovesOf(entry, transaction);
  for (const std::string& group : PurchaseGroups(entry, *member)) {
    const std::string key = GroupKey(month, group);
    transaction.AddCounter(key, kPointsIssued, moves.points_issued);
    transaction.AddCounter(key, kPointsRedeemed, moves.points_redeemed);
    transaction.AddCounter(key, kCashbackIssued, moves.cashback_issued);
    transaction.AddCounter(key, kCashbackRedeemed, moves.cashback_redeemed);
    transaction.AddCounter(key, kPurchases, 1);
    transaction.AddCounter(key, kRevenueMinor, entry.purchase().total_due_minor());
  }
  if (moves.points_issued != 0) {
    transaction.AddCounter(CohortKey(month), kCohortIssued, moves.points_issued);
  }
  for (const ledger::ConsumedLot& lot : consumed) {
    transaction.AddCounter(CohortKey(MonthOf(FromTimestamp(lot.earn_time))),
                           kCohortRedeemed, lot.amount);
  }
  // Distinct members are counted from the member's month record, not from
  // counters: counters add up over months, members must not.
  RETURN_IF_ERROR(RecordMemberMonth(month, member->profile().member_id(),
                                    PurchaseGroups(entry, *member), transaction));
  const Activity activity = RecordActivity(month, member);
  if (activity.purchases_in_month == 1 && !activity.active_this_year_before) {
    const int year = std::stoi(month.substr(0, 4));
    transaction.AddCounter(YearKey(year), kYearActive, 1);
    if (activity.active_last_year) {
      transaction.AddCounter(YearKey(year), kYearRetained, 1);
    }
  }
  return absl::OkStatus();
}

void CountRefund(const JournalEntry& entry, const MemberRecord& member,
                 ledger::Transaction& transaction) {
  const std::string month = MonthOf(transaction.now());
  const Moves moves = MovesOf(entry, transaction);
  for (const std::string& group : PurchaseGroups(entry, member)) {
    const std::string key = GroupKey(month, group);
    transaction.AddCounter(key, kPointsIssued, moves.points_issued);
    transaction.AddCounter(key, kPointsRedeemed, moves.points_redeemed);
    transaction.AddCounter(key, kCashbackIssued, moves.cashback_issued);
    transaction.AddCounter(key, kCashbackRedeemed, moves.cashback_redeemed);
    transaction.AddCounter(key, kRevenueMinor, entry.purchase().total_due_minor());
  }
}

void CountPointMoves(const JournalEntry& entry,
                     const std::vector<ledger::ConsumedLot>& consumed,
                     const MemberRecord& member,
                     ledger::Transaction& transaction) {
  const std::string month = MonthOf(transaction.now());
  const Moves moves = MovesOf(entry, transaction);
  for (const std::string& group : MemberGroups(entry, member)) {
    const std::string key = GroupKey(month, group);
    transaction.AddCounter(key, kPointsIssued, moves.points_issued);
    transaction.AddCounter(key, kPointsRedeemed, moves.points_redeemed);
    transaction.AddCounter(key, kPointsExpired, moves.points_expired);
  }
  if (moves.points_issued != 0) {
    transaction.AddCounter(CohortKey(month), kCohortIssued, moves.points_issued);
  }
  // Lots are taken from by a redemption or by an expiry, never both at once.
  const int value = moves.points_expired != 0 ? kCohortExpired : kCohortRedeemed;
  for (const ledger::ConsumedLot& lot : consumed) {
    transaction.AddCounter(CohortKey(MonthOf(FromTimestamp(lot.earn_time))),
                           value, lot.amount);
  }
}

void CountFeedback(const loyalty::v1::Feedback& feedback, absl::Time time,
                   ledger::Transaction& transaction) {
  const std::string key = SurveyKey(MonthOf(time));
  const int score = feedback.score();
  switch (feedback.survey()) {
    case loyalty::v1::SURVEY_KIND_NPS:
      transaction.AddCounter(key,
                             score >= 9   ? kNpsPromoters
                             : score >= 7 ? kNpsPassives
                                          : kNpsDetractors,
                             1);
      return;
    case loyalty::v1::SURVEY_KIND_CSAT:
      transaction.AddCounter(key, kCsatAnswers, 1);
      if (score >= 4) transaction.AddCounter(key, kCsatSatisfied, 1);
      return;
    case loyalty::v1::SURVEY_KIND_CES:
      transaction.AddCounter(key, kCesAnswers, 1);
      transaction.AddCounter(key, kCesScoreSum, score);
      return;
    default:
      return;
  }
}

}  // namespace loyalty::analytics
