// The raft port's allow-list. raft_uv_tcp has no TLS and no authentication:
// a connection's handshake merely claims a server id and address. This
// transport forwards everything to raft_uv_tcp, except that it looks at the
// source IP of every accepted connection (once its handshake is read) and
// closes it unless `allowed(ip)` says yes. It is a guard against strays and
// misconfigured hosts, not against an attacker on the path: keep the raft
// port on a private network or behind a firewall (README), or WireGuard
// between hosts.
//
// Runs on the raft loop only, like the transport it wraps.
#ifndef LOYALTY_ENGINE_REPLICATION_PEER_FILTER_H_
#define LOYALTY_ENGINE_REPLICATION_PEER_FILTER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "engine/replication/raft_c.h"

namespace loyalty::replication {

class PeerFilterTransport {
 public:
  using Allowed = std::function<bool(const std::string& ip)>;
  using Refused =
      std::function<void(const std::string& ip, uint64_t claimed_id)>;

  PeerFilterTransport(Allowed allowed, Refused refused)
      : allowed_(std::move(allowed)), refused_(std::move(refused)) {}
  PeerFilterTransport(const PeerFilterTransport&) = delete;
  PeerFilterTransport& operator=(const PeerFilterTransport&) = delete;

  // Sets up the TCP transport on `loop`; then hand transport() to
  // raft_uv_init. Close() after the loop has stopped releases it.
  absl::Status Init(uv_loop_t* loop);
  struct raft_uv_transport* transport() {
    return &outer_;
  }
  void Close();

 private:
  static int OnInit(struct raft_uv_transport* t, raft_id id,
                    const char* address);
  static int OnListen(struct raft_uv_transport* t, raft_uv_accept_cb cb);
  static int OnConnect(struct raft_uv_transport* t, struct raft_uv_connect* req,
                       raft_id id, const char* address, raft_uv_connect_cb cb);
  static void OnClose(struct raft_uv_transport* t,
                      raft_uv_transport_close_cb cb);
  static void Accepted(struct raft_uv_transport* inner, raft_id id,
                       const char* address, struct uv_stream_s* stream);

  const Allowed allowed_;
  const Refused refused_;
  struct raft_uv_transport outer_ {};  // what raft_uv sees
  struct raft_uv_transport inner_ {};  // raft_uv_tcp
  raft_uv_accept_cb accept_cb_ = nullptr;
  raft_uv_transport_close_cb close_cb_ = nullptr;
};

// The IP a connected TCP stream comes from ("" if unknown).
std::string PeerIp(struct uv_stream_s* stream);
// "host" of "host:port".
std::string HostOf(const std::string& address);

}  // namespace loyalty::replication

#endif  // LOYALTY_ENGINE_REPLICATION_PEER_FILTER_H_
