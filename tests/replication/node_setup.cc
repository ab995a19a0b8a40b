#include "tests/replication/node_setup.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace loyalty::testing {

absl::StatusOr<PeerMap> ParsePeers(absl::string_view text) {
  PeerMap peers;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    const std::pair<absl::string_view, absl::string_view> id_rest =
        absl::StrSplit(item, absl::MaxSplits('=', 1));
    const std::pair<absl::string_view, absl::string_view> addresses =
        absl::StrSplit(id_rest.second, '/');
    uint64_t id = 0;
    if (!absl::SimpleAtoi(id_rest.first, &id) || id == 0 ||
        addresses.first.empty() || addresses.second.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--peers: want ID=RAFT_ADDR/CONTROL_ADDR, got ", item));
    }
    peers[id] = {std::string(addresses.first), std::string(addresses.second)};
  }
  return peers;
}

int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  const bool bound =
      ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  return bound ? ntohs(address.sin_port) : 0;
}

bool SplitHostPort(absl::string_view address, std::string* host, int* port) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return false;
  *host = std::string(address.substr(0, colon));
  return absl::SimpleAtoi(address.substr(colon + 1), port);
}

}  // namespace loyalty::testing
