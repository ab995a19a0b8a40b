#include "engine/replication/peer_filter.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "absl/strings/str_cat.h"

namespace loyalty::replication {
namespace {

PeerFilterTransport* SelfOf(struct raft_uv_transport* t) {
  return static_cast<PeerFilterTransport*>(t->impl);
}

}  // namespace

std::string PeerIp(struct uv_stream_s* stream) {
  sockaddr_storage address{};
  int length = sizeof(address);
  if (uv_tcp_getpeername(reinterpret_cast<uv_tcp_t*>(stream),
                         reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return "";
  }
  char text[INET6_ADDRSTRLEN] = {0};
  if (address.ss_family == AF_INET) {
    uv_ip4_name(reinterpret_cast<sockaddr_in*>(&address), text, sizeof(text));
  } else if (address.ss_family == AF_INET6) {
    uv_ip6_name(reinterpret_cast<sockaddr_in6*>(&address), text, sizeof(text));
  }
  return text;
}

std::string HostOf(const std::string& address) {
  const size_t colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

absl::Status PeerFilterTransport::Init(uv_loop_t* loop) {
  const int rv = raft_uv_tcp_init(&inner_, loop);
  if (rv != 0) {
    return absl::UnavailableError(
        absl::StrCat("raft transport: ", raft_strerror(rv)));
  }
  inner_.data = this;  // raft_uv_tcp leaves `data` to its user
  outer_.impl = this;  // raft_uv sets outer_.data for itself
  outer_.init = &OnInit;
  outer_.listen = &OnListen;
  outer_.connect = &OnConnect;
  outer_.close = &OnClose;
  return absl::OkStatus();
}

void PeerFilterTransport::Close() { raft_uv_tcp_close(&inner_); }

int PeerFilterTransport::OnInit(struct raft_uv_transport* t, raft_id id,
                                const char* address) {
  PeerFilterTransport* self = SelfOf(t);
  return self->inner_.init(&self->inner_, id, address);
}

int PeerFilterTransport::OnListen(struct raft_uv_transport* t,
                                  raft_uv_accept_cb cb) {
  PeerFilterTransport* self = SelfOf(t);
  self->accept_cb_ = cb;
  return self->inner_.listen(&self->inner_, &Accepted);
}

int PeerFilterTransport::OnConnect(struct raft_uv_transport* t,
                                   struct raft_uv_connect* req, raft_id id,
                                   const char* address, raft_uv_connect_cb cb) {
  PeerFilterTransport* self = SelfOf(t);
  return self->inner_.connect(&self->inner_, req, id, address, cb);
}

void PeerFilterTransport::OnClose(struct raft_uv_transport* t,
                                  raft_uv_transport_close_cb cb) {
  PeerFilterTransport* self = SelfOf(t);
  self->close_cb_ = cb;
  self->inner_.close(&self->inner_, [](struct raft_uv_transport* inner) {
    auto* closing = static_cast<PeerFilterTransport*>(inner->data);
    if (closing->close_cb_ != nullptr) closing->close_cb_(&closing->outer_);
  });
}

// raft_uv_tcp hands over the stream (allocated with raft_malloc) once the
// handshake is read: pass it on, or close and free it.
void PeerFilterTransport::Accepted(struct raft_uv_transport* inner, raft_id id,
                                   const char* address,
                                   struct uv_stream_s* stream) {
  auto* self = static_cast<PeerFilterTransport*>(inner->data);
  const std::string ip = PeerIp(stream);
  if (self->allowed_(ip)) {
    self->accept_cb_(&self->outer_, id, address, stream);
    return;
  }
  if (self->refused_) self->refused_(ip, id);
  uv_close(reinterpret_cast<uv_handle_t*>(stream),
           [](uv_handle_t* handle) { raft_free(handle); });
}

}  // namespace loyalty::replication
