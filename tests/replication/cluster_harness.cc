#include "tests/replication/cluster_harness.h"

#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace loyalty::testing {
namespace {

std::unique_ptr<httplib::Client> ClientFor(const std::string& address,
                                           int read_timeout_seconds) {
  std::string host;
  int port = 0;
  SplitHostPort(address, &host, &port);
  auto client = std::make_unique<httplib::Client>(host, port);
  client->set_connection_timeout(2, 0);
  client->set_read_timeout(read_timeout_seconds, 0);
  return client;
}

// "key=value" lines into a map.
std::map<std::string, std::string> Fields(const std::string& body) {
  std::map<std::string, std::string> fields;
  for (absl::string_view line : absl::StrSplit(body, '\n', absl::SkipEmpty())) {
    const std::pair<std::string, std::string> kv =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    fields[kv.first] = kv.second;
  }
  return fields;
}

uint64_t Number(const std::map<std::string, std::string>& fields,
                const std::string& key) {
  uint64_t value = 0;
  const auto found = fields.find(key);
  if (found != fields.end()) (void)absl::SimpleAtoi(found->second, &value);
  return value;
}

// "1:127.0.0.1:7001:voter,2:..." into id -> vote.
std::map<uint64_t, std::string> Members(const std::string& text) {
  std::map<uint64_t, std::string> members;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    const std::vector<absl::string_view> parts = absl::StrSplit(item, ':');
    uint64_t id = 0;
    if (parts.size() >= 2 && absl::SimpleAtoi(parts.front(), &id)) {
      members[id] = std::string(parts.back());
    }
  }
  return members;
}

}  // namespace

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return condition();
}

Cluster::Cluster(const std::string& name, ClusterOptions options)
    : options_(options) {
  root_ =
      absl::StrCat(::testing::TempDir(), "/cluster-", name, "-", ::getpid());
  std::filesystem::remove_all(root_);
  std::filesystem::create_directories(root_);
  for (int id = 1; id <= options_.voters + options_.spares; ++id) {
    peers_[id] = {absl::StrCat("127.0.0.1:", FreeLoopbackPort()),
                  absl::StrCat("127.0.0.1:", FreeLoopbackPort())};
  }
}

Cluster::~Cluster() {
  processes_.clear();  // SIGKILL each
  // LOYALTY_KEEP_CLUSTER=1 keeps the data dirs and logs for a post-mortem.
  if (std::getenv("LOYALTY_KEEP_CLUSTER") == nullptr) {
    std::filesystem::remove_all(root_);
  }
}

std::vector<std::string> Cluster::Args(uint64_t id) const {
  std::vector<std::string> peers;
  for (const auto& [peer, addresses] : peers_) {
    peers.push_back(
        absl::StrCat(peer, "=", addresses.raft, "/", addresses.control));
  }
  std::vector<std::string> voters;
  for (int voter = 1; voter <= options_.voters; ++voter) {
    voters.push_back(absl::StrCat(voter));
  }
  std::vector<std::string> args = {
      RAFT_NODE_PATH,
      absl::StrCat("--id=", id),
      absl::StrCat("--dir=", root_, "/node", id),
      "--peers=" + absl::StrJoin(peers, ","),
      "--bootstrap_ids=" + (static_cast<int>(id) <= options_.voters
                                ? absl::StrJoin(voters, ",")
                                : ""),
      absl::StrCat("--election_timeout_ms=", options_.election_timeout_ms),
      absl::StrCat("--snapshot_threshold=", options_.snapshot_threshold),
      absl::StrCat("--snapshot_trailing=", options_.snapshot_trailing)};
  const auto extra = extra_args_.find(id);
  if (extra != extra_args_.end()) {
    args.insert(args.end(), extra->second.begin(), extra->second.end());
  }
  return args;
}

void Cluster::StartVoters() {
  for (int id = 1; id <= options_.voters; ++id) Start(id);
}

uint64_t Cluster::StartVotersAndElect() {
  StartVoters();
  return WaitForLeader(absl::Seconds(60));
}

void Cluster::Start(uint64_t id) {
  const std::string log = absl::StrCat(root_, "/node", id);
  std::filesystem::create_directories(log);
  absl::StatusOr<std::unique_ptr<ChildProcess>> child =
      ChildProcess::Start(Args(id), log + ".stdout", log + ".stderr");
  if (!child.ok()) {
    ADD_FAILURE() << "start node " << id << ": " << child.status();
    return;
  }
  processes_[id] = *std::move(child);
  if (!WaitFor([&] { return Status(id).has_value(); }, absl::Seconds(60))) {
    ADD_FAILURE() << "node " << id << " did not answer: " << Stderr(id);
  }
}

