// A small HTTP listener of its own for /metrics, /healthz and /readyz
// (ops_pages.h), on loyaltyd's --metrics-listen address, with cpp-httplib
// (Debian's libcpp-httplib-dev). Plain HTTP, GET only, no API key: the pages
// hold figures and states, never a member or a key, so bind it where only
// the monitoring can reach it (loopback, or a management network).
// The pages are functions, so that the HTTP/JSON listener can later mount
// the very same ones instead.
//
// Bounded: two threads answer; a request's headers are at most 8 KiB
// (cpp-httplib's limit) and no body is read. Thread-safe.
#ifndef LOYALTY_ENGINE_SERVER_OPS_LISTENER_H_
#define LOYALTY_ENGINE_SERVER_OPS_LISTENER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "engine/server/ops_pages.h"

namespace httplib {
class Server;
}

namespace loyalty::server {

// The pages, each built afresh for every request (on a listener thread).
struct OpsPages {
  std::function<HttpPage()> metrics;
  std::function<HttpPage()> healthz;
  std::function<HttpPage()> readyz;
};

class OpsListener {
 public:
  // Binds `address` (host:port; port 0 picks a free one) and serves `pages`
  // until destroyed. UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<OpsListener>> Start(
      const std::string& address, OpsPages pages);
  OpsListener(const OpsListener&) = delete;
  OpsListener& operator=(const OpsListener&) = delete;
  // Stops listening; requests being answered finish first.
  ~OpsListener();

  int port() const { return port_; }

 private:
  OpsListener() = default;

  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_OPS_LISTENER_H_
