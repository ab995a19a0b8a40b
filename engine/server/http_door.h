// The HTTP/1.1 listener of loyaltyd (--http-listen), on cpp-httplib
// (Debian's libcpp-httplib-dev): HTTPS with the gRPC port's TLS files when
// loyaltyd has them (mutual TLS too), plain HTTP otherwise (loopback only,
// as for gRPC). It knows nothing of the API: whatever it serves is a route
// mounted on it before it listens (http_api.h mounts every RPC and the
// OpenAPI description; the console's assets and other GET routes mount the
// same way).
//
// Every request passes the limits of http_options.h before its route sees
// it: the body (413), the headers (431), the request line (414), the read,
// write and idle timeouts, the connections held. Its own threads
// (`http-0` ...) serve the connections; see http_options.h for why they
// cannot tie up the commit path.
#ifndef LOYALTY_ENGINE_SERVER_HTTP_DOOR_H_
#define LOYALTY_ENGINE_SERVER_HTTP_DOOR_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/server/http_options.h"
#include "engine/server/http_router.h"
#include "engine/server/server.h"

namespace loyalty::server {

class HttpDoor {
 public:
  explicit HttpDoor(HttpOptions options) : options_(options) {}
  HttpDoor(const HttpDoor&) = delete;
  HttpDoor& operator=(const HttpDoor&) = delete;
  ~HttpDoor() { Stop(); }

  // Adds a route (http_router.h); before Listen only.
  void Mount(std::string method, absl::string_view path_template,
             HttpHandler handler) {
    router_.Add(std::move(method), path_template, std::move(handler));
  }

  // Binds `address` (host:port; port 0 picks a free one) and serves on a
  // thread of its own: HTTPS with `tls` when set. UNAVAILABLE when the
  // address cannot be bound, INVALID_ARGUMENT when the TLS files cannot be
  // read or the address is not host:port.
  absl::Status Listen(const std::string& address,
                      const std::optional<TlsFiles>& tls);

  int port() const { return port_; }
  const HttpOptions& options() const { return options_; }
  const HttpRouter& router() const { return router_; }

  // Stops accepting connections and waits for the ones being served: a
  // request in flight is answered, an idle keep-alive connection is closed
  // within options().idle_timeout. Nothing when not listening.
  void Stop();

 private:
  // The limits, the handlers and the error bodies on server_.
  void Configure();
  // A POST, PUT, PATCH or DELETE: reads its body (the limit checked by the
  // library as it reads), then routes it.
  void ServeWithBody(const httplib::Request& request,
                     httplib::Response& response,
                     const httplib::ContentReader& reader) const;
  // A request over the header limits: 431 with the JSON error body.
  bool HeadersTooLarge(const httplib::Request& request,
                       httplib::Response& response) const;

  const HttpOptions options_;
  HttpRouter router_;
  std::unique_ptr<httplib::Server> server_;
  std::thread listener_;
  std::atomic<bool> listener_ended_{false};
  int port_ = 0;
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_HTTP_DOOR_H_
