// raft_node: a test program, one member of a replicated group built on
// engine/replication's RaftNode, applying a counter log (counter_log.h) and
// driven over HTTP (control_server.h). The cluster tests run three to four
// of them as separate processes on loopback.
//
//   raft_node --id=1 --dir=/tmp/n1 --bootstrap_ids=1,2,3
//             --peers=1=127.0.0.1:7001/127.0.0.1:8001,2=...,3=...
//
// A node not in --bootstrap_ids starts empty and waits to be added.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/replication/file_manifest.h"
#include "engine/replication/peer_filter.h"
#include "engine/replication/raft_node.h"
#include "tests/replication/control_server.h"
#include "tests/replication/counter_log.h"
#include "tests/replication/node_setup.h"

ABSL_FLAG(uint64_t, id, 0, "this node's id (> 0)");
ABSL_FLAG(std::string, dir, "", "data directory (raft/ and state/ inside)");
ABSL_FLAG(std::string, peers, "", "ID=RAFT_ADDR/CONTROL_ADDR,... every node");
ABSL_FLAG(std::string, bootstrap_ids, "", "ids of the first configuration");
ABSL_FLAG(uint32_t, election_timeout_ms, 1000, "raft election timeout");
ABSL_FLAG(uint32_t, snapshot_threshold, 512, "entries between snapshots");
ABSL_FLAG(uint32_t, snapshot_trailing, 512, "entries kept after a snapshot");
ABSL_FLAG(
    uint64_t, fail_apply_after, 0,
    "test fault: applying fails once this many entries are applied (0: never)");

namespace loyalty::testing {
namespace {

std::atomic<replication::RaftNode*> running_node{nullptr};

// The I/O-error fault of the cluster test: the counter log, except that
// applying fails (as a full or broken disk would) after `limit` entries.
class FailingApply : public replication::StateMachine {
 public:
  FailingApply(CounterLog& log, uint64_t limit) : log_(log), limit_(limit) {}
  absl::Status Apply(uint64_t index, absl::string_view bytes) override {
    if (limit_ != 0 && log_.state().count >= limit_) {
      return absl::DataLossError("injected write failure (--fail_apply_after)");
    }
    return log_.Apply(index, bytes);
  }
  absl::StatusOr<std::string> SnapshotIdentity(uint64_t index) override {
    return log_.SnapshotIdentity(index);
  }
  absl::Status Restore(uint64_t index, absl::string_view identity) override {
    return log_.Restore(index, identity);
  }

