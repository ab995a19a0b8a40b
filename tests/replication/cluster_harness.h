// A group of raft_node processes (raft_node_main.cc) on loopback for the
// cluster tests: free ports, one data dir each, start / kill -9 / restart,
// and the control calls (status, propose, membership) over HTTP.
//
// Every wait is on a condition with a generous deadline (the tests run on a
// loaded two-core machine); no test asserts on elapsed time. Not
// thread-safe for Start/Kill (the test's main thread); Status, Propose and
// Log may be called from any thread.
#ifndef LOYALTY_TESTS_REPLICATION_CLUSTER_HARNESS_H_
#define LOYALTY_TESTS_REPLICATION_CLUSTER_HARNESS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/crash/child_process.h"
#include "tests/replication/node_setup.h"

namespace loyalty::testing {

struct NodeStatus {
  uint64_t id = 0;
  std::string role;
  uint64_t term = 0;
  uint64_t leader_id = 0;
  uint64_t applied = 0;
  uint64_t count = 0;
  std::string hash;
  uint64_t restores_fetched = 0;
  std::map<uint64_t, std::string> members;  // id -> "voter", "standby", "spare"
};

struct ProposeResult {
  int http = 0;        // 200 acknowledged; 0: no answer (connection)
  std::string reason;  // NOT_LEADER, LEADERSHIP_LOST, TIMEOUT, ...
  uint64_t index = 0;
  uint64_t leader_id = 0;  // the leader a refusal names
  std::string leader_control;
};

struct ClusterOptions {
  int voters = 3;  // bootstrapped together: ids 1..voters
  int spares = 0;  // more ids with ports, started only by Start(id)
  unsigned election_timeout_ms = 500;
  unsigned snapshot_threshold = 512;
  unsigned snapshot_trailing = 512;
};

class Cluster {
 public:
  Cluster(const std::string& name, ClusterOptions options);
  ~Cluster();

  void StartVoters();
  // StartVoters, then WaitForLeader: the leader's id, 0 if none was elected.
  uint64_t StartVotersAndElect();
  // More flags for node `id` from its next Start on.
  void SetExtraArgs(uint64_t id, std::vector<std::string> args) {
    extra_args_[id] = std::move(args);
  }
  void Start(uint64_t id);   // also a restart on the same data dir
  void Kill(uint64_t id);    // SIGKILL
  void Pause(uint64_t id);   // SIGSTOP
  void Resume(uint64_t id);  // SIGCONT
  bool running(uint64_t id) const;
  // How node `id` ended, once it has (within `timeout`).
  std::optional<ChildExit> WaitExit(uint64_t id, absl::Duration timeout);
  std::vector<uint64_t> ids() const;
  const std::string& control(uint64_t id) const {
    return peers_.at(id).control;
  }
  const std::string& raft_address(uint64_t id) const {
    return peers_.at(id).raft;
  }
  std::string Stderr(uint64_t id) const;

  std::optional<NodeStatus> Status(uint64_t id) const;
  ProposeResult Propose(uint64_t id, const std::string& payload) const;
  // POST /add, /remove or /transfer with ?id=target at node `at`: "ok" or
  // the refusal's reason.
  std::string Change(uint64_t at, const std::string& what,
                     uint64_t target) const;
  // The payloads node `id` applied, in order.
  std::vector<std::string> Payloads(uint64_t id) const;

  // The leader every node of `among` (default: all running) agrees on, once
  // they do; 0 after `timeout`.
  uint64_t WaitForLeader(absl::Duration timeout,
                         std::vector<uint64_t> among = {}) const;
  // True once every node of `among` has applied the same count and hash,
  // at least `min_count`.
  bool WaitConverged(const std::vector<uint64_t>& among, uint64_t min_count,
                     absl::Duration timeout) const;

 private:
  std::vector<std::string> Args(uint64_t id) const;

  const ClusterOptions options_;
  std::string root_;
  PeerMap peers_;
  std::map<uint64_t, std::unique_ptr<ChildProcess>> processes_;
  std::map<uint64_t, std::vector<std::string>> extra_args_;
};

// Polls `condition` every 50 ms until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout);

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_REPLICATION_CLUSTER_HARNESS_H_
