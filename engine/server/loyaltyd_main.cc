// loyaltyd: the loyalty engine's server. Opens the ledger in --data-dir,
// loads --rules, serves gRPC on --listen (and HTTP/JSON on --http-listen,
// when given) until SIGINT or SIGTERM, then
// finishes the calls in flight and exits. Runs the maintenance run every
// --upkeep-every. Logs to stderr (engine/server/call_log.h); flags take
// dashes or underscores (engine/base/command_line.h).
#include <sys/stat.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "engine/base/command_line.h"
#include "engine/base/log.h"
#include "engine/base/thread_name.h"
#include "engine/base/version.h"
#include "engine/server/call_log.h"
#include "engine/server/data_dir.h"
#include "engine/server/ops_endpoint.h"
#include "engine/server/server.h"

ABSL_FLAG(std::string, data_dir, "var/loyalty",
          "Directory of the ledger's RocksDB database; created if missing, "
          "mode 0700 (refused when group or others can write it).");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "Address to serve gRPC on (plain text: keep it on loopback).");
ABSL_FLAG(std::string, http_listen, "",
          "Address to serve the HTTP/JSON API and the web console on "
          "(host:port; empty: off). HTTPS with the TLS files; plain HTTP only "
          "with --plaintext, on loopback. Routes: /v1/openapi.json; the "
          "console: /; /metrics, /healthz and /readyz (no key).");
ABSL_FLAG(std::string, rules, "rules/default.yaml",
          "Rule file (YAML) that prices purchases; see rules/README.md.");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain of the server: turns TLS on.");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of the server.");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA that client certificates must be signed by (mTLS).");
ABSL_FLAG(bool, plaintext, false,
          "Serve without TLS; allowed only on a loopback address.");
ABSL_FLAG(std::string, auth, "keys",
          "'keys': callers send an API key in x-api-key (see loyaltyctl key); "
          "'none': no keys, every caller is admin (needs --plaintext).");
ABSL_FLAG(std::string, admin_key_file, "",
          "Where the first admin key is written at first start "
          "(default: <data-dir>/ADMIN_KEY).");

ABSL_FLAG(absl::Duration, upkeep_every, absl::Hours(1),
          "How often the maintenance run (Program.RunExpiry: pending points "
          "released, expired points moved to breakage, birthday gifts, tier "
          "reviews) runs on its own, the first time one interval after start; "
          "0 turns the schedule off.");
ABSL_FLAG(std::string, log_level, "info",
          "error, warn, info or debug (debug adds every refused call).");
ABSL_FLAG(std::string, log_format, "plain",
          "plain (one 'time LEVEL event key=value...' line per event) or json "
          "(one JSON object per line); the log goes to stderr.");

ABSL_FLAG(absl::Duration, max_backdate, absl::Hours(24 * 30),
          "How far back a purchase_time or an enroll_time may lie (an offline "
          "till syncing late); older ones are refused (TIME_TOO_OLD). At most "
          "8784h (366 days); default 720h (30 days).");
ABSL_FLAG(absl::Duration, max_clock_skew, absl::Minutes(5),
          "How far ahead of the server's clock a purchase_time or an "
          "enroll_time may lie (a till's clock running fast); later ones are "
          "refused (TIME_IN_FUTURE). At most 1h.");

ABSL_FLAG(std::string, metrics_listen, "",
          "host:port of a plain HTTP listener for /metrics (Prometheus), "
          "/healthz and /readyz; empty: none. It needs no API key and shows "
          "figures only: keep it on loopback or a management network.");

ABSL_FLAG(absl::Duration, shutdown_timeout, absl::Seconds(10),
          "How long SIGINT or SIGTERM waits for the calls in flight to finish "
          "before it cancels them. An export or a maintenance run in progress "
          "ends at its next page instead (UNAVAILABLE).");