 private:
  CounterLog& log_;
  const uint64_t limit_;
};

void Say(const std::string& line) {
  const std::string text = line + "\n";
  (void)!::write(2, text.data(), text.size());
}

// One peer's checkpoint into `into`, if it holds `min_index`; checked by
// its manifest.
absl::Status FetchFrom(const PeerAddresses& peer, uint64_t min_index,
                       const std::string& into) {
  std::string host;
  int port = 0;
  if (!SplitHostPort(peer.control, &host, &port)) {
    return absl::InvalidArgumentError("bad control address " + peer.control);
  }
  httplib::Client client(host, port);
  client.set_read_timeout(30, 0);
  const auto listing = client.Get("/checkpoint");
  if (!listing || listing->status != 200) {
    return absl::UnavailableError("no checkpoint from " + peer.control);
  }
  const std::pair<std::string, std::string> parts =
      absl::StrSplit(listing->body, absl::MaxSplits('\n', 1));
  uint64_t index = 0;
  absl::StatusOr<std::vector<replication::FileDigest>> files =
      replication::DecodeManifest(parts.second);
  if (!absl::SimpleAtoi(parts.first, &index) || index < min_index ||
      !files.ok()) {
    return absl::UnavailableError("checkpoint of " + peer.control +
                                  " is behind");
  }
  for (const replication::FileDigest& file : *files) {
    const auto body =
        client.Get(("/checkpoint/file?name=" + file.name).c_str());
    if (!body || body->status != 200)
      return absl::UnavailableError("file fetch");
    FILE* out = std::fopen((into + "/" + file.name).c_str(), "wb");
    if (out == nullptr) return absl::InternalError("cannot write " + into);
    std::fwrite(body->body.data(), 1, body->body.size(), out);
    std::fclose(out);
    if (absl::Status checked = replication::VerifyFile(into, file);
        !checked.ok()) {
      return checked;
    }
  }
  Say(absl::StrCat("restore_fetched min_index=", min_index,
                   " from=", peer.control, " index=", index));
  return absl::OkStatus();
}

// The leader first (it has everything committed), then every other peer.
absl::Status FetchState(const PeerMap& peers, uint64_t self, uint64_t min_index,
                        const std::string& into) {
  std::vector<uint64_t> order;
  if (replication::RaftNode* node = running_node.load()) {
    const uint64_t leader = node->View().leader_id;
    if (leader != 0 && leader != self) order.push_back(leader);
  }
  for (const auto& [id, addresses] : peers) {
    if (id != self) order.push_back(id);
  }
  absl::Status last = absl::UnavailableError("no peer to fetch from");
  for (uint64_t id : order) {
    last = FetchFrom(peers.at(id), min_index, into);
    if (last.ok()) return last;
  }
  return last;
}

absl::StatusOr<replication::RaftNodeOptions> NodeOptions(const PeerMap& peers) {
  replication::RaftNodeOptions options;
  options.id = absl::GetFlag(FLAGS_id);
  if (!peers.count(options.id)) {
    return absl::InvalidArgumentError("--id is not in --peers");
  }
  options.address = peers.at(options.id).raft;
  options.data_dir = absl::GetFlag(FLAGS_dir) + "/raft";
  for (absl::string_view text : absl::StrSplit(
           absl::GetFlag(FLAGS_bootstrap_ids), ',', absl::SkipEmpty())) {
    uint64_t id = 0;
    if (!absl::SimpleAtoi(text, &id) || !peers.count(id)) {
      return absl::InvalidArgumentError("--bootstrap_ids: unknown id");
    }
    options.bootstrap.push_back(
        {id, peers.at(id).raft, replication::Vote::kVoter});
  }
  options.election_timeout_ms = absl::GetFlag(FLAGS_election_timeout_ms);
  options.heartbeat_timeout_ms = options.election_timeout_ms / 10;
  options.snapshot_threshold = absl::GetFlag(FLAGS_snapshot_threshold);
  options.snapshot_trailing = absl::GetFlag(FLAGS_snapshot_trailing);
  // Five election timeouts: a snapshot lost to a follower that was down is
  // sent again soon (raft_node.h).
  options.install_snapshot_timeout_ms = 5 * options.election_timeout_ms;
  options.on_view_change = [](const replication::ClusterView& view) {
    Say(absl::StrCat("view role=", replication::RoleName(view.role),
                     " term=", view.term, " leader=", view.leader_id));
  };
  // The raft port takes connections from the peers' hosts only.
  for (const auto& [id, addresses] : peers) {
    options.allowed_peer_hosts.push_back(replication::HostOf(addresses.raft));
  }
  options.on_peer_refused = [](const std::string& ip, uint64_t claimed_id) {
    Say(absl::StrCat("raft_peer_refused ip=", ip, " claimed_id=", claimed_id));
  };
  options.on_fatal = [](const absl::Status& status) {
    Say("fatal: " + status.ToString());
    ::_exit(3);
  };
  return options;
}

int Run() {
  absl::StatusOr<PeerMap> peers = ParsePeers(absl::GetFlag(FLAGS_peers));
  absl::StatusOr<replication::RaftNodeOptions> options =
      peers.ok() ? NodeOptions(*peers) : peers.status();
  if (!options.ok()) {
    Say("raft_node: " + options.status().ToString());
    return 2;
  }
  const uint64_t self = options->id;
  Say(absl::StrCat("start id=", self));
  absl::StatusOr<std::unique_ptr<CounterLog>> log = CounterLog::Open(
      absl::GetFlag(FLAGS_dir) + "/state",
      [&peers, self](uint64_t min_index, const std::string& into) {
        return FetchState(*peers, self, min_index, into);
      });
  if (!log.ok()) {
    Say("raft_node: " + log.status().ToString());
    return 2;
  }
  FailingApply machine(**log, absl::GetFlag(FLAGS_fail_apply_after));
  absl::StatusOr<std::unique_ptr<replication::RaftNode>> node =
      replication::RaftNode::Start(*std::move(options), &machine);
  if (!node.ok()) {
    Say("raft_node: " + node.status().ToString());
    return 2;
  }
  running_node = node->get();
  httplib::Server server;
  AddControlRoutes(server, **node, **log, *peers);
  std::string host;
  int port = 0;
  if (!SplitHostPort(peers->at(self).control, &host, &port) ||
      !server.bind_to_port(host.c_str(), port)) {
    Say("raft_node: cannot listen on " + peers->at(self).control);
    return 2;
  }
  Say(absl::StrCat("ready id=", self));
  server.listen_after_bind();
  return 0;
}

}  // namespace
}  // namespace loyalty::testing

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return loyalty::testing::Run();
}
