#include "engine/replication/cluster_view.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace loyalty::replication {
namespace {

constexpr absl::string_view kLeaderHintUrl =
    "type.loyalty/replication.LeaderHint";

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
    case Role::kUnavailable:
      break;
  }
  return "unavailable";
}

absl::string_view VoteName(Vote vote) {
  switch (vote) {
    case Vote::kStandby:
      return "standby";
    case Vote::kSpare:
      return "spare";
    case Vote::kVoter:
      break;
  }
  return "voter";
}

std::optional<Member> LeaderHintOf(const absl::Status& status) {
  const absl::optional<absl::Cord> payload = status.GetPayload(kLeaderHintUrl);
  if (!payload.has_value()) return std::nullopt;
  const std::pair<std::string, std::string> parts =
      absl::StrSplit(std::string(*payload), absl::MaxSplits(' ', 1));
  Member leader;
  if (!absl::SimpleAtoi(parts.first, &leader.id) || leader.id == 0) {
    return std::nullopt;
  }
  leader.address = parts.second;
  return leader;
}

void SetLeaderHint(absl::Status& status, uint64_t id,
                   absl::string_view address) {
  if (id == 0) return;
  status.SetPayload(kLeaderHintUrl, absl::Cord(absl::StrCat(id, " ", address)));
}

}  // namespace loyalty::replication
