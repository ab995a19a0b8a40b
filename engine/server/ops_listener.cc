#include "engine/server/ops_listener.h"

#include <sys/socket.h>

#include <chrono>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/base/thread_name.h"
#include "httplib.h"

namespace loyalty::server {

namespace {

// Threads that answer requests: a scrape and a probe or two at a time.
constexpr size_t kAnswerThreads = 2;
// How long Start waits for the listening loop to run.
constexpr int kStartWaitMs = 10000;

// host:port (host may be [v6]) split in two, or why not.
absl::StatusOr<std::pair<std::string, int>> SplitAddress(
    const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--metrics-listen must be host:port, not '", address, "'"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::make_pair(host, port);
}

httplib::Server::Handler Serve(std::function<HttpPage()> page) {
  return [page = std::move(page)](const httplib::Request&,
                                  httplib::Response& response) {
    HttpPage answer = page();
    response.status = answer.status;
    response.set_content(answer.body, answer.content_type.c_str());
  };
}

}  // namespace

absl::StatusOr<std::unique_ptr<OpsListener>> OpsListener::Start(
    const std::string& address, OpsPages pages) {
  auto split = SplitAddress(address);
  if (!split.ok()) return split.status();
  const auto& [host, port] = *split;
  std::unique_ptr<OpsListener> listener(new OpsListener());
  listener->http_ = std::make_unique<httplib::Server>();
  httplib::Server& http = *listener->http_;
  http.new_task_queue = [] { return new httplib::ThreadPool(kAnswerThreads); };
  http.set_payload_max_length(0);
  // SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, which would
  // let a second loyaltyd share the port instead of being refused.
  http.set_socket_options([](int socket) {
    const int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  http.Get("/metrics", Serve(std::move(pages.metrics)));
  http.Get("/healthz", Serve(std::move(pages.healthz)));
  http.Get("/readyz", Serve(std::move(pages.readyz)));
  listener->port_ = port == 0 ? http.bind_to_any_port(host)
                              : (http.bind_to_port(host, port) ? port : -1);
  if (listener->port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for metrics on ", address));
  }
  listener->thread_ = std::thread([&http] { http.listen_after_bind(); });
  NameThread(listener->thread_, "ops-listener");
  // cpp-httplib's stop() does nothing before its loop runs, so a listener
  // destroyed at once would wait forever: return only once it runs.
  for (int waited_ms = 0; !http.is_running(); ++waited_ms) {
    if (waited_ms >= kStartWaitMs) {
      // Its thread may still start the loop: leave it running rather than
      // wait for a stop that cannot come.
      listener.release();
      return absl::UnavailableError(
          absl::StrCat("the metrics listener on ", address, " did not start"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return listener;
}

OpsListener::~OpsListener() {
  if (http_ != nullptr) http_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace loyalty::server
