#include "engine/server/http_door.h"

#include <atomic>
#include <deque>
#include <functional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "engine/base/error.h"
#include "engine/base/thread_name.h"

namespace loyalty::server {
namespace {

// cpp-httplib's queue of accepted connections, bounded: `threads` serve
// them and at most `max_queued` wait. The listener's accept loop enqueues;
// with the queue full it waits there, so no more connections are accepted
// until a thread is free (the kernel's listen backlog holds a few more).
class ConnectionQueue final : public httplib::TaskQueue {
 public:
  ConnectionQueue(int threads, int max_queued) : max_queued_(max_queued) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] { Work(); });
      NameThread(threads_.back(), absl::StrCat("http-", i));
    }
  }
  ~ConnectionQueue() override { shutdown(); }

  void enqueue(std::function<void()> connection) override {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &ConnectionQueue::HasRoom));
    queue_.push_back(std::move(connection));
  }

  // Serves what is queued (each task closes its socket), then joins.
  void shutdown() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

 private:
  bool HasRoom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return queue_.size() < static_cast<size_t>(max_queued_);
  }
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || !queue_.empty();
  }

  void Work() {
    for (;;) {
      std::function<void()> connection;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &ConnectionQueue::HasWork));
        if (queue_.empty()) return;  // stopping, nothing left
        connection = std::move(queue_.front());
        queue_.pop_front();
      }
      connection();
    }
  }

  const int max_queued_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

// What the library refused before any route saw the request, as the JSON
// error body every other refusal has.
absl::Status LibraryRefusal(int http_status) {
  switch (http_status) {
    case 413:
      return InvalidArgument("BODY_TOO_LARGE", "",
                             "the body is over the door's limit (4 MiB)");
    case 414:
      return InvalidArgument("URI_TOO_LONG", "",
                             "the request line is over 8 KiB");
    case 404:
      return NotFound("UNKNOWN_ROUTE", "", "no such route");
    default:
      return InvalidArgument("MALFORMED_HTTP", "",
                             "the request is not valid HTTP/1.1");
  }
}

time_t Seconds(absl::Duration duration) {
  return static_cast<time_t>(absl::ToInt64Seconds(duration));
}

struct HostPort {
  std::string host;
  int port = 0;
};

absl::StatusOr<HostPort> ParseAddress(const std::string& address) {
  const size_t colon = address.rfind(':');
  HostPort parsed;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &parsed.port) ||
      parsed.port < 0 || parsed.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http-listen must be host:port, got '", address, "'"));
  }
  parsed.host = address.substr(0, colon);
  if (parsed.host.size() >= 2 && parsed.host.front() == '[') {
    parsed.host = parsed.host.substr(1, parsed.host.size() - 2);  // [::1]
  }
  return parsed;
}

}  // namespace

bool HttpDoor::HeadersTooLarge(const httplib::Request& request,
                               httplib::Response& response) const {
  size_t bytes = 0;
  for (const auto& [name, value] : request.headers) {
    bytes += name.size() + value.size();
  }
  if (request.headers.size() <= static_cast<size_t>(options_.max_headers) &&
      bytes <= options_.max_header_bytes) {
    return false;
  }
  WriteError(InvalidArgument(
                 "HEADERS_TOO_LARGE", "",
                 absl::StrCat("at most ", options_.max_headers, " headers of ",
                              options_.max_header_bytes, " bytes in all")),
             response);
  response.status = 431;
  return true;
}

void HttpDoor::ServeWithBody(const httplib::Request& request,
                             httplib::Response& response,
                             const httplib::ContentReader& reader) const {
  httplib::Request with_body = request;
  // HTTP/1.1: without Content-Length or Transfer-Encoding there is no body
  // (cpp-httplib 0.11 would read until the client closes).
  const bool has_body =
      request.has_header("Content-Length") ||
      absl::StrContains(request.get_header_value("Transfer-Encoding"),
                        "chunked");
  if (has_body && !reader([&with_body](const char* data, size_t length) {
        with_body.body.append(data, length);
        return true;
      })) {
    const int status = response.status > 0 ? response.status : 400;
    WriteError(LibraryRefusal(status), response);
    response.status = status;  // 413 over the limit, else 400
    response.set_header("Connection", "close");
    return;
  }
  router_.Serve(with_body, response);
}

void HttpDoor::Configure() {
  httplib::Server& server = *server_;
  const int threads = options_.threads;
  const int queued = options_.queued_connections;
  server.new_task_queue = [threads, queued] {
    return new ConnectionQueue(threads, queued);
  };
  server.set_read_timeout(Seconds(options_.read_timeout));
  server.set_write_timeout(Seconds(options_.write_timeout));
  server.set_keep_alive_timeout(Seconds(options_.idle_timeout));
  server.set_keep_alive_max_count(options_.max_requests_per_connection);
  server.set_payload_max_length(options_.max_body_bytes);
  server.set_tcp_nodelay(true);  // an answer is one small write: no Nagle wait
  const httplib::Server::Handler serve = [this](const httplib::Request& request,
                                                httplib::Response& response) {
    if (!HeadersTooLarge(request, response)) router_.Serve(request, response);
  };
  const httplib::Server::HandlerWithContentReader serve_body =
      [this](const httplib::Request& request, httplib::Response& response,
             const httplib::ContentReader& reader) {
        if (!HeadersTooLarge(request, response)) {
          ServeWithBody(request, response, reader);
        }
      };
  // Every request reaches the router, which answers 404 and 405 itself.
  server.Get(".*", serve).Options(".*", serve);
  server.Post(".*", serve_body).Put(".*", serve_body);
  server.Patch(".*", serve_body).Delete(".*", serve_body);
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& response) {
        if (!response.body.empty()) {
          return httplib::Server::HandlerResponse::Unhandled;  // ours
        }
        const int status = response.status;
        WriteError(LibraryRefusal(status), response);
        response.status = status;
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler([](const httplib::Request&,
                                  httplib::Response& response,
                                  const std::exception_ptr&) {
    WriteError(absl::InternalError("the request could not be served"),
               response);
  });
}

absl::Status HttpDoor::Listen(const std::string& address,
                              const std::optional<TlsFiles>& tls) {
  absl::StatusOr<HostPort> where = ParseAddress(address);
  if (!where.ok()) return where.status();
  if (tls.has_value()) {
    server_ = std::make_unique<httplib::SSLServer>(
        tls->cert_file.c_str(), tls->key_file.c_str(),
        tls->client_ca_file.empty() ? nullptr : tls->client_ca_file.c_str());
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  if (!server_->is_valid()) {
    return absl::InvalidArgumentError(
        "the HTTP listener cannot read the TLS certificate, key or client CA");
  }
  Configure();
  port_ = where->port == 0
              ? server_->bind_to_any_port(where->host)
              : (server_->bind_to_port(where->host, where->port) ? where->port
                                                                 : -1);
  if (port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address));
  }
  listener_ = std::thread([this] {
    server_->listen_after_bind();
    listener_ended_ = true;
  });
  NameThread(listener_, "http-listen");
  // httplib's stop() does nothing before the loop runs: wait for it.
  while (!server_->is_running() && !listener_ended_)
    absl::SleepFor(absl::Milliseconds(1));
  if (listener_ended_) {
    listener_.join();
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address));
  }
  return absl::OkStatus();
}

void HttpDoor::Stop() {
  if (server_ == nullptr) return;
  server_->stop();
  if (listener_.joinable()) listener_.join();
}

}  // namespace loyalty::server
