// What a RaftNode knows of its group at one moment: its role, the term, the
// leader it follows, how far its log is applied, and the configuration.
// Plain values, copied out of the raft loop (raft_node.h).
#ifndef LOYALTY_ENGINE_REPLICATION_CLUSTER_VIEW_H_
#define LOYALTY_ENGINE_REPLICATION_CLUSTER_VIEW_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace loyalty::replication {

enum class Role { kUnavailable, kFollower, kCandidate, kLeader };
// "unavailable", "follower", "candidate", "leader".
absl::string_view RoleName(Role role);

// A member's place in the configuration (raft's RAFT_VOTER, _STANDBY, _SPARE).
enum class Vote { kVoter, kStandby, kSpare };
absl::string_view VoteName(Vote vote);

struct Member {
  uint64_t id = 0;
  std::string address;  // raft's "host:port"
  Vote vote = Vote::kVoter;
  bool operator==(const Member& other) const {
    return id == other.id && address == other.address && vote == other.vote;
  }
};

struct ClusterView {
  uint64_t id = 0;  // this node
  Role role = Role::kUnavailable;
  uint64_t term = 0;
  uint64_t leader_id = 0;      // 0: no leader known
  std::string leader_address;  // raft address of leader_id
  uint64_t commit_index = 0;
  uint64_t last_applied = 0;
  uint64_t last_index = 0;  // last entry in this node's log
  std::vector<Member> members;

  // Role, term and leader: what on_view_change reports a change of.
  bool SameLeadership(const ClusterView& other) const {
    return role == other.role && term == other.term &&
           leader_id == other.leader_id;
  }
};

// The leader a NOT_LEADER or LEADERSHIP_LOST status names, if it names one
// (a payload the node attaches; the server turns it into its error detail).
std::optional<Member> LeaderHintOf(const absl::Status& status);
void SetLeaderHint(absl::Status& status, uint64_t id,
                   absl::string_view address);

}  // namespace loyalty::replication

#endif  // LOYALTY_ENGINE_REPLICATION_CLUSTER_VIEW_H_
