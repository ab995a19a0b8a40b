// Canonical raft 0.15 (Debian's libraft-dev) from C++. Its headers have no
// extern "C" guards, so C++ would mangle every raft_* name and fail to link:
// include this header, never <raft.h> or <raft/uv.h> directly. Only the .cc
// files of engine/replication include it; no other layer sees raft.
#ifndef LOYALTY_ENGINE_REPLICATION_RAFT_C_H_
#define LOYALTY_ENGINE_REPLICATION_RAFT_C_H_

extern "C" {
#include <raft.h>
#include <raft/uv.h>
}

#endif  // LOYALTY_ENGINE_REPLICATION_RAFT_C_H_
