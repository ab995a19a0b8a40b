// RaftNode: one member of a replicated group on Canonical raft 0.15
// (Debian's libraft-dev, over libuv's TCP transport). Election, failure
// detection, log replication, snapshots, membership changes and leadership
// transfer are raft's own; this class runs raft's libuv loop on a thread of
// its own ("raft-loop") and gives the rest of the engine a C++ surface.
//
// How an entry travels:
//   Propose(bytes, done)  any thread: the bytes go on a bounded queue and
//                         the loop is woken (uv_async_send).
//   raft-loop             raft_apply appends the entry to the leader's log
//                         and replicates it; a follower or a leader in
//                         transfer refuses at once (NOT_LEADER).
//   committed             once the entry is durable on a majority of voters
//                         (the leader counts itself only once its own write
//                         is on disk), every node calls StateMachine::Apply
//                         with it, in log order, on its own raft-loop.
//   done(index)           on the leader, after its own Apply: the entry is
//                         committed and applied here. Callers are answered
//                         only then, never earlier.
//
// Failed proposals (every error is UNAVAILABLE, reason in the error detail):
//   NOT_LEADER        never appended (not leader, or a transfer runs); the
//                     message names the leader if one is known. Safe to send
//                     to the leader.
//   LEADERSHIP_LOST   appended, then this node stepped down (or stopped): a
//                     later leader may commit it or drop it. Outcome unknown:
//                     resend with the same idempotency key.
//   REPLICATION_FAILED raft refused or its own log write failed (unknown).
//
// A leader that cannot reach a majority of voters for an election timeout
// steps down (raft's contact-quorum check), so it stops acknowledging within
// one to two election timeouts; what it acknowledged before is on a majority.
//
// Order: proposals made from one thread are appended in the order of the
// calls (one FIFO queue into the loop), so a single writer thread that
// proposes batch after batch gets them committed and applied in that order;
// several may be in flight at once.
//
// Thread-safety: every public method is safe from any thread, except Stop
// (and the destructor), which must not run on raft-loop. Callbacks (done,
// on_view_change, on_fatal, and the StateMachine) run on raft-loop and must
// not block; they may call Propose, Barrier and the rest.
#ifndef LOYALTY_ENGINE_REPLICATION_RAFT_NODE_H_
#define LOYALTY_ENGINE_REPLICATION_RAFT_NODE_H_

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/replication/cluster_view.h"
#include "engine/replication/state_machine.h"

namespace loyalty::replication {

struct RaftNodeOptions {
  uint64_t id = 0;       // > 0, unique in the group, never reused
  std::string address;   // raft's "host:port", bound and told to peers
  std::string data_dir;  // raft's log, metadata and snapshots; created
  // The first configuration, the same on every first member (each one
  // bootstraps it; a pristine directory only). Empty for a node that joins
  // a running group: a leader adds it (Add).
  std::vector<Member> bootstrap;
  unsigned election_timeout_ms = 1000;  // followers elect after 1x to 2x
  unsigned heartbeat_timeout_ms = 100;
  unsigned snapshot_threshold = 512;  // entries between snapshots
  unsigned snapshot_trailing = 512;   // entries kept behind a snapshot
  // A leader resends a snapshot to a follower that has not answered within
  // this time. Short on purpose: raft 0.15 marks a follower that was down as
  // "sending a snapshot" and waits this long before it tries again, even if
  // the first send never left (measured: a follower restarted into that
  // state stalled until the timeout). A resend that reaches a follower still
  // busy restoring is queued behind it and then costs a no-op Restore.
  unsigned install_snapshot_timeout_ms = 30000;
  size_t max_queued = 1024;  // proposals and commands waiting for the loop
  // The raft port closes a connection unless it comes from one of these IPs
  // or from the host of a member of the current configuration. Empty: from
  // anywhere. raft's TCP transport has no authentication either way
  // (peer_filter.h): keep the port on a private network.
  std::vector<std::string> allowed_peer_hosts;
  // Called on raft-loop for each connection refused. Optional.
  std::function<void(const std::string& ip, uint64_t claimed_id)>
      on_peer_refused;
  // Called on raft-loop whenever role, term or leader change (and once at
  // start). Optional.
  std::function<void(const ClusterView&)> on_view_change;
  // Called once, on raft-loop, when the node can no longer go on safely (the
  // state machine failed to apply or restore, raft gave up): the owner must
  // stop the process. Required.
  std::function<void(const absl::Status&)> on_fatal;
};

class RaftNode {
 public:
  // Index of the applied entry, or the error (see the header comment).
  using ProposeDone = absl::AnyInvocable<void(absl::StatusOr<uint64_t>)>;
  using Done = absl::AnyInvocable<void(absl::Status)>;

  // Opens raft's directory (calling `machine->Restore` with the last
  // snapshot, if any), bootstraps it if pristine and `bootstrap` is set,
  // starts the loop thread. `machine` must outlive the node.
  static absl::StatusOr<std::unique_ptr<RaftNode>> Start(
      RaftNodeOptions options, StateMachine* machine);

  RaftNode(const RaftNode&) = delete;
  RaftNode& operator=(const RaftNode&) = delete;
  ~RaftNode();  // Stop()

  // Replicates `bytes` as one entry (at most kMaxEntryBytes); `done` fires
  // once, on raft-loop.
  void Propose(std::string bytes, ProposeDone done);
  // The same, waited for from another thread.
  std::future<absl::StatusOr<uint64_t>> Propose(std::string bytes);

  // Appends a barrier: `done` fires with OK once every entry before it is
  // committed and applied here. A new leader runs one before it serves
  // (raft 0.15 appends no entry of its own at election).
  void Barrier(Done done);

  // Membership, leader only, one change at a time (else FAILED_PRECONDITION
  // CHANGE_IN_PROGRESS). Add joins `member` as a non-voter, lets it catch up,
  // then makes it a voter; `done` fires when the voter change is committed.
  // Start the new node first (empty, no bootstrap): raft gives up on a
  // member that does not catch up within its catch-up rounds (10 x 5 s).
  void Add(Member member, Done done);
  void Remove(uint64_t id, Done done);
  // Hands leadership to `id` (0: raft picks a caught-up voter). OK once the
  // target leads; FAILED_PRECONDITION NOT_TRANSFERRED if an election timeout
  // passed without it (raft 0.15 does not resend TimeoutNow).
  void Transfer(uint64_t id, Done done);

  // The view as of the loop's last iteration.
  ClusterView View() const;
  bool IsLeader() const { return View().role == Role::kLeader; }

  // Closes raft (pending proposals fail with LEADERSHIP_LOST), stops and
  // joins the loop. Idempotent; later calls fail with UNAVAILABLE.
  void Stop();

  static constexpr size_t kMaxEntryBytes = 4u << 20;  // raft_uv segment: 8 MiB

  class Loop;  // raft_node.cc: the loop-thread half

 private:
  explicit RaftNode(std::unique_ptr<Loop> loop);
  std::unique_ptr<Loop> loop_;
};

}  // namespace loyalty::replication

#endif  // LOYALTY_ENGINE_REPLICATION_RAFT_NODE_H_
