// Ledgers written before members' month records existed (activity.h): one
// pass at start that writes them from what each member record remembers.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "engine/analytics/activity.h"
#include "engine/base/status_macros.h"
#include "loyalty/v1/storage.pb.h"

namespace loyalty::analytics {
namespace {

// Set once every member was migrated; the pass then does nothing.
constexpr char kMigratedKey[] = "activity-migrated";
constexpr int kMembersPerOperation = 500;

// Raises each remembered month's record to the member's count of purchases
// that month (MemberRecord.activity counts every purchase, before and after
// the records existed; a record counts only those after).
absl::StatusOr<std::string> MigrateMembers(const std::vector<std::string>& ids,
                                           ledger::Transaction& t) {
  for (const std::string& id : ids) {
    ASSIGN_OR_RETURN(const loyalty::v1::MemberRecord* member, t.Member(id));
    for (const loyalty::v1::MonthActivity& month : member->activity()) {
      const std::string key = MemberMonthKey(month.month(), id);
      loyalty::v1::MemberMonth record;
      ASSIGN_OR_RETURN(std::optional<std::string> stored, t.GetAux(key));
      if (stored.has_value() && !record.ParseFromString(*stored)) {
        return absl::DataLossError(absl::StrCat("record ", key, " does not parse"));
      }
      if (record.purchases() >= month.purchases()) continue;
      // The groups keep their counts: only "all" rises.
      ExpandMemberMonth(&record);
      record.set_purchases(month.purchases());
      t.PutAux(key, record.SerializeAsString());
    }
  }
  return std::string();
}

absl::Status SubmitAndWait(ledger::Ledger& ledger, std::string request_id,
                           ledger::Decide decide) {
  absl::Notification done;
  absl::Status status;
  ledger.Submit(ledger::Operation{request_id, request_id, std::move(decide)},
                [&](ledger::Outcome outcome) {
                  status = outcome.status;
                  done.Notify();
                });
  done.WaitForNotification();
  return status;
}

}  // namespace

absl::Status MigrateMemberMonths(ledger::Ledger& ledger) {
  ASSIGN_OR_RETURN(auto marker, ledger.ReadAux(kMigratedKey));
  if (!marker.empty()) return absl::OkStatus();
  // A run of its own: request ids from an earlier, interrupted run are not
  // replayed (the work is idempotent, so doing it again is harmless).
  const std::string run = absl::StrCat("migrate-activity-", absl::ToUnixNanos(absl::Now()));
  std::string after;
  for (int page = 0;; ++page) {
    ASSIGN_OR_RETURN(auto members, ledger.ReadMembers(after, kMembersPerOperation));
    if (members.empty()) break;
    std::vector<std::string> ids;
    for (const auto& member : members) ids.push_back(member.profile().member_id());
    after = ids.back();
    RETURN_IF_ERROR(SubmitAndWait(
        ledger, absl::StrCat(run, "-", page),
        [ids = std::move(ids)](ledger::Transaction& t) { return MigrateMembers(ids, t); }));
  }
  return SubmitAndWait(ledger, absl::StrCat(run, "-done"),
                       [](ledger::Transaction& t) -> absl::StatusOr<std::string> {
                         t.PutAux(kMigratedKey, "1");
                         return std::string();
                       });
}

}  // namespace loyalty::analytics
