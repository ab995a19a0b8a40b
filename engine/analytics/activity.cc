#include "engine/analytics/activity.h"

#include <algorithm>
#include <memory>
#include <queue>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/base/checked_math.h"
#include "engine/base/status_macros.h"
#include "loyalty/v1/storage.pb.h"

namespace loyalty::analytics {
namespace {

constexpr char kActivityPrefix[] = "activity/";
constexpr size_t kMonthSize = 7;  // YYYY-MM
// "activity/YYYY-MM/": where a month's member ids start.
constexpr size_t kMemberIdOffset = sizeof(kActivityPrefix) - 1 + kMonthSize + 1;

// The months that hold records in [first, end), oldest first: one seek per
// month, past each month's records.
absl::StatusOr<std::vector<std::string>> MonthsIn(const ledger::AuxView& view,
                                                  const std::string& first,
                                                  const std::string& end) {
  std::vector<std::string> months;
  std::unique_ptr<ledger::AuxCursor> cursor = view.NewCursor(kActivityPrefix);
  cursor->Seek(absl::StrCat(kActivityPrefix, first));
  while (cursor->Valid() && cursor->key().size() > kMemberIdOffset) {
    const std::string month(cursor->key().substr(sizeof(kActivityPrefix) - 1, kMonthSize));
    if (month >= end) break;
    if (static_cast<int>(months.size()) == kMaxCountedMonths) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metrics count members over at most ", kMaxCountedMonths, " months"));
    }
    months.push_back(month);
    cursor->Seek(absl::StrCat(kActivityPrefix, month, "0"));  // '0' follows '/'
  }
  RETURN_IF_ERROR(cursor->status());
  return months;
}

// One member's purchases over the range, by group.
using Tally = std::map<std::string, int64_t>;

absl::Status AddRecord(absl::string_view value, const std::string& prefix,
                       Tally* tally) {
  loyalty::v1::MemberMonth record;
  if (!record.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return absl::DataLossError("a member's month of activity does not parse");
  }
  ExpandMemberMonth(&record);
  if (prefix == "all") {
    (*tally)["all"] += record.purchases();
    return absl::OkStatus();
  }
  for (const auto& [group, purchases] : record.group_purchases()) {
    if (absl::StartsWith(group, prefix)) (*tally)[group] += purchases;
  }
  return absl::OkStatus();
}

void AddMember(const Tally& tally, std::map<std::string, DistinctMembers>* out) {
  for (const auto& [group, purchases] : tally) {
    if (purchases <= 0) continue;
    DistinctMembers& counted = (*out)[group];
    ++counted.active;
    if (purchases >= 2) ++counted.repeat;
    counted.purchases = CheckedAdd(counted.purchases, purchases).value_or(INT64_MAX);
  }
}

struct ByMemberId {
  bool operator()(const ledger::AuxCursor* a, const ledger::AuxCursor* b) const {
    return a->key().substr(kMemberIdOffset) > b->key().substr(kMemberIdOffset);
  }
};

absl::StatusOr<int64_t> PlusOne(int64_t count) {
  const std::optional<int64_t> sum = CheckedAdd(count, 1);
  if (!sum.has_value()) {
    return absl::OutOfRangeError("a member's purchases in a month overflow");
  }
  return *sum;
}

}  // namespace

std::string MemberMonthKey(absl::string_view month, absl::string_view member_id) {
  return absl::StrCat(kActivityPrefix, month, "/", member_id);
}

void ExpandMemberMonth(loyalty::v1::MemberMonth* record) {
  for (const std::string& group : record->every_purchase_groups()) {
    (*record->mutable_group_purchases())[group] = record->purchases();
  }
  record->clear_every_purchase_groups();
}

void CompactMemberMonth(loyalty::v1::MemberMonth* record) {
  ExpandMemberMonth(record);
  std::vector<std::string> every;
  auto& groups = *record->mutable_group_purchases();
  for (const auto& [group, purchases] : groups) {
    if (purchases == record->purchases()) every.push_back(group);
  }
  std::sort(every.begin(), every.end());
  for (std::string& group : every) {
    groups.erase(group);
    record->add_every_purchase_groups(std::move(group));
  }
}

absl::Status RecordMemberMonth(absl::string_view month,
                               absl::string_view member_id,
                               const std::vector<std::string>& groups,
                               ledger::Transaction& transaction) {
  const std::string key = MemberMonthKey(month, member_id);
  loyalty::v1::MemberMonth record;
  ASSIGN_OR_RETURN(std::optional<std::string> stored, transaction.GetAux(key));
  if (stored.has_value() && !record.ParseFromString(*stored)) {
    return absl::DataLossError(absl::StrCat("record ", key, " does not parse"));
  }
  ExpandMemberMonth(&record);
  ASSIGN_OR_RETURN(int64_t purchases, PlusOne(record.purchases()));
  record.set_purchases(purchases);
  for (const std::string& group : groups) {
    if (group == "all") continue;
    int64_t& in_group = (*record.mutable_group_purchases())[group];
    ASSIGN_OR_RETURN(in_group, PlusOne(in_group));
  }
  CompactMemberMonth(&record);
  transaction.PutAux(key, record.SerializeAsString());
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, DistinctMembers>> CountDistinctMembers(
    const ledger::Ledger& ledger, const std::string& first_month,
    const std::string& end_month, const std::string& group_prefix) {
  const std::unique_ptr<ledger::AuxView> view = ledger.NewAuxView();
  ASSIGN_OR_RETURN(std::vector<std::string> months,
                   MonthsIn(*view, first_month, end_month));
  std::vector<std::unique_ptr<ledger::AuxCursor>> cursors;
  std::priority_queue<ledger::AuxCursor*, std::vector<ledger::AuxCursor*>, ByMemberId>
      next;
  for (const std::string& month : months) {
    const std::string prefix = absl::StrCat(kActivityPrefix, month, "/");
    cursors.push_back(view->NewCursor(prefix));
    cursors.back()->Seek(prefix);
    if (cursors.back()->Valid()) next.push(cursors.back().get());
  }
  std::map<std::string, DistinctMembers> counted;
  Tally tally;
  std::string member_id;
  while (!next.empty()) {
    member_id = std::string(next.top()->key().substr(kMemberIdOffset));
    tally.clear();
    // Every month's record of this member, then the next member.
    while (!next.empty() && next.top()->key().substr(kMemberIdOffset) == member_id) {
      ledger::AuxCursor* cursor = next.top();
      next.pop();
      RETURN_IF_ERROR(AddRecord(cursor->value(), group_prefix, &tally));
      cursor->Next();
      if (cursor->Valid()) next.push(cursor);
    }
    AddMember(tally, &counted);
  }
  for (const auto& cursor : cursors) RETURN_IF_ERROR(cursor->status());
  return counted;
}

}  // namespace loyalty::analytics
