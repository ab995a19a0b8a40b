// The metrics counters written beside the journal, in the same WriteBatch as
// the entry they count (see ledger::Transaction::AddCounter). Each key holds a
// small vector of values; this file gives the keys and the values meaning.
//
//   g/{YYYY-MM}/{group}   GroupValue   per month and group
//   c/{YYYY-MM}           CohortValue  per month the points were earned
//   s/{YYYY-MM}           SurveyValue  per month of the answers
//   y/{YYYY}              YearValue    members active per year
//
// Groups: "all", "tier:{t}", "store:{s}", "partner:{p}", "segment:{s}"
// ("-" stands for an empty tier, store or partner). Months and years are UTC
// and come from the purchase time, so a back-dated sale counts in its month.
// Active and repeat members are not counters (they do not add up over
// months): each sale updates the member's month record (activity.h), from
// which metrics count distinct members over any range. The counters'
// kActiveMembers and kRepeatMembers values are no longer written or read.
#ifndef LOYALTY_ENGINE_ANALYTICS_COUNTERS_H_
#define LOYALTY_ENGINE_ANALYTICS_COUNTERS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "engine/ledger/transaction.h"
#include "loyalty/v1/storage.pb.h"
#include "loyalty/v1/types.pb.h"

namespace loyalty::analytics {

enum GroupValue : int {
  kPointsIssued = 0,
  kPointsRedeemed,
  kPointsExpired,
  kCashbackIssued,
  kCashbackRedeemed,
  kPurchases,
  kRevenueMinor,
  kActiveMembers,
  kRepeatMembers,
};

enum CohortValue : int { kCohortIssued = 0, kCohortRedeemed, kCohortExpired };

enum SurveyValue : int {
  kNpsPromoters = 0,
  kNpsPassives,
  kNpsDetractors,
  kCsatAnswers,
  kCsatSatisfied,
  kCesAnswers,
  kCesScoreSum,
};

enum YearValue : int { kYearActive = 0, kYearRetained };

// Months of purchases a member record remembers for the activity counters.
inline constexpr int kMaxActivityMonths = 25;

std::string MonthOf(absl::Time time);  // "2026-03", UTC
std::string GroupKey(absl::string_view month, absl::string_view group);
std::string CohortKey(absl::string_view month);
std::string SurveyKey(absl::string_view month);
std::string YearKey(int year);

// The groups a purchase by `member` at `entry` counts in, "all" first.
std::vector<std::string> PurchaseGroups(const loyalty::v1::JournalEntry& entry,
                                        const loyalty::v1::MemberRecord& member);
// The groups that belong to the member (all, tier, segments).
std::vector<std::string> MemberGroups(const loyalty::v1::JournalEntry& entry,
                                      const loyalty::v1::MemberRecord& member);

// Counts a committed purchase `entry` (with its PurchaseSummary and
// postings): points and cashback issued and redeemed, purchases, revenue,
// cohorts (points burned count in the month their lots were earned), the
// member's month record (activity.h) and the member's activity (updating
// member->activity, for the yearly churn counters). An error (a stored month
// record that does not parse, a count that overflows) fails the sale.
absl::Status CountPurchase(const loyalty::v1::JournalEntry& entry,
                           const std::vector<ledger::ConsumedLot>& consumed,
                           loyalty::v1::MemberRecord* member,
                           ledger::Transaction& transaction);

// Counts a refund `entry` (postings reversed, its PurchaseSummary holding
// minus what went back): issued, redeemed, cashback and revenue go down in
// the month of the refund; purchases and members are not uncounted.
void CountRefund(const loyalty::v1::JournalEntry& entry,
                 const loyalty::v1::MemberRecord& member,
                 ledger::Transaction& transaction);

// Counts the points an upkeep entry (expiry, release, birthday gift) or a
// reward redemption moved, in the month of the write, in the member's
// groups: issued, redeemed and expired; and in the cohorts, the lots taken
// (`consumed`) by the month they were earned, as expired when the entry
// expired points and as redeemed otherwise.
void CountPointMoves(const loyalty::v1::JournalEntry& entry,
                     const std::vector<ledger::ConsumedLot>& consumed,
                     const loyalty::v1::MemberRecord& member,
                     ledger::Transaction& transaction);

// Counts one survey answer.
void CountFeedback(const loyalty::v1::Feedback& feedback, absl::Time time,
                   ledger::Transaction& transaction);

}  // namespace loyalty::analytics

#endif  // LOYALTY_ENGINE_ANALYTICS_COUNTERS_H_
