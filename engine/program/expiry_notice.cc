#include "engine/program/expiry_notice.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "engine/base/checked_math.h"
#include "engine/base/error.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"

namespace loyalty::program {
namespace {

using loyalty::v1::MemberRecord;
using loyalty::v1::PointLot;

// A lot the notice of a run at `now` announces.
bool Announces(const PointLot& lot, absl::Time now, absl::Time end) {
  if (!lot.has_expire_time() || lot.notice_sequence() != 0) return false;
  const absl::Time expiry = FromTimestamp(lot.expire_time());
  return expiry > now && expiry <= end;
}

// The announced points by expiry time, soonest first.
absl::StatusOr<std::map<absl::Time, int64_t>> Announced(
    const MemberRecord& member, absl::Time now, absl::Time end) {
  std::map<absl::Time, int64_t> by_time;
  for (const PointLot& lot : member.lots()) {
    if (!Announces(lot, now, end)) continue;
    int64_t& points = by_time[FromTimestamp(lot.expire_time())];
    const std::optional<int64_t> sum = CheckedAdd(points, lot.remaining());
    if (!sum) {
      return InvalidArgument("AMOUNT_OVERFLOW", "points_expiring",
                             "the points announced overflow");
    }
    points = *sum;
  }
  return by_time;
}

loyalty::v1::JournalEntry NoticeEntry(
    const std::string& member_id, const std::map<absl::Time, int64_t>& by_time,
    absl::Time now, int64_t* total) {
  loyalty::v1::JournalEntry entry;
  entry.set_kind(loyalty::v1::ENTRY_KIND_EXPIRY_NOTICE);
  entry.set_member_id(member_id);
  *entry.mutable_effective_time() = ToTimestamp(now);
  std::vector<std::string> said;
  for (const auto& [time, points] : by_time) {
    loyalty::v1::ExpiringPoints* expiring = entry.add_expiring();
    *expiring->mutable_expire_time() = ToTimestamp(time);
    expiring->set_points(points);
    *total += points;  // no overflow: the lots' sum is points_available
    said.push_back(absl::StrCat(
        points, " at ",
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone())));
  }
  entry.set_description(
      absl::StrCat("points expiring: ", absl::StrJoin(said, ", ")));
  return entry;
}

}  // namespace

int64_t ExpiryNoticeDays(const evaluator::CompiledRules& rules,
                         std::optional<int64_t> requested) {
  if (requested.has_value()) return *requested;
  const loyalty::v1::PointsSettings& points = rules.rule_set().points();
  return points.has_expiry_notice_days() ? points.expiry_notice_days()
                                         : kDefaultExpiryNoticeDays;
}

absl::Time ExpiryNoticeEnd(const evaluator::CompiledRules& rules,
                           absl::Time now, int64_t days) {
  const absl::CivilDay today = absl::ToCivilDay(now, rules.time_zone());
  return absl::FromCivil(today + days + 1, rules.time_zone());
}

bool ExpiryNoticeDue(const MemberRecord& member, absl::Time now,
                     absl::Time end) {
  for (const PointLot& lot : member.lots()) {
    if (Announces(lot, now, end)) return true;
  }
  return false;
}

absl::StatusOr<NoticeFigures> RunExpiryNotice(ledger::Transaction& transaction,
                                              absl::string_view member_id,
                                              absl::Time end) {
  const absl::Time now = transaction.now();
  NoticeFigures figures;
  ASSIGN_OR_RETURN(const MemberRecord* member, transaction.Member(member_id));
  ASSIGN_OR_RETURN(const auto by_time, Announced(*member, now, end));
  if (by_time.empty()) return figures;

  const std::string id(member_id);
  ASSIGN_OR_RETURN(const int64_t sequence,
                   transaction.Append(NoticeEntry(id, by_time, now,
                                                  &figures.points_expiring)));
  ASSIGN_OR_RETURN(MemberRecord * marked, transaction.MutableMember(id));
  for (PointLot& lot : *marked->mutable_lots()) {
    if (Announces(lot, now, end)) lot.set_notice_sequence(sequence);
  }
  figures.written = true;
  return figures;
}

}  // namespace loyalty::program