namespace {

std::atomic<bool> fatal_error{false};

const loyalty::Logger* logger = &loyalty::Logger::Discard();

// Runs the maintenance run every `every` until `stop` is notified.
void ScheduleUpkeep(loyalty::program::Operations* operations, absl::Duration every,
                    absl::Notification* stop, std::atomic<bool>* stopping) {
  const loyalty::server::CallLog log(logger, loyalty::server::Rpc::kRunExpiry, "",
                                     "scheduled");
  while (!stop->WaitForNotificationWithTimeout(every)) {
    loyalty::v1::RunExpiryRequest request;
    request.set_request_id("scheduled");
    const absl::Time start = absl::Now();
    log.RunStarted();
    auto result = operations->RunExpiry(
        request, [&log](const loyalty::v1::RunExpiryResponse& page) { log.RunPage(page); },
        stopping);
    log.RunEnded(result, absl::Now() - start);
  }
}

// The logger the flags ask for, or why they are wrong.
absl::StatusOr<const loyalty::Logger*> LoggerFromFlags() {
  auto level = loyalty::ParseLogLevel(absl::GetFlag(FLAGS_log_level));
  if (!level.ok()) return level.status();
  auto format = loyalty::ParseLogFormat(absl::GetFlag(FLAGS_log_format));
  if (!format.ok()) return format.status();
  return new loyalty::Logger(loyalty::LoggerOptions{*level, *format, STDERR_FILENO});
}

bool IsLoopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address.rfind("localhost:", 0) == 0 ||
         address.rfind("[::1]:", 0) == 0;
}

// The transport and auth settings from the flags, or why they do not fit.
absl::Status ApplySecurityFlags(loyalty::server::ServerOptions* options) {
  const bool plaintext = absl::GetFlag(FLAGS_plaintext);
  const std::string auth = absl::GetFlag(FLAGS_auth);
  if (auth != "keys" && auth != "none") {
    return absl::InvalidArgumentError("--auth must be 'keys' or 'none'");
  }
  if (!absl::GetFlag(FLAGS_tls_cert_file).empty()) {
    if (plaintext) return absl::InvalidArgumentError("--plaintext and TLS files both given");
    options->tls = loyalty::server::TlsFiles{absl::GetFlag(FLAGS_tls_cert_file),
                                             absl::GetFlag(FLAGS_tls_key_file),
                                             absl::GetFlag(FLAGS_tls_client_ca_file)};
  } else if (!plaintext) {
    return absl::InvalidArgumentError(
        "give --tls-cert-file and --tls-key-file, or --plaintext on loopback");
  } else if (!IsLoopback(options->listen_address) ||
             (!options->http_listen_address.empty() &&
              !IsLoopback(options->http_listen_address))) {
    return absl::InvalidArgumentError(
        "--plaintext is allowed only on a loopback address (127.0.0.1, [::1])");
  }
  if (auth == "none" && !plaintext) {
    return absl::InvalidArgumentError("--auth=none needs --plaintext on loopback");
  }
  options->require_api_keys = auth == "keys";
  options->admin_key_file = absl::GetFlag(FLAGS_admin_key_file);
  return absl::OkStatus();
}

// Blocks the stop signals in every thread, so that main can wait for them.
sigset_t StopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// Prints why loyaltyd does not start; returns its exit status, 2.
int RefuseToStart(const absl::Status& why) {
  std::fprintf(stderr, "loyaltyd: refusing to start: %s\n",
               std::string(why.message()).c_str());
  return 2;
}

// A failed ledger write cannot be served past: log it and stop as SIGTERM
// would, exiting 1.
void StopOnFatal(const absl::Status& cause) {
  logger->Log(loyalty::LogLevel::kError, "ledger_fatal",
              {{"error", cause.message()}});
  std::fprintf(stderr, "loyaltyd: fatal: %s; stopping\n",
               std::string(cause.message()).c_str());
  fatal_error = true;
  kill(getpid(), SIGTERM);
}