void Cluster::Kill(uint64_t id) {
  const auto found = processes_.find(id);
  if (found != processes_.end()) found->second->Kill();
  processes_.erase(id);
}

std::optional<ChildExit> Cluster::WaitExit(uint64_t id,
                                           absl::Duration timeout) {
  const auto found = processes_.find(id);
  if (found == processes_.end()) return std::nullopt;
  return found->second->WaitFor(timeout);
}

void Cluster::Pause(uint64_t id) { processes_.at(id)->Signal(SIGSTOP); }

void Cluster::Resume(uint64_t id) { processes_.at(id)->Signal(SIGCONT); }

bool Cluster::running(uint64_t id) const { return processes_.count(id) > 0; }

std::vector<uint64_t> Cluster::ids() const {
  std::vector<uint64_t> ids;
  for (const auto& [id, process] : processes_) ids.push_back(id);
  return ids;
}

std::string Cluster::Stderr(uint64_t id) const {
  return ReadWholeFile(absl::StrCat(root_, "/node", id, ".stderr"));
}

std::optional<NodeStatus> Cluster::Status(uint64_t id) const {
  const auto response = ClientFor(control(id), 10)->Get("/status");
  if (!response || response->status != 200) return std::nullopt;
  const std::map<std::string, std::string> fields = Fields(response->body);
  NodeStatus status;
  status.id = Number(fields, "id");
  status.role = fields.count("role") ? fields.at("role") : "";
  status.term = Number(fields, "term");
  status.leader_id = Number(fields, "leader_id");
  status.applied = Number(fields, "applied");
  status.count = Number(fields, "count");
  status.hash = fields.count("hash") ? fields.at("hash") : "";
  status.restores_fetched = Number(fields, "restores_fetched");
  status.members = Members(fields.count("members") ? fields.at("members") : "");
  return status;
}

ProposeResult Cluster::Propose(uint64_t id, const std::string& payload) const {
  ProposeResult result;
  const auto response =
      ClientFor(control(id), 90)->Post("/propose", payload, "text/plain");
  if (!response) return result;
  result.http = response->status;
  const std::map<std::string, std::string> fields = Fields(response->body);
  result.index = Number(fields, "index");
  if (result.http != 200) {
    result.reason = response->body.substr(0, response->body.find('\n'));
  }
  result.leader_id = Number(fields, "leader_id");
  result.leader_control =
      fields.count("leader_control") ? fields.at("leader_control") : "";
  return result;
}

std::string Cluster::Change(uint64_t at, const std::string& what,
                            uint64_t target) const {
  const auto response =
      ClientFor(control(at), 90)
          ->Post(absl::StrCat("/", what, "?id=", target).c_str(), "",
                 "text/plain");
  if (!response) return "NO_ANSWER";
  return response->body.substr(0, response->body.find('\n'));
}

std::vector<std::string> Cluster::Payloads(uint64_t id) const {
  std::vector<std::string> payloads;
  const auto response = ClientFor(control(id), 30)->Get("/log");
  if (!response) return payloads;
  for (absl::string_view line :
       absl::StrSplit(response->body, '\n', absl::SkipEmpty())) {
    const std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
    if (parts.size() == 3) payloads.push_back(absl::HexStringToBytes(parts[2]));
  }
  return payloads;
}

uint64_t Cluster::WaitForLeader(absl::Duration timeout,
                                std::vector<uint64_t> among) const {
  if (among.empty()) among = ids();
  uint64_t agreed = 0;
  const bool found = WaitFor(
      [&] {
        agreed = 0;
        for (uint64_t id : among) {
          const std::optional<NodeStatus> status = Status(id);
          if (!status || status->leader_id == 0) return false;
          if (agreed != 0 && status->leader_id != agreed) return false;
          agreed = status->leader_id;
        }
        // A leader outside `among` (paused, cut off) is not asked: it may not
        // answer at all.
        if (std::find(among.begin(), among.end(), agreed) == among.end()) {
          return false;
        }
        const std::optional<NodeStatus> leader = Status(agreed);
        return leader && leader->role == "leader";
      },
      timeout);
  return found ? agreed : 0;
}

bool Cluster::WaitConverged(const std::vector<uint64_t>& among,
                            uint64_t min_count, absl::Duration timeout) const {
  return WaitFor(
      [&] {
        std::optional<NodeStatus> first;
        for (uint64_t id : among) {
          const std::optional<NodeStatus> status = Status(id);
          if (!status || status->count < min_count) return false;
          if (first &&
              (status->count != first->count || status->hash != first->hash)) {
            return false;
          }
          if (!first) first = status;
        }
        return true;
      },
      timeout);
}

}  // namespace loyalty::testing
