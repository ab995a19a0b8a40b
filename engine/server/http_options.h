// The limits of the HTTP/JSON door (http_door.h), each stated, none left to
// the library's defaults. README.md ("Console and HTTP API") shows them.
//
// Threads: the door's own pool serves its connections, one thread per
// connection while it is served (cpp-httplib's model). A thread reads a
// request, hands it to the call path and waits for the answer, then writes
// it; nothing the door does runs on gRPC's threads, the ledger's writer,
// syncer and completer, or the reader pool, so a slow or malformed HTTP
// client holds at most one of these threads, never the commit path. 16
// threads carry 16 sales in flight, which the ledger's writer decides in a
// batch and syncs once (a commit waits about one fsync): enough for a few
// thousand commits a second over HTTP, the national peak of DESIGN.md.
#ifndef LOYALTY_ENGINE_SERVER_HTTP_OPTIONS_H_
#define LOYALTY_ENGINE_SERVER_HTTP_OPTIONS_H_

#include <cstddef>

#include "absl/time/time.h"

namespace loyalty::server {

struct HttpOptions {
  // Threads serving connections (1..256).
  int threads = 16;
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
  // one connection may send before it is closed (so that connections take
  // turns on the threads).
  absl::Duration idle_timeout = absl::Seconds(5);
  int max_requests_per_connection = 100;
  // The deadline of each call (HTTP has no deadline of its own): a write
  // still queued in the ledger then is left undecided (DEADLINE_EXCEEDED,
  // 504).
  absl::Duration call_timeout = absl::Seconds(30);
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_HTTP_OPTIONS_H_