// Step 1: the server's options from the flags (the logger, the rule file,
// addresses, bounds, transport and auth), or why they are wrong.
absl::StatusOr<loyalty::server::ServerOptions> OptionsFromFlags() {
  auto chosen = LoggerFromFlags();
  if (!chosen.ok()) return chosen.status();
  logger = *chosen;
  auto rules = loyalty::server::LoadRuleFile(absl::GetFlag(FLAGS_rules));
  if (!rules.ok()) return rules.status();
  loyalty::server::ServerOptions options;
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.http_listen_address = absl::GetFlag(FLAGS_http_listen);
  options.rules = *std::move(rules);
  options.time_bounds.max_backdate = absl::GetFlag(FLAGS_max_backdate);
  options.time_bounds.clock_skew = absl::GetFlag(FLAGS_max_clock_skew);
  if (absl::Status flags = ApplySecurityFlags(&options); !flags.ok())
    return flags;
  options.logger = logger;
  options.on_fatal = StopOnFatal;
  return options;
}

// Step 2: the data directory is private to loyaltyd's user (created, or
// tightened with a note on stdout), or why it cannot be used.
absl::Status CheckDataDir(const std::string& data_dir) {
  auto prepared = loyalty::server::PrepareDataDir(data_dir);
  if (!prepared.ok()) return prepared.status();
  if (!prepared->empty()) std::printf("loyaltyd: %s\n", prepared->c_str());
  return absl::OkStatus();
}

// After step 3 (the ledger open and gRPC serving): where, which rules, how
// many members, on stdout and in the log.
void AnnounceStart(loyalty::server::LoyaltyServer& server,
                   const loyalty::server::ServerOptions& options) {
  const auto& rule_set = options.rules->rule_set();
  const auto active = server.operations().rules();
  std::printf(
      "loyaltyd listening on %s (port %d); rules '%s' version %s active; "
      "%lld members; data in %s\n",
      options.listen_address.c_str(), server.port(),
      active->rule_set().program().program_id().c_str(),
      active->version().c_str(),
      static_cast<long long>(server.ledger().Head().member_count()),
      options.data_dir.c_str());
  logger->Log(loyalty::LogLevel::kInfo, "server_started",
              {{"version", loyalty::BuildVersion()},
               {"listen", options.listen_address},
               {"port", server.port()},
               {"rules_version", active->version()},
               {"members", server.ledger().Head().member_count()}});
  if (server.http_port() != 0) {
    std::printf(
        "loyaltyd: HTTP/JSON API on %s://%s (port %d); routes in "
        "/v1/openapi.json; the web console at /\n",
        options.tls.has_value() ? "https" : "http",
        options.http_listen_address.c_str(), server.http_port());
  }
  if (active->version() != rule_set.version()) {
    std::printf(
        "loyaltyd: %s (version %s) is stored already; version %s, loaded "
        "later, stays active (see loyaltyctl rules show)\n",
        rule_set.source_name().c_str(), rule_set.version().c_str(),
        active->version().c_str());
  }
  std::fflush(stdout);
}

// The maintenance run every --upkeep-every, on a thread of its own, until
// Stop (no thread when the interval is 0).
class UpkeepSchedule {
 public:
  UpkeepSchedule(loyalty::program::Operations* operations,
                 absl::Duration every) {
    if (every > absl::ZeroDuration()) {
      thread_ =
          std::thread(ScheduleUpkeep, operations, every, &stop_, &stopping_);
      loyalty::NameThread(thread_, "upkeep-schedule");
    }
  }
  UpkeepSchedule(const UpkeepSchedule&) = delete;
  UpkeepSchedule& operator=(const UpkeepSchedule&) = delete;
  ~UpkeepSchedule() { Stop(); }

  // A run in progress ends at its next page; then the thread is joined.
  void Stop() {
    stopping_ = true;
    if (!stop_.HasBeenNotified()) stop_.Notify();
    if (thread_.joinable()) thread_.join();
  }

