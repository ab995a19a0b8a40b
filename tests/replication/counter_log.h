// CounterLog: the trivial state machine of the test node (raft_node_main.cc).
// Each applied entry appends one line "<raft index> <chain hash> <payload
// hex>" to <dir>/entries.log, where the chain hash is SHA-256 of the previous
// hash and the payload: two nodes that applied the same entries in the same
// order have the same count and hash.
//
// It keeps the StateMachine contract (state_machine.h) as the ledger will:
// one write(2) per entry without fsync (the raft log is the durable copy),
// the applied index inside the same write, a re-applied index skipped; the
// snapshot identity is "<count> <hash>" after an fsync; Restore fetches the
// whole file from a peer (the `fetch` function) into <dir>/incoming,
// checks it by its manifest and by the identity's hash at that count, then
// renames it into place.
//
// Thread-safe: raft-loop applies while the control server reads.
#ifndef LOYALTY_TESTS_REPLICATION_COUNTER_LOG_H_
#define LOYALTY_TESTS_REPLICATION_COUNTER_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/replication/state_machine.h"

namespace loyalty::testing {

class CounterLog : public replication::StateMachine {
 public:
  struct State {
    uint64_t applied_index = 0;
    uint64_t count = 0;
    std::string hash_hex;
  };
  // Fetches a copy of a peer's state at an index >= `min_index` into the
  // directory `into` (the file entries.log), checked by hash.
  using Fetch =
      std::function<absl::Status(uint64_t min_index, const std::string& into)>;

  static absl::StatusOr<std::unique_ptr<CounterLog>> Open(std::string dir,
                                                          Fetch fetch);
  ~CounterLog() override;

  absl::Status Apply(uint64_t index, absl::string_view bytes) override;
  absl::StatusOr<std::string> SnapshotIdentity(uint64_t applied_index) override;
  absl::Status Restore(uint64_t index, absl::string_view identity) override;

  State state() const;
  std::string Contents() const;  // the whole entries.log
  // Copies entries.log, fsynced, into <dir>/checkpoint; returns
  // "<applied index>\n" followed by its manifest (file_manifest.h).
  absl::StatusOr<std::string> MakeCheckpoint();
  std::string checkpoint_dir() const { return dir_ + "/checkpoint"; }
  uint64_t restores_fetched() const;

 private:
  CounterLog(std::string dir, Fetch fetch)
      : dir_(std::move(dir)), fetch_(std::move(fetch)) {}
  absl::Status Load() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status OpenForAppend() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string dir_;
  const Fetch fetch_;
  mutable absl::Mutex mu_;
  int fd_ ABSL_GUARDED_BY(mu_) = -1;
  State state_ ABSL_GUARDED_BY(mu_);
  // Hash after each applied entry, by count (index 0: the empty log).
  std::vector<std::string> hashes_ ABSL_GUARDED_BY(mu_);
  uint64_t restores_fetched_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Mutex checkpoint_mu_;  // one checkpoint copy at a time
};

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_REPLICATION_COUNTER_LOG_H_
