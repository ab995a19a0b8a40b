// The whole raft snapshot, as RaftNode hands it to raft: about a hundred
// bytes, whatever the size of the state. raft 0.15 gives a received snapshot
// to `restore` as one buffer in memory, so the state itself never travels
// inside raft: the record names it (applied index, the state machine's short
// identity, the node that took it) and StateMachine::Restore moves the files
// beside raft, checked by hash (file_manifest.h).
//
//   "LRS1" | u64 applied index | u64 node id | u32 identity length |
//   identity | first 8 bytes of SHA-256 of all before        (little endian)
#ifndef LOYALTY_ENGINE_REPLICATION_SNAPSHOT_RECORD_H_
#define LOYALTY_ENGINE_REPLICATION_SNAPSHOT_RECORD_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty::replication {

struct SnapshotRecord {
  uint64_t applied_index = 0;
  uint64_t node_id = 0;  // who took it (for messages)
  std::string identity;  // StateMachine::SnapshotIdentity's answer
};

std::string EncodeSnapshotRecord(const SnapshotRecord& record);
// DATA_LOSS on a wrong magic, length or digest.
absl::StatusOr<SnapshotRecord> DecodeSnapshotRecord(absl::string_view bytes);

}  // namespace loyalty::replication

#endif  // LOYALTY_ENGINE_REPLICATION_SNAPSHOT_RECORD_H_
