#include "tests/replication/control_server.h"

#include <chrono>
#include <fstream>
#include <future>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/base/error.h"
#include "engine/replication/file_manifest.h"

namespace loyalty::testing {
namespace {

using replication::ClusterView;
using replication::Member;
using replication::RaftNode;

constexpr auto kWaitLimit = std::chrono::seconds(60);

std::string ReadWholeFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string ControlAddressOf(const PeerMap& peers, uint64_t id) {
  const auto found = peers.find(id);
  return found == peers.end() ? "" : found->second.control;
}

std::string StatusText(const ClusterView& view, const CounterLog::State& state,
                       uint64_t restores) {
  std::vector<std::string> members;
  for (const Member& member : view.members) {
    members.push_back(absl::StrCat(member.id, ":", member.address, ":",
                                   replication::VoteName(member.vote)));
  }
  return absl::StrCat(
      "id=", view.id, "\nrole=", replication::RoleName(view.role),
      "\nterm=", view.term, "\nleader_id=", view.leader_id,
      "\ncommit=", view.commit_index, "\nraft_applied=", view.last_applied,
      "\napplied=", state.applied_index, "\ncount=", state.count,
      "\nhash=", state.hash_hex, "\nrestores_fetched=", restores,
      "\nmembers=", absl::StrJoin(members, ","), "\n");
}

// 503 with the reason first, then the leader to go to if the error names one.
void Refuse(httplib::Response& response, const absl::Status& status,
            const PeerMap& peers) {
  uint64_t leader_id = 0;
  if (std::optional<Member> hint = replication::LeaderHintOf(status)) {
    leader_id = hint->id;
  }
  response.status = status.code() == absl::StatusCode::kUnavailable ? 503 : 409;
  response.set_content(
      absl::StrCat(ErrorReason(status), "\nleader_id=", leader_id,
                   "\nleader_control=", ControlAddressOf(peers, leader_id),
                   "\nmessage=", status.message(), "\n"),
      "text/plain");
}

void Answer(httplib::Response& response, std::future<absl::Status> done,
            const PeerMap& peers) {
  if (done.wait_for(kWaitLimit) != std::future_status::ready) {
    response.status = 504;
    response.set_content("TIMEOUT\n", "text/plain");
    return;
  }
  const absl::Status status = done.get();
  if (!status.ok()) return Refuse(response, status, peers);
  response.set_content("ok\n", "text/plain");
}

// Runs a membership call and answers with its result.
template <typename Call>
void Change(const httplib::Request& request, httplib::Response& response,
            const PeerMap& peers, Call call) {
  uint64_t id = 0;
  if (!absl::SimpleAtoi(request.get_param_value("id"), &id)) {
    response.status = 400;
    response.set_content("BAD_ID\n", "text/plain");
    return;
  }
  auto promise = std::make_shared<std::promise<absl::Status>>();
  call(id, [promise](absl::Status status) { promise->set_value(status); });
  Answer(response, promise->get_future(), peers);
}

void AddMembershipRoutes(httplib::Server& server, RaftNode& node,
                         const PeerMap& peers) {
  server.Post("/add", [&](const httplib::Request& request,
                          httplib::Response& response) {
    Change(request, response, peers, [&](uint64_t id, RaftNode::Done done) {
      node.Add({id, peers.count(id) ? peers.at(id).raft : "",
                replication::Vote::kVoter},
               std::move(done));
    });
  });
  server.Post("/remove", [&](const httplib::Request& request,
                             httplib::Response& response) {
    Change(request, response, peers, [&](uint64_t id, RaftNode::Done done) {
      node.Remove(id, std::move(done));
    });
  });
  server.Post("/transfer", [&](const httplib::Request& request,
                               httplib::Response& response) {
    Change(request, response, peers, [&](uint64_t id, RaftNode::Done done) {
      node.Transfer(id, std::move(done));
    });
  });
}

void AddCheckpointRoutes(httplib::Server& server, CounterLog& log) {
  server.Get("/checkpoint", [&](const httplib::Request&,
                                httplib::Response& response) {
    absl::StatusOr<std::string> made = log.MakeCheckpoint();
    if (!made.ok()) {
      response.status = 500;
      response.set_content(std::string(made.status().message()), "text/plain");
      return;
    }
    response.set_content(*made, "text/plain");
  });
  server.Get("/checkpoint/file",
             [&](const httplib::Request& request, httplib::Response& response) {
               const std::string name = request.get_param_value("name");
               if (name != "entries.log") {
                 response.status = 404;
                 return;
               }
               response.set_content(
                   ReadWholeFileOrEmpty(log.checkpoint_dir() + "/" + name),
                   "application/octet-stream");
             });
}

}  // namespace

void AddControlRoutes(httplib::Server& server, RaftNode& node, CounterLog& log,
                      const PeerMap& peers) {
  server.Get("/status",
             [&](const httplib::Request&, httplib::Response& response) {
               response.set_content(
                   StatusText(node.View(), log.state(), log.restores_fetched()),
                   "text/plain");
             });
  server.Get("/log", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content(log.Contents(), "text/plain");
  });
  server.Post("/propose", [&](const httplib::Request& request,
                              httplib::Response& response) {
    std::future<absl::StatusOr<uint64_t>> done = node.Propose(request.body);
    if (done.wait_for(kWaitLimit) != std::future_status::ready) {
      response.status = 504;
      response.set_content("TIMEOUT\n", "text/plain");
      return;
    }
    const absl::StatusOr<uint64_t> index = done.get();
    if (!index.ok()) return Refuse(response, index.status(), peers);
    response.set_content(absl::StrCat("index=", *index, "\n"), "text/plain");
  });
  AddMembershipRoutes(server, node, peers);
  AddCheckpointRoutes(server, log);
}

}  // namespace loyalty::testing
