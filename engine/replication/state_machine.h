// What a replicated node applies: the contract between RaftNode (raft_node.h)
// and the state it replicates (the ledger later; a counter log in the tests).
//
// Every method runs on the node's raft-loop thread (except the Restore that
// raft makes at start, which runs inside RaftNode::Start on its caller's
// thread, before raft-loop exists), one call at a time, in log order, and
// blocks that loop while it runs: keep Apply short (one
// RocksDB WriteBatch), and know that a long Restore (a checkpoint download)
// stops this node's heartbeats and votes meanwhile, which a three-node group
// survives (the other two keep the majority).
//
// Durability contract (the recovery argument of docs/design/replication.md,
// section 2.5): Apply may write without fsync, because the entry sits in the
// synced raft log of a majority; the state must record the index it has
// applied in the same atomic write, so that after a crash it holds a prefix
// of the log and says which. SnapshotIdentity must make the state durable up
// to `applied_index` before it returns, because raft then drops log entries
// up to that index (less the trailing ones).
#ifndef LOYALTY_ENGINE_REPLICATION_STATE_MACHINE_H_
#define LOYALTY_ENGINE_REPLICATION_STATE_MACHINE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty::replication {

class StateMachine {
 public:
  virtual ~StateMachine() = default;

  // Applies the committed entry at `index` (indexes grow by one or more:
  // raft's own barrier and configuration entries take indexes too). After a
  // restart raft applies again the entries after its last snapshot: skip an
  // index the state already holds and return OK. An error is fatal for the
  // node (RaftNodeOptions::on_fatal): its state would fall behind its log.
  virtual absl::Status Apply(uint64_t index, absl::string_view bytes) = 0;

  // Makes the state durable up to `applied_index` (every entry applied so
  // far) and returns a short identity of it, at most kMaxIdentityBytes (a
  // checkpoint's head hash, a count): raft stores it as the whole snapshot,
  // so the snapshot stays small whatever the state's size.
  virtual absl::StatusOr<std::string> SnapshotIdentity(
      uint64_t applied_index) = 0;

  // Brings the state to at least `index`, the state that `identity` names.
  // Called at every start with the last snapshot (the state is usually
  // there already: return OK), and when the leader sends a snapshot because
  // the log this node needs was compacted: then fetch the state's files
  // from a peer beside raft (file_manifest.h checks them by hash). Entries
  // after `index` are applied next; those the fetched state already holds
  // are skipped by Apply. An error is fatal for the node.
  virtual absl::Status Restore(uint64_t index, absl::string_view identity) = 0;

  static constexpr size_t kMaxIdentityBytes = 1024;
};

}  // namespace loyalty::replication

#endif  // LOYALTY_ENGINE_REPLICATION_STATE_MACHINE_H_
