#include "engine/replication/raft_node.h"

#include <memory>
#include <utility>

#include "engine/replication/raft_loop.h"
#include "engine/replication/raft_requests.h"

namespace loyalty::replication {

absl::StatusOr<std::unique_ptr<RaftNode>> RaftNode::Start(
    RaftNodeOptions options, StateMachine* machine) {
  if (options.id == 0 || options.address.empty() || options.data_dir.empty() ||
      !options.on_fatal) {
    return absl::InvalidArgumentError(
        "raft node: id, address, data_dir and on_fatal are required");
  }
  auto loop = std::make_unique<Loop>(std::move(options), machine);
  if (absl::Status opened = loop->Open(); !opened.ok()) return opened;
  return std::unique_ptr<RaftNode>(new RaftNode(std::move(loop)));
}

RaftNode::RaftNode(std::unique_ptr<Loop> loop) : loop_(std::move(loop)) {}

RaftNode::~RaftNode() { Stop(); }

void RaftNode::Propose(std::string bytes, ProposeDone done) {
  loop_->Post(
      [bytes = std::move(bytes), done = std::move(done)](Loop* loop) mutable {
        if (loop == nullptr) {
          done(NodeStopped());
          return;
        }
        ProposeOnLoop(loop, std::move(bytes), std::move(done));
      });
}

std::future<absl::StatusOr<uint64_t>> RaftNode::Propose(std::string bytes) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<uint64_t>>>();
  std::future<absl::StatusOr<uint64_t>> future = promise->get_future();
  Propose(std::move(bytes), [promise](absl::StatusOr<uint64_t> index) {
    promise->set_value(std::move(index));
  });
  return future;
}

// Barrier, Add, Remove and Transfer: `run` on the loop, or NODE_STOPPED.
namespace {

template <typename Run>
RaftNode::Loop::Command Refusable(RaftNode::Done done, Run run) {
  return [done = std::move(done),
          run = std::move(run)](RaftNode::Loop* loop) mutable {
    if (loop == nullptr) {
      done(NodeStopped());
      return;
    }
    run(loop, std::move(done));
  };
}

}  // namespace

void RaftNode::Barrier(Done done) {
  loop_->Post(Refusable(std::move(done), &BarrierOnLoop));
}

void RaftNode::Add(Member member, Done done) {
  loop_->Post(Refusable(
      std::move(done),
      [member = std::move(member)](Loop* loop, Done callback) mutable {
        AddOnLoop(loop, std::move(member), std::move(callback));
      }));
}

void RaftNode::Remove(uint64_t id, Done done) {
  loop_->Post(Refusable(std::move(done), [id](Loop* loop, Done callback) {
    RemoveOnLoop(loop, id, std::move(callback));
  }));
}

void RaftNode::Transfer(uint64_t id, Done done) {
  loop_->Post(Refusable(std::move(done), [id](Loop* loop, Done callback) {
    TransferOnLoop(loop, id, std::move(callback));
  }));
}

ClusterView RaftNode::View() const { return loop_->View(); }

void RaftNode::Stop() { loop_->Stop(); }

}  // namespace loyalty::replication
