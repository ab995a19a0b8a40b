#include "engine/replication/raft_loop.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "engine/base/thread_name.h"

namespace loyalty::replication {
namespace {

RaftNode::Loop* LoopOf(uv_handle_t* handle) {
  return static_cast<RaftNode::Loop*>(handle->data);
}

Role RoleOf(int state) {
  switch (state) {
    case RAFT_FOLLOWER:
      return Role::kFollower;
    case RAFT_CANDIDATE:
      return Role::kCandidate;
    case RAFT_LEADER:
      return Role::kLeader;
    default:
      return Role::kUnavailable;
  }
}

Vote VoteOf(int role) {
  if (role == RAFT_STANDBY) return Vote::kStandby;
  if (role == RAFT_SPARE) return Vote::kSpare;
  return Vote::kVoter;
}

absl::Status RaftError(absl::string_view what, int code, const char* detail) {
  return absl::UnavailableError(
      absl::StrCat(what, ": ", raft_strerror(code), " (", detail, ")"));
}

}  // namespace

absl::Status NodeStopped() {
  return MakeError(absl::StatusCode::kUnavailable, "NODE_STOPPED", "",
                   "the replication node is stopped or overloaded");
}

RaftNode::Loop::Loop(RaftNodeOptions options, StateMachine* machine)
    : options_(std::move(options)),
      machine_(machine),
      transport_([this](const std::string& ip) { return PeerAllowed(ip); },
                 options_.on_peer_refused) {}

RaftNode::Loop::~Loop() { Stop(); }

absl::Status RaftNode::Loop::Open() {
  std::error_code error;
  std::filesystem::create_directories(options_.data_dir, error);
  if (error) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create ", options_.data_dir, ": ", error.message()));
  }
  if (uv_loop_init(&uv_loop_) != 0) {
    return absl::InternalError("uv_loop_init failed");
  }
  if (absl::Status set_up = SetUpRaft(); !set_up.ok()) return set_up;
  uv_async_init(&uv_loop_, &wake_, [](uv_async_t* handle) {
    LoopOf(reinterpret_cast<uv_handle_t*>(handle))->Drain();
  });
  wake_.data = this;
  uv_prepare_init(&uv_loop_, &monitor_);
  monitor_.data = this;
  uv_prepare_start(&monitor_, [](uv_prepare_t* handle) {
    LoopOf(reinterpret_cast<uv_handle_t*>(handle))->Monitor();
  });
  {
    absl::MutexLock lock(&mu_);
    accepting_ = true;
  }
  thread_ = std::thread([this] { RunThread(); });
  NameThread(thread_, "raft-loop");
  return absl::OkStatus();
}

// Transport, disk I/O, raft itself, its settings, bootstrap and start. On an
// error everything made so far is closed again.
absl::Status RaftNode::Loop::SetUpRaft() {
  if (absl::Status made = transport_.Init(&uv_loop_); !made.ok()) {
    uv_loop_close(&uv_loop_);
    return made;
  }
  int rv = raft_uv_init(&io_, &uv_loop_, options_.data_dir.c_str(),
                        transport_.transport());
  if (rv != 0) {
    const absl::Status status = RaftError("raft storage", rv, io_.errmsg);
    transport_.Close();
    uv_loop_close(&uv_loop_);
    return status;
  }
  // Our snapshots are ~100 bytes (snapshot_record.h): nothing to compress.
  raft_uv_set_snapshot_compression(&io_, false);
  InitFsm(&fsm_, this);
  rv = raft_init(&raft_, &io_, &fsm_, options_.id, options_.address.c_str());
  if (rv != 0) {
    const absl::Status status = RaftError("raft", rv, raft_.errmsg);
    raft_uv_close(&io_);
    transport_.Close();
    uv_loop_close(&uv_loop_);
    return status;
  }
  raft_.data = this;
  raft_set_election_timeout(&raft_, options_.election_timeout_ms);
  raft_set_heartbeat_timeout(&raft_, options_.heartbeat_timeout_ms);
  raft_set_snapshot_threshold(&raft_, options_.snapshot_threshold);
  raft_set_snapshot_trailing(&raft_, options_.snapshot_trailing);
  raft_set_install_snapshot_timeout(&raft_,
                                    options_.install_snapshot_timeout_ms);
  // A node back from a pause or a partition does not raise the term and
  // depose a healthy leader.
  raft_set_pre_vote(&raft_, true);
  absl::Status status = Bootstrap();
  if (status.ok() && (rv = raft_start(&raft_)) != 0) {
    status = RaftError("raft start", rv, raft_errmsg(&raft_));
  }
  if (!status.ok()) CloseAfterFailedOpen();
  return status;
}

