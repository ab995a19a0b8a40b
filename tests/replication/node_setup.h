// The test node's command line (raft_node_main.cc): its peers, each with a
// raft address and a control address (the HTTP port the tests and the
// other nodes' snapshot fetches use).
//
//   --peers=1=127.0.0.1:7001/127.0.0.1:8001,2=...
#ifndef LOYALTY_TESTS_REPLICATION_NODE_SETUP_H_
#define LOYALTY_TESTS_REPLICATION_NODE_SETUP_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty::testing {

struct PeerAddresses {
  std::string raft;
  std::string control;
};
using PeerMap = std::map<uint64_t, PeerAddresses>;

absl::StatusOr<PeerMap> ParsePeers(absl::string_view text);
// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0,
// read, closed): for the tests, which hand it to a node.
int FreeLoopbackPort();

// "host:port" split; false if malformed.
bool SplitHostPort(absl::string_view address, std::string* host, int* port);

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_REPLICATION_NODE_SETUP_H_
