// The test node's control port (HTTP on loopback, cpp-httplib): how the
// cluster tests drive a node and read its state, and how a node that needs a
// snapshot's state fetches it from a peer.
//
//   GET  /status               key=value lines: role, term, leader, indexes,
//                              count and hash of the counter log, members
//   GET  /log                  the whole counter log
//   POST /propose  (body)      200 "index=N" once committed and applied here;
//                              503 "REASON\nleader_id=..\nleader_control=.."
//   POST /add?id=N  /remove?id=N  /transfer?id=N   (membership, leader only)
//   GET  /checkpoint           "<applied index>\n<manifest>"
//   GET  /checkpoint/file?name=entries.log
#ifndef LOYALTY_TESTS_REPLICATION_CONTROL_SERVER_H_
#define LOYALTY_TESTS_REPLICATION_CONTROL_SERVER_H_

#include <httplib.h>

#include "engine/replication/raft_node.h"
#include "tests/replication/counter_log.h"
#include "tests/replication/node_setup.h"

namespace loyalty::testing {

void AddControlRoutes(httplib::Server& server, replication::RaftNode& node,
                      CounterLog& log, const PeerMap& peers);

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_REPLICATION_CONTROL_SERVER_H_