// Each first member bootstraps the same configuration; a directory that has
// state already answers RAFT_CANTBOOTSTRAP, which is the normal restart.
absl::Status RaftNode::Loop::Bootstrap() {
  if (options_.bootstrap.empty()) return absl::OkStatus();
  struct raft_configuration configuration;
  raft_configuration_init(&configuration);
  int rv = 0;
  for (const Member& member : options_.bootstrap) {
    const int role = member.vote == Vote::kVoter     ? RAFT_VOTER
                     : member.vote == Vote::kStandby ? RAFT_STANDBY
                                                     : RAFT_SPARE;
    rv = raft_configuration_add(&configuration, member.id,
                                member.address.c_str(), role);
    if (rv != 0) break;
  }
  if (rv == 0) rv = raft_bootstrap(&raft_, &configuration);
  raft_configuration_close(&configuration);
  if (rv == 0 || rv == RAFT_CANTBOOTSTRAP) return absl::OkStatus();
  return RaftError("raft bootstrap", rv, raft_errmsg(&raft_));
}

void RaftNode::Loop::CloseAfterFailedOpen() {
  raft_close(&raft_, [](struct raft*) {});
  uv_run(&uv_loop_, UV_RUN_DEFAULT);
  raft_uv_close(&io_);
  transport_.Close();
  uv_loop_close(&uv_loop_);
}

void RaftNode::Loop::RunThread() {
  uv_run(&uv_loop_, UV_RUN_DEFAULT);
  // Every handle is closed (BeginClose): release raft_uv's memory.
  raft_uv_close(&io_);
  transport_.Close();
  uv_loop_close(&uv_loop_);
}

void RaftNode::Loop::Post(Command command) {
  {
    absl::MutexLock lock(&mu_);
    if (accepting_ && commands_.size() < options_.max_queued) {
      commands_.push_back(std::move(command));
      uv_async_send(&wake_);
      return;
    }
  }
  command(nullptr);
}

void RaftNode::Loop::Drain() {
  std::deque<Command> commands;
  bool stop = false;
  {
    absl::MutexLock lock(&mu_);
    commands.swap(commands_);
    stop = !accepting_;
  }
  for (Command& command : commands) command(closing_ ? nullptr : this);
  if (stop && !closing_) BeginClose();
}

// raft_close fails pending requests (LEADERSHIP_LOST, CANCELED), closes its
// I/O and transport, then calls back; closing our two handles then lets
// uv_run return.
void RaftNode::Loop::BeginClose() {
  closing_ = true;
  raft_close(&raft_, [](struct raft* r) {
    auto* loop = static_cast<Loop*>(r->data);
    uv_close(reinterpret_cast<uv_handle_t*>(&loop->wake_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&loop->monitor_), nullptr);
  });
}

void RaftNode::Loop::Stop() {
  if (std::this_thread::get_id() == thread_.get_id()) {
    // A programmer error: joining raft-loop from itself never returns.
    std::fprintf(stderr, "RaftNode::Stop called on raft-loop\n");
    std::abort();
  }
  {
    absl::MutexLock lock(&mu_);
    if (!thread_.joinable()) return;
    accepting_ = false;
    uv_async_send(&wake_);
  }
  thread_.join();
  std::deque<Command> refused;
  {
    absl::MutexLock lock(&mu_);
    refused.swap(commands_);
  }
  for (Command& command : refused) command(nullptr);
}

