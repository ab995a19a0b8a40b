// LoyaltyServer: the ledger, the operations, the gRPC server and the
// HTTP/JSON door together — what loyaltyd runs and what the integration
// tests start in-process.
#ifndef LOYALTY_ENGINE_SERVER_SERVER_H_
#define LOYALTY_ENGINE_SERVER_SERVER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"
#include "engine/base/log.h"
#include "engine/evaluator/evaluator.h"
#include "engine/ledger/ledger.h"
#include "engine/program/operations.h"
#include "engine/server/auth.h"
#include "engine/server/calls_in_flight.h"
#include "engine/server/event_hub.h"
#include "engine/server/health.h"
#include "engine/server/http_options.h"
#include "engine/server/reader_pool.h"
#include "engine/server/rpc_metrics.h"
#include "grpcpp/server.h"

namespace rocksdb {
class Env;
}

namespace loyalty::server {

// Largest request or response message, in bytes.
inline constexpr int kMaxMessageBytes = 4 * 1024 * 1024;

// PEM files for TLS on the gRPC port.
struct TlsFiles {
  std::string cert_file;
  std::string key_file;
  // When set, clients must present a certificate signed by this CA (mTLS).
  std::string client_ca_file;
};

struct ServerOptions {
  std::string data_dir;
  // host:port; port 0 picks a free one (see LoyaltyServer::port()).
  std::string listen_address = "127.0.0.1:50051";
  std::shared_ptr<const evaluator::CompiledRules> rules;
  Clock* clock = &SystemClock();  // not owned
  // Called once if the ledger cannot make a write durable.
  std::function<void(const absl::Status&)> on_fatal;
  // TLS on the port; without it the server speaks plain text, which
  // loyaltyd allows only on loopback and only when asked to.
  std::optional<TlsFiles> tls;
  // Callers must send an API key (auth.h). Off only for local development.
  bool require_api_keys = false;
  // With API keys on and no admin key stored yet, the server creates one
  // and writes it to this file (mode 0600). Empty: <data_dir>/ADMIN_KEY.
  std::string admin_key_file;
  // Where the server logs rule loads, API keys, backups, maintenance runs,
  // refusals and errors (call_log.h). Not owned; the default writes nothing.
  const Logger* logger = &Logger::Discard();
  // How far a caller's purchase_time or enroll_time may lie from the clock
  // (engine/program/time_bounds.h); max_backdate at most
  // program::kMaxBackdateHorizon.
  program::TimeBounds time_bounds;
  // The threads that read history pages, export pages and metrics, and how
  // many such reads may run or wait at once (reader_pool.h).
  ReaderPoolOptions readers;
  // The file system under the ledger; nullptr is the real one. Tests pass
  // one that injects I/O errors. Not owned; must outlive the server.
  rocksdb::Env* env = nullptr;
  // host:port of the HTTP/JSON door (http_api.h), HTTPS with `tls` when set;
  // empty: no HTTP listener. Port 0 picks a free one (http_port()).
  std::string http_listen_address;
  HttpOptions http;
};

class AuditService;
class EventsService;
class CallPath;
class HttpApi;
class HttpDoor;
class MaintenanceRuns;
class ProgramService;
class RpcHandlers;
class SimulationRuns;

class LoyaltyServer {
 public:
  // Opens the ledger, loads the API keys and starts serving.
  static absl::StatusOr<std::unique_ptr<LoyaltyServer>> Start(
      ServerOptions options);
  LoyaltyServer(const LoyaltyServer&) = delete;
  LoyaltyServer& operator=(const LoyaltyServer&) = delete;
  ~LoyaltyServer();

  int port() const { return port_; }
  // The HTTP listener's port; 0 when there is none.
  int http_port() const;
  // The admin key written at first start, when this start created one.
  const std::string& created_admin_key() const { return created_admin_key_; }
  ledger::Ledger& ledger() { return *ledger_; }
  program::Operations& operations() { return *operations_; }
  // Calls by RPC and code, and their latencies (for /metrics).
  const RpcMetrics& rpc_metrics() const { return rpc_metrics_; }
  // Serving, stopping or fatal (health.h); gRPC's health service follows it.
  Health& health() { return health_; }
  // The event streams' hub (event_hub.h): streams open, page bytes held.
  const EventHub& events_hub() const { return events_hub_; }

  // Health NOT_SERVING; exports, event streams and a maintenance run in
  // progress end at their next page (UNAVAILABLE); no new call is taken, and
  // the calls in flight finish until `deadline`, when the rest are cancelled.
  // Once none is left, open client connections are closed (idle ones would
  // otherwise hold gRPC's shutdown until the deadline), then the ledger's queue
  // is drained.
  void Shutdown(absl::Duration deadline);

 private:
  LoyaltyServer() = default;

  // Opens the ledger (an older one brought up to today's format) with its
  // fatal, progress and durable-entry hooks.
  absl::Status OpenLedger(const ServerOptions& options);
  // The gRPC server on options.listen_address with every service.
  absl::Status StartGrpc(const ServerOptions& options);
  absl::Status LoadKeys(const ServerOptions& options);
  // The call path, its handlers and the gRPC services onto it.
  void MakeServices(const ServerOptions& options);
  // During Shutdown, until `stopped`: closes client connections once no
  // call is in flight.
  void CloseConnectionsWhenQuiet(const absl::Notification& stopped);
  // The HTTP/JSON door onto the same path, when options ask for one, and
  // the web console (console_assets.h) on it.
  absl::Status StartHttp(const ServerOptions& options);
  void MountOpsPages(HttpDoor* door);

  // Declared first: destroyed after the ledger, whose last writes may still
  // report a fatal failure, and after the call path that records calls.
  RpcMetrics rpc_metrics_;
  Health health_;
  // Told of every durable head by the ledger; outlives it and the streams.
  EventHub events_hub_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<program::Operations> operations_;
  KeyRing keys_;
  std::unique_ptr<Authorizer> authorizer_;
  std::string created_admin_key_;
  // Every call's work and its one path (call_path.h); the services below are
  // the gRPC door onto them. Destroyed after the server (declared before).
  std::unique_ptr<RpcHandlers> handlers_;
  std::unique_ptr<CallPath> path_;
  // Simulations run on the reader pool: destroyed after it (declared
  // before), so that no task of theirs outlives them.
  std::unique_ptr<SimulationRuns> simulations_;
  // Threads for long reads; stopped (its queue run) after the services,
  // before the handlers its tasks use.
  std::unique_ptr<ReaderPool> readers_;
  std::unique_ptr<grpc::Service> checkout_;
  std::unique_ptr<grpc::Service> members_;
  std::unique_ptr<MaintenanceRuns> runs_;  // outlives the doors' streams
  std::unique_ptr<ProgramService> program_;
  std::unique_ptr<AuditService> audit_;
  std::unique_ptr<EventsService> events_;
  CallsInFlight calls_;  // outlives server_
  std::unique_ptr<grpc::Server> server_;
  // The HTTP door and its API, stopped in Shutdown and destroyed first.
  std::unique_ptr<HttpApi> http_api_;
  std::unique_ptr<HttpDoor> http_;
  int port_ = 0;
  bool shut_down_ = false;
};

// Reads a rule file from disk and compiles it; errors name file:line.
absl::StatusOr<std::shared_ptr<const evaluator::CompiledRules>> LoadRuleFile(
    const std::string& path);

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_SERVER_H_
