// The FSM raft 0.15 calls (version 1: apply, snapshot, restore, all on
// raft-loop), turned into StateMachine calls.
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/replication/entry_frame.h"
#include "engine/replication/raft_loop.h"
#include "engine/replication/snapshot_record.h"

namespace loyalty::replication {
namespace {

RaftNode::Loop* LoopOf(struct raft_fsm* fsm) {
  return static_cast<RaftNode::Loop*>(fsm->data);
}

// raft 0.15 passes no index: the entry applied now is the one after the last
// applied (barrier and configuration entries advance it without a call).
int Apply(struct raft_fsm* fsm, const struct raft_buffer* buf, void** result) {
  RaftNode::Loop* loop = LoopOf(fsm);
  *result = nullptr;
  const uint64_t index = raft_last_applied(loop->raft()) + 1;
  absl::StatusOr<absl::string_view> payload = ReadFrame(
      absl::string_view(static_cast<const char*>(buf->base), buf->len));
  const absl::Status status =
      payload.ok() ? loop->machine()->Apply(index, *payload) : payload.status();
  if (status.ok()) return 0;
  // Fail-stop: this node's state would fall behind its log. raft retries the
  // entry later; the owner stops the process first.
  loop->Fatal(absl::Status(
      status.code(),
      absl::StrCat("apply entry ", index, ": ", status.message())));
  return RAFT_IOERR;
}

// Makes the state durable at the applied index and hands raft a record of it
// (snapshot_record.h); raft owns (and frees) both allocations.
int Snapshot(struct raft_fsm* fsm, struct raft_buffer* bufs[],
             unsigned* n_bufs) {
  RaftNode::Loop* loop = LoopOf(fsm);
  SnapshotRecord record;
  record.applied_index = raft_last_applied(loop->raft());
  record.node_id = loop->options().id;
  absl::StatusOr<std::string> identity =
      loop->machine()->SnapshotIdentity(record.applied_index);
  if (!identity.ok() || identity->size() > StateMachine::kMaxIdentityBytes) {
    // Not fatal: raft keeps the log and tries again at the next threshold.
    return RAFT_IOERR;
  }
  record.identity = *std::move(identity);
  const std::string bytes = EncodeSnapshotRecord(record);
  *bufs = static_cast<struct raft_buffer*>(raft_malloc(sizeof(raft_buffer)));
  if (*bufs == nullptr) return RAFT_NOMEM;
  (*bufs)[0].len = bytes.size();
  (*bufs)[0].base = raft_malloc(bytes.size());
  if ((*bufs)[0].base == nullptr) {
    raft_free(*bufs);
    return RAFT_NOMEM;
  }
  std::memcpy((*bufs)[0].base, bytes.data(), bytes.size());
  *n_bufs = 1;
  return 0;
}

// At every start (the last snapshot) and when the leader sends one. On
// success the buffer is ours to free. A failure is fatal: raft 0.15 has
// already reset its log to the snapshot with the state behind it.
int Restore(struct raft_fsm* fsm, struct raft_buffer* buf) {
  RaftNode::Loop* loop = LoopOf(fsm);
  absl::StatusOr<SnapshotRecord> record = DecodeSnapshotRecord(
      absl::string_view(static_cast<const char*>(buf->base), buf->len));
  absl::Status status = record.status();
  if (status.ok()) {
    status = loop->machine()->Restore(record->applied_index, record->identity);
  }
  if (!status.ok()) {
    loop->Fatal(absl::Status(
        status.code(), absl::StrCat("restore snapshot: ", status.message())));
    return RAFT_IOERR;
  }
  raft_free(buf->base);
  return 0;
}

}  // namespace

void InitFsm(struct raft_fsm* fsm, RaftNode::Loop* loop) {
  fsm->version = 1;
  fsm->data = loop;
  fsm->apply = &Apply;
  fsm->snapshot = &Snapshot;
  fsm->restore = &Restore;
}

}  // namespace loyalty::replication