// The allow-list of the raft port (peer_filter.h): the configured hosts and
// the hosts of the members raft knows now; everyone when none is configured.
bool RaftNode::Loop::PeerAllowed(const std::string& ip) {
  if (options_.allowed_peer_hosts.empty()) return true;
  for (const std::string& host : options_.allowed_peer_hosts) {
    if (host == ip) return true;
  }
  for (unsigned i = 0; i < raft_.configuration.n; ++i) {
    if (HostOf(raft_.configuration.servers[i].address) == ip) return true;
  }
  return false;
}

ClusterView RaftNode::Loop::View() const {
  absl::MutexLock lock(&mu_);
  return view_;
}

ClusterView RaftNode::Loop::ReadView() {
  ClusterView view;
  view.id = options_.id;
  view.role = RoleOf(raft_state(&raft_));
  view.term = raft_.current_term;
  raft_id leader_id = 0;
  const char* leader_address = nullptr;
  raft_leader(&raft_, &leader_id, &leader_address);
  view.leader_id = leader_id;
  if (leader_address != nullptr) view.leader_address = leader_address;
  view.commit_index = raft_.commit_index;
  view.last_applied = raft_last_applied(&raft_);
  view.last_index = raft_last_index(&raft_);
  for (unsigned i = 0; i < raft_.configuration.n; ++i) {
    const struct raft_server& server = raft_.configuration.servers[i];
    view.members.push_back({server.id, server.address, VoteOf(server.role)});
  }
  return view;
}

// Every loop iteration: publish the view; tell the owner of a new role, term
// or leader; raft goes UNAVAILABLE on its own only after an internal error.
void RaftNode::Loop::Monitor() {
  if (closing_) return;
  ClusterView view = ReadView();
  const bool changed = !view.SameLeadership(published_) || published_.id == 0;
  {
    absl::MutexLock lock(&mu_);
    view_ = view;
  }
  if (view.role == Role::kUnavailable) {
    Fatal(absl::InternalError(
        absl::StrCat("raft stopped on its own: ", raft_errmsg(&raft_))));
  }
  if (!changed) return;
  published_ = std::move(view);
  if (options_.on_view_change) options_.on_view_change(published_);
}

void RaftNode::Loop::Fatal(const absl::Status& status) {
  if (fatal_.exchange(true)) return;
  options_.on_fatal(status);
}

absl::Status RaftNode::Loop::NotLeader(absl::string_view what) {
  raft_id id = 0;
  const char* address = nullptr;
  raft_leader(&raft_, &id, &address);
  absl::Status status = MakeError(
      absl::StatusCode::kUnavailable, "NOT_LEADER", "",
      id == 0 || id == options_.id
          ? absl::StrCat(what, ": not the leader, no leader known")
          : absl::StrCat(what, ": not the leader; the leader is node ", id,
                         " at ", address));
  if (id != options_.id) SetLeaderHint(status, id, address ? address : "");
  return status;
}

absl::Status RaftNode::Loop::ErrorOf(int code, absl::string_view what) {
  const std::string text =
      absl::StrCat(what, ": ", raft_strerror(code), ": ", raft_errmsg(&raft_));
  switch (code) {
    case RAFT_NOTLEADER:
      return NotLeader(what);
    case RAFT_LEADERSHIPLOST:
    case RAFT_SHUTDOWN:
    case RAFT_CANCELED: {
      absl::Status status = MakeError(absl::StatusCode::kUnavailable,
                                      "LEADERSHIP_LOST", "", text);
      return status;
    }
    case RAFT_CANTCHANGE:
      return FailedPrecondition("CHANGE_IN_PROGRESS", "", text);
    case RAFT_BADID:
    case RAFT_NOTFOUND:
      return NotFound("UNKNOWN_NODE", "id", text);
    case RAFT_DUPLICATEID:
    case RAFT_DUPLICATEADDRESS:
      return MakeError(absl::StatusCode::kAlreadyExists, "NODE_EXISTS", "id",
                       text);
    default:
      return MakeError(absl::StatusCode::kUnavailable, "REPLICATION_FAILED", "",
                       text);
  }
}

}  // namespace loyalty::replication
