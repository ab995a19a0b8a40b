// Distinct members over any range of whole months, exact.
//
// Each sale updates one record per member and month (a MemberMonth under
// the program-layer key "activity/{YYYY-MM}/{member_id}", month of the
// purchase time, UTC) in the same WriteBatch as the sale: the member's
// purchases that month, in total and by group (tier it was priced in,
// segments, store, partner). A metrics call counts members from one snapshot
// by walking the months of its range side by side in member-id order (a
// k-way merge, one cursor per month): each member is met once with its
// purchases over the whole range, so a member who bought in two months is
// one active member with two purchases, never two. Memory is one cursor per
// month; time is linear in the records of the range.
//
// Refunds do not touch these records: a member whose sale was refunded in
// full still made a purchase (a visit) and counts as active, as the
// purchases counter does.
#ifndef LOYALTY_ENGINE_ANALYTICS_ACTIVITY_H_
#define LOYALTY_ENGINE_ANALYTICS_ACTIVITY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/ledger/ledger.h"
#include "engine/ledger/transaction.h"
#include "loyalty/v1/storage.pb.h"

namespace loyalty::analytics {

// At most this many months in one count (a cursor each): 100 years.
inline constexpr int kMaxCountedMonths = 1200;

std::string MemberMonthKey(absl::string_view month, absl::string_view member_id);

// A member's month record as stored (the ledger format "loyalty-ledger-4"
// on): the groups whose count is the month's total named in
// every_purchase_groups without a count, the others in group_purchases.
// ExpandMemberMonth gives every group its count in group_purchases (the
// shape of records written before, which it leaves as they are);
// CompactMemberMonth goes back. Each is the other's inverse.
void ExpandMemberMonth(loyalty::v1::MemberMonth* record);
void CompactMemberMonth(loyalty::v1::MemberMonth* record);

// Adds one purchase by `member_id` in `month` to its record, in `groups`
// ("all" is the record's total).
absl::Status RecordMemberMonth(absl::string_view month,
                               absl::string_view member_id,
                               const std::vector<std::string>& groups,
                               ledger::Transaction& transaction);

struct DistinctMembers {
  int64_t active = 0;     // members with a purchase in the range
  int64_t repeat = 0;     // ... with two purchases or more in it
  int64_t purchases = 0;  // their purchases in the range
};

// By group, for the months [first_month, end_month) (YYYY-MM strings
// compared as text): "all" when `group_prefix` is "all", else every group
// that starts with it ("tier:", "store:", ...).
absl::StatusOr<std::map<std::string, DistinctMembers>> CountDistinctMembers(
    const ledger::Ledger& ledger, const std::string& first_month,
    const std::string& end_month, const std::string& group_prefix);

// Ledgers written before the month records existed: for every member, raises
// the record of each month the member record remembers (MemberRecord.activity:
// the newest kMaxActivityMonths months with a purchase) to the purchases it
// counts that month. Those older purchases count in "all" only: the groups
// they counted in were not kept, so per-group figures start with the
// upgrade. Runs once, at start (loyaltyd calls it before serving; it is also
// safe while serving, each page being one ledger operation), then marks the
// ledger and returns at once on later starts. O(members), a page at a time.
absl::Status MigrateMemberMonths(ledger::Ledger& ledger);

}  // namespace loyalty::analytics

#endif  // LOYALTY_ENGINE_ANALYTICS_ACTIVITY_H_
