// The limits of the HTTP/JSON door (http_door.h), each stated, none left to
// the library's defaults. README.md ("Console and HTTP API") shows them.
//
// Threads: the door's own pool serves its connections, one thread per
// connection while it is served (cpp-httplib's model: a keep-alive
// connection keeps its thread between requests, until it is idle for
// idle_timeout or has sent max_requests_per_connection requests). A thread
// reads a request, hands it to the call path and waits for the answer, then
// writes it; nothing the door does runs on gRPC's threads, the ledger's
// workers and completer, or the reader pool, so a slow or malformed
// HTTP client holds at most one of these threads, never the commit path.
// 64 threads serve the connection pools of a few e-shop backends at once
// without making one wait for another's connection, and carry 64 sales in
// flight, which the ledger's writer decides in batches and syncs once per
// batch (a commit waits about one fsync); an idle thread costs only its
// stack.
#ifndef LOYALTY_ENGINE_SERVER_HTTP_OPTIONS_H_
#define LOYALTY_ENGINE_SERVER_HTTP_OPTIONS_H_

#include <cstddef>

#include "absl/time/time.h"

namespace loyalty::server {

struct HttpOptions {
  // Threads serving connections (1..256).
  int threads = 64;
  // Connections accepted and waiting for a thread; with all of them taken
  // the listener stops accepting until one is served (the kernel's listen
  // backlog holds a few more), so the door never holds more than
  // threads + queued_connections connections.
  int queued_connections = 64;
  // A request's body, in bytes: the gRPC message limit (server.h). Larger is
  // 413 before the body is read.
  size_t max_body_bytes = size_t{4} << 20;
  // A request's headers: at most this many, of at most this many bytes in
  // all (names and values); more is 431. A single header line is held to
  // 8 KiB by the library itself (CPPHTTPLIB_HEADER_MAX_LENGTH), the request
  // line to 8 KiB too (414).
  int max_headers = 64;
  size_t max_header_bytes = size_t{16} << 10;
  // How long one read or one write on a connection may wait for the peer;
  // a client that sends or reads nothing for this long is dropped.
  absl::Duration read_timeout = absl::Seconds(5);
  absl::Duration write_timeout = absl::Seconds(5);
  // How long an idle keep-alive connection is kept, and how many requests
  // one connection may send before it is closed (so that connections past
  // `threads` get their turn). Not fewer: the library listens with a
  // backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG), so many clients reconnecting
  // at once find it full and retry their connection a second later.
  absl::Duration idle_timeout = absl::Seconds(5);
  int max_requests_per_connection = 1000;
  // The deadline of each call (HTTP has no deadline of its own): a write
  // still queued in the ledger then is left undecided (DEADLINE_EXCEEDED,
  // 504).
  absl::Duration call_timeout = absl::Seconds(30);
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_HTTP_OPTIONS_H_
