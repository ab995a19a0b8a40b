// RaftNode::Loop: the raft-loop half of a RaftNode (internal to
// engine/replication). It owns the libuv loop, raft's TCP transport and disk
// I/O, the `struct raft` and the FSM trampolines; every raft_* call happens
// on its thread (struct raft is not thread-safe), except the set-up in Open,
// which runs before the thread starts.
//
// Other threads reach it through Post: a bounded, mutex-guarded queue of
// commands and one uv_async_t (sends coalesce, so the async callback drains
// the whole queue). A uv_prepare_t reads raft's state on every iteration and
// publishes a ClusterView under the same kind of mutex (raft 0.15 has no
// state callback).
#ifndef LOYALTY_ENGINE_REPLICATION_RAFT_LOOP_H_
#define LOYALTY_ENGINE_REPLICATION_RAFT_LOOP_H_

#include <atomic>
#include <deque>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "engine/replication/cluster_view.h"
#include "engine/replication/peer_filter.h"
#include "engine/replication/raft_c.h"
#include "engine/replication/raft_node.h"
#include "engine/replication/state_machine.h"

namespace loyalty::replication {

class RaftNode::Loop {
 public:
  // Runs on raft-loop with the loop, or on the posting thread with nullptr
  // when the node is stopped or the queue is full: then it must fail its
  // callback with UNAVAILABLE (NodeStopped()).
  using Command = absl::AnyInvocable<void(Loop*)>;

  Loop(RaftNodeOptions options, StateMachine* machine);
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;
  ~Loop();

  // Sets up raft and starts the thread; an error leaves nothing running.
  absl::Status Open();
  void Post(Command command);
  ClusterView View() const;
  // Posts raft_close and joins the thread. Idempotent.
  void Stop();

  // --- raft-loop only (the request and FSM code in raft_*.cc) ---
  struct raft* raft() {
    return &raft_;
  }
  StateMachine* machine() { return machine_; }
  const RaftNodeOptions& options() const { return options_; }
  // Reports a fatal error once (on_fatal); later ones are dropped.
  void Fatal(const absl::Status& status);
  // UNAVAILABLE NOT_LEADER naming the leader raft knows of, if any.
  absl::Status NotLeader(absl::string_view what);
  // A raft error code as a status: NOT_LEADER, LEADERSHIP_LOST, ...
  absl::Status ErrorOf(int code, absl::string_view what);

 private:
  absl::Status SetUpRaft();
  absl::Status Bootstrap();
  void RunThread();
  void Drain();
  void Monitor();
  void BeginClose();
  void CloseAfterFailedOpen();
  ClusterView ReadView();
  bool PeerAllowed(const std::string& ip);

  const RaftNodeOptions options_;
  StateMachine* const machine_;

  uv_loop_t uv_loop_{};
  uv_async_t wake_{};
  uv_prepare_t monitor_{};
  PeerFilterTransport transport_;  // raft_uv_tcp behind the allow-list
  struct raft_io io_ {};
  struct raft_fsm fsm_ {};
  struct raft raft_ {};
  bool closing_ = false;   // raft-loop only
  ClusterView published_;  // raft-loop only: last view handed to on_view_change
  std::atomic<bool> fatal_{false};

  mutable absl::Mutex mu_;
  std::deque<Command> commands_ ABSL_GUARDED_BY(mu_);
  bool accepting_ ABSL_GUARDED_BY(mu_) = false;
  ClusterView view_ ABSL_GUARDED_BY(mu_);

  std::thread thread_;
};

// The FSM trampolines (raft_fsm.cc): fsm->data is the Loop.
void InitFsm(struct raft_fsm* fsm, RaftNode::Loop* loop);

// UNAVAILABLE NODE_STOPPED, for commands refused by a stopped node.
absl::Status NodeStopped();

}  // namespace loyalty::replication

#endif  // LOYALTY_ENGINE_REPLICATION_RAFT_LOOP_H_