 private:
  absl::Notification stop_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// The ops listener --metrics-listen asks for (nullptr: none), or why it
// cannot listen.
absl::StatusOr<std::unique_ptr<loyalty::server::OpsEndpoint>> StartOps(
    const std::string& address) {
  if (address.empty()) return nullptr;
  auto ops = loyalty::server::OpsEndpoint::Start(address);
  if (!ops.ok()) return ops.status();
  std::printf(
      "loyaltyd: /metrics, /healthz and /readyz on %s (metrics port %d)\n",
      address.c_str(), (*ops)->port());
  return ops;
}

// Step 4: waits for SIGINT or SIGTERM and says which came.
void WaitForStopSignal(const sigset_t& signals) {
  int received = 0;
  sigwait(&signals, &received);
  const char* name = received == SIGINT ? "SIGINT" : "SIGTERM";
  std::printf("loyaltyd: %s received, finishing calls in flight\n", name);
  logger->Log(loyalty::LogLevel::kInfo, "server_stopping", {{"signal", name}});
  std::fflush(stdout);
}

}  // namespace

// Parse flags, check the data dir, open the ledger and serve, wait for a
// stop signal, stop.
int main(int argc, char** argv) {
#ifdef NDEBUG
  // Debian builds abseil without NDEBUG, which turns on Mutex deadlock
  // detection: every lock and unlock updates a global graph of lock order
  // (GraphCycles), under a global lock. A release build does without it;
  // debug builds and the tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  // The data dir holds personal data: whatever loyaltyd creates (the dir,
  // RocksDB's files, ADMIN_KEY, backups) is its owner's only.
  umask(loyalty::server::kPrivateUmask);
  loyalty::ParseCommandLine(
      {"loyaltyd",
       "loyaltyd serves the loyalty engine over gRPC.\n"
       "Usage: loyaltyd [--data-dir DIR] [--listen HOST:PORT] [--rules FILE]\n"
       "  [--http-listen HOST:PORT]\n"
       "  (--tls-cert-file F --tls-key-file F [--tls-client-ca-file F] | "
       "--plaintext)\n  [--auth keys|none] [--log-level info] [--log-format "
       "plain]",
       {"loyaltyd_main.cc"}},
      argc, argv);
  const sigset_t signals = StopSignals();  // before any thread starts
  // /metrics, /healthz and /readyz from the first moment (ops_endpoint.h).
  auto ops = StartOps(absl::GetFlag(FLAGS_metrics_listen));
  if (!ops.ok()) return RefuseToStart(ops.status());
  auto refuse = [&ops](const absl::Status& why) {
    if (*ops != nullptr) (*ops)->Refused(why.message());
    return RefuseToStart(why);
  };
  auto options = OptionsFromFlags();
  if (!options.ok()) return refuse(options.status());
  if (absl::Status dir = CheckDataDir(options->data_dir); !dir.ok()) {
    return refuse(dir);
  }
  // Step 3: opens the ledger in the data dir, then serves gRPC.
  auto server = loyalty::server::LoyaltyServer::Start(*options);
  if (!server.ok()) return refuse(server.status());
  if (*ops != nullptr) (*ops)->Attach(server->get());
  AnnounceStart(**server, *options);
  UpkeepSchedule upkeep(&(*server)->operations(),
                        absl::GetFlag(FLAGS_upkeep_every));
  WaitForStopSignal(signals);
  // Step 5: no new maintenance page, then the calls in flight finish.
  upkeep.Stop();
  (*server)->Shutdown(absl::GetFlag(FLAGS_shutdown_timeout));
  ops->reset();  // before the server goes
  std::printf("loyaltyd: stopped\n");
  logger->Log(loyalty::LogLevel::kInfo, "server_stopped", {});
  return fatal_error ? 1 : 0;
}
