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

template <typename Request, typename Done>
std::unique_ptr<Request> MakeRequest(RaftNode::Loop* loop, Done done) {
  auto owned = std::make_unique<Request>();
  owned->loop = loop;
  owned->done = std::move(done);
  owned->request.data = owned.get();
  return owned;
}

// Hands `owned` to raft through `call` (a raft_* function on its request):
// raft owns it until its callback on a 0; otherwise it fails here.
template <typename Request, typename Call>
void Launch(std::unique_ptr<Request> owned, absl::string_view what, Call call) {
  const int rv = call(&owned->request);
  if (rv != 0) {
    owned->done(owned->loop->ErrorOf(rv, what));
    return;
  }
  owned.release();
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
  auto owned = MakeRequest<ApplyRequest>(loop, std::move(done));
  Launch(std::move(owned), "propose", [&](struct raft_apply* request) {
    const int rv = raft_apply(loop->raft(), request, &buffer, 1, &OnApplied);
    if (rv != 0) raft_free(buffer.base);  // raft owns it only after a 0
    return rv;
  });
}

void BarrierOnLoop(RaftNode::Loop* loop, RaftNode::Done done) {
  Launch(MakeRequest<BarrierRequest>(loop, std::move(done)), "barrier",
         [&](struct raft_barrier* request) {
           return raft_barrier(loop->raft(), request, &OnBarrier);
         });
}

void AddOnLoop(RaftNode::Loop* loop, Member member, RaftNode::Done done) {
  auto owned = MakeRequest<ChangeRequest>(loop, std::move(done));
  owned->member = std::move(member);
  const Member& added = owned->member;
  Launch(std::move(owned), "add member", [&](struct raft_change* request) {
    return raft_add(loop->raft(), request, added.id, added.address.c_str(),
                    &OnAddedAsSpare);
  });
}

void RemoveOnLoop(RaftNode::Loop* loop, uint64_t id, RaftNode::Done done) {
  Launch(MakeRequest<ChangeRequest>(loop, std::move(done)), "remove member",
         [&](struct raft_change* request) {
           return raft_remove(loop->raft(), request, id, &OnChanged);
         });
}

void TransferOnLoop(RaftNode::Loop* loop, uint64_t id, RaftNode::Done done) {
  Launch(MakeRequest<TransferRequest>(loop, std::move(done)),
         "transfer leadership", [&](struct raft_transfer* request) {
           return raft_transfer(loop->raft(), request, id, &OnTransferred);
         });
}

}  // namespace loyalty::replication
