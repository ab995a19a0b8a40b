// Requests RaftNode posts to its loop (internal to engine/replication): each
// runs on raft-loop, keeps its raft request struct alive on the heap until
// raft calls back, and turns raft's status into ours (raft_node.h).
#ifndef LOYALTY_ENGINE_REPLICATION_RAFT_REQUESTS_H_
#define LOYALTY_ENGINE_REPLICATION_RAFT_REQUESTS_H_

#include <cstdint>
#include <string>

#include "engine/replication/raft_loop.h"

namespace loyalty::replication {

void ProposeOnLoop(RaftNode::Loop* loop, std::string bytes,
                   RaftNode::ProposeDone done);
void BarrierOnLoop(RaftNode::Loop* loop, RaftNode::Done done);
void AddOnLoop(RaftNode::Loop* loop, Member member, RaftNode::Done done);
void RemoveOnLoop(RaftNode::Loop* loop, uint64_t id, RaftNode::Done done);
void TransferOnLoop(RaftNode::Loop* loop, uint64_t id, RaftNode::Done done);

}  // namespace loyalty::replication

#endif  // LOYALTY_ENGINE_REPLICATION_RAFT_REQUESTS_H_
