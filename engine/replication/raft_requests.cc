#include "engine/replication/raft_requests.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "engine/replication/entry_frame.h"

namespace loyalty::replication {
namespace {

struct ApplyRequest {
  struct raft_apply request {};
  RaftNode::Loop* loop;
  RaftNode::ProposeDone done;
};

struct BarrierRequest {
  struct raft_barrier request {};
  RaftNode::Loop* loop;
  RaftNode::Done done;
};

// One membership change; Add uses it twice (add as spare, then voter).
struct ChangeRequest {
  struct raft_change request {};
  RaftNode::Loop* loop;
  Member member;
  RaftNode::Done done;
};

struct TransferRequest {
  struct raft_transfer request {};
  RaftNode::Loop* loop;
  RaftNode::Done done;
};

void OnApplied(struct raft_apply* request, int status, void* /*result*/) {
  std::unique_ptr<ApplyRequest> owned(
      static_cast<ApplyRequest*>(request->data));
  if (status == 0) {
    owned->done(static_cast<uint64_t>(request->index));
  } else {
    owned->done(owned->loop->ErrorOf(status, "propose"));
  }
}

void OnBarrier(struct raft_barrier* request, int status) {
  std::unique_ptr<BarrierRequest> owned(
      static_cast<BarrierRequest*>(request->data));
  owned->done(status == 0 ? absl::OkStatus()
                          : owned->loop->ErrorOf(status, "barrier"));
}

void OnChanged(struct raft_change* request, int status) {
  std::unique_ptr<ChangeRequest> owned(
      static_cast<ChangeRequest*>(request->data));
  owned->done(status == 0 ? absl::OkStatus()
                          : owned->loop->ErrorOf(status, "membership change"));
}

// The new member has caught up as a spare: make it a voter (raft runs
// catch-up rounds again before the change is appended).
void OnAddedAsSpare(struct raft_change* request, int status) {
  std::unique_ptr<ChangeRequest> owned(
      static_cast<ChangeRequest*>(request->data));
  RaftNode::Loop* loop = owned->loop;
  if (status != 0) {
    owned->done(loop->ErrorOf(status, "add member"));
    return;
  }
  owned->request.cb = nullptr;
  const int rv = raft_assign(loop->raft(), &owned->request, owned->member.id,
                             RAFT_VOTER, &OnChanged);
  if (rv != 0) {
    owned->done(loop->ErrorOf(rv, "make member a voter"));
    return;
  }
  owned.release();  // raft calls OnChanged
}

void OnTransferred(struct raft_transfer* request) {
  std::unique_ptr<TransferRequest> owned(
      static_cast<TransferRequest*>(request->data));
  raft_id leader = 0;
  const char* address = nullptr;
  raft_leader(owned->loop->raft(), &leader, &address);
  if (leader != 0 && leader == request->id) {
    owned->done(absl::OkStatus());
    return;
  }
  owned->done(FailedPrecondition(
      "NOT_TRANSFERRED", "id",
      absl::StrCat("leadership did not move to node ", request->id,
                   " within an election timeout; the leader is node ",
                   leader)));
}

}  // namespace

void ProposeOnLoop(RaftNode::Loop* loop, std::string bytes,
                   RaftNode::ProposeDone done) {
  if (bytes.size() > RaftNode::kMaxEntryBytes) {
    done(InvalidArgument("ENTRY_TOO_LARGE", "bytes",
                         absl::StrCat("an entry holds at most ",
                                      RaftNode::kMaxEntryBytes, " bytes")));
    return;
  }
  struct raft_buffer buffer;
  buffer.len = FramedSize(bytes.size());
  buffer.base = raft_malloc(buffer.len);
  if (buffer.base == nullptr) {
    done(loop->ErrorOf(RAFT_NOMEM, "propose"));
    return;
  }
  WriteFrame(bytes, static_cast<char*>(buffer.base));
  auto owned = std::make_unique<ApplyRequest>();
  owned->loop = loop;
  owned->done = std::move(done);
  owned->request.data = owned.get();
  const int rv =
      raft_apply(loop->raft(), &owned->request, &buffer, 1, &OnApplied);
  if (rv != 0) {
    raft_free(buffer.base);  // raft owns it only after a 0
    owned->done(loop->ErrorOf(rv, "propose"));
    return;
  }
  owned.release();
}

void BarrierOnLoop(RaftNode::Loop* loop, RaftNode::Done done) {
  auto owned = std::make_unique<BarrierRequest>();
  owned->loop = loop;
  owned->done = std::move(done);
  owned->request.data = owned.get();
  const int rv = raft_barrier(loop->raft(), &owned->request, &OnBarrier);
  if (rv != 0) {
    owned->done(loop->ErrorOf(rv, "barrier"));
    return;
  }
  owned.release();
}

void AddOnLoop(RaftNode::Loop* loop, Member member, RaftNode::Done done) {
  auto owned = std::make_unique<ChangeRequest>();
  owned->loop = loop;
  owned->member = std::move(member);
  owned->done = std::move(done);
  owned->request.data = owned.get();
  const int rv = raft_add(loop->raft(), &owned->request, owned->member.id,
                          owned->member.address.c_str(), &OnAddedAsSpare);
  if (rv != 0) {
    owned->done(loop->ErrorOf(rv, "add member"));
    return;
  }
  owned.release();
}

void RemoveOnLoop(RaftNode::Loop* loop, uint64_t id, RaftNode::Done done) {
  auto owned = std::make_unique<ChangeRequest>();
  owned->loop = loop;
  owned->member.id = id;
  owned->done = std::move(done);
  owned->request.data = owned.get();
  const int rv = raft_remove(loop->raft(), &owned->request, id, &OnChanged);
  if (rv != 0) {
    owned->done(loop->ErrorOf(rv, "remove member"));
    return;
  }
  owned.release();
}

void TransferOnLoop(RaftNode::Loop* loop, uint64_t id, RaftNode::Done done) {
  auto owned = std::make_unique<TransferRequest>();
  owned->loop = loop;
  owned->done = std::move(done);
  owned->request.data = owned.get();
  const int rv =
      raft_transfer(loop->raft(), &owned->request, id, &OnTransferred);
  if (rv != 0) {
    owned->done(loop->ErrorOf(rv, "transfer leadership"));
    return;
  }
  owned.release();
}

}  // namespace loyalty::replication
