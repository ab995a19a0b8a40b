#include "engine/server/server.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "engine/analytics/activity.h"
#include "engine/base/status_macros.h"
#include "engine/base/thread_name.h"
#include "engine/evaluator/rule_file.h"
#include "engine/server/audit_service.h"
#include "engine/server/call_log.h"
#include "engine/server/call_path.h"
#include "engine/server/console_assets.h"
#include "engine/server/events_service.h"
#include "engine/server/handlers.h"
#include "engine/server/http_api.h"
#include "engine/server/http_door.h"
#include "engine/server/maintenance_runs.h"
#include "engine/server/ops_pages.h"
#include "engine/server/services.h"
#include "grpc/grpc.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "loyalty/v1/audit.grpc.pb.h"
#include "loyalty/v1/program.grpc.pb.h"

namespace loyalty::server {

namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     absl::string_view what) {
  std::ifstream file(path);
  if (!file) {
    return absl::NotFoundError(absl::StrCat("cannot read ", what, " '", path, "'"));
  }
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(
    const std::optional<TlsFiles>& tls) {
  if (!tls.has_value()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl;
  ASSIGN_OR_RETURN(std::string cert, ReadFile(tls->cert_file, "TLS certificate"));
  ASSIGN_OR_RETURN(std::string key, ReadFile(tls->key_file, "TLS key"));
  ssl.pem_key_cert_pairs.push_back({key, cert});
  if (!tls->client_ca_file.empty()) {
    ASSIGN_OR_RETURN(ssl.pem_root_certs,
                     ReadFile(tls->client_ca_file, "client CA"));
    ssl.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

// Writes `text` to a file that only its owner can read, from its creation on.
absl::Status WriteSecret(const std::string& path, const std::string& text) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot write '", path, "'"));
  }
  const std::string line = text + "\n";
  const bool written =
      fchmod(fd, 0600) == 0 &&
      write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
      fsync(fd) == 0;
  const bool closed = close(fd) == 0;
  if (!written || !closed) {
    return absl::UnavailableError(absl::StrCat("cannot write '", path, "'"));
  }
  return absl::OkStatus();
}

// How often a stop looks again for the end of the calls in flight, and how
// long none must have been in flight before it closes the connections, and
// how long a stop waits for the contexts of the last calls to go.
constexpr absl::Duration kStopPoll = absl::Milliseconds(10);
constexpr absl::Duration kQuietBeforeClose = absl::Milliseconds(100);
constexpr absl::Duration kLastContextsGone = absl::Seconds(1);

// The ledger's on_fatal: health turns NOT_SERVING (health.h) before
// `on_fatal`, the process's own, hears of the failure.
std::function<void(const absl::Status&)> FatalToHealth(
    Health* health, std::function<void(const absl::Status&)> on_fatal) {
  return [health, on_fatal = std::move(on_fatal)](const absl::Status& cause) {
    health->Fatal(cause.message());
    if (on_fatal) on_fatal(cause);
  };
}

}  // namespace

absl::StatusOr<std::shared_ptr<const evaluator::CompiledRules>> LoadRuleFile(
    const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path, "rule file"));
  ASSIGN_OR_RETURN(loyalty::v1::RuleSet rule_set,
                   evaluator::ParseRuleFile(path, text));
  return evaluator::CompiledRules::Compile(std::move(rule_set));
}

absl::Status LoyaltyServer::LoadKeys(const ServerOptions& options) {
  ASSIGN_OR_RETURN(auto records, operations_->ApiKeyRecords());
  bool has_admin = false;
  for (const auto& record : records) {
    keys_.Put(record);
    has_admin |= record.role() == loyalty::v1::ROLE_ADMIN && !record.revoked();
  }
  if (!options.require_api_keys || has_admin) return absl::OkStatus();
  NewApiKey admin = GenerateApiKey(loyalty::v1::ROLE_ADMIN, "first admin", "");
  // The file first: a key stored but never handed out would lock admins out.
  const std::string path = options.admin_key_file.empty()
                               ? options.data_dir + "/ADMIN_KEY"
                               : options.admin_key_file;
  RETURN_IF_ERROR(WriteSecret(path, admin.api_key));
  loyalty::v1::CreateApiKeyRequest request;
  request.set_name(admin.record.name());
  request.set_role(loyalty::v1::ROLE_ADMIN);
  absl::Notification stored;
  absl::Status status;
  operations_->CreateApiKeyRecord(
      absl::StrCat("first-admin-key-", admin.record.key_id()), request,
      admin.record, [&](absl::StatusOr<loyalty::v1::ApiKeyRecord> record) {
        if (record.ok()) keys_.Put(*record);
        status = record.status();
        stored.Notify();
      });
  stored.WaitForNotification();
  RETURN_IF_ERROR(status);
  CallLog(options.logger, Rpc::kCreateApiKey, "", "")
      .Event(LogLevel::kInfo, "api_key_created",
             {{"new_key_id", admin.record.key_id()}, {"role", "ROLE_ADMIN"}, {"file", path}});
  created_admin_key_ = admin.api_key;
  return absl::OkStatus();
}

void LoyaltyServer::MakeServices(const ServerOptions& options) {
  readers_ = std::make_unique<ReaderPool>(options.readers);
  handlers_ = std::make_unique<RpcHandlers>(
      operations_.get(), ledger_.get(), &keys_, options.clock, readers_.get());
  path_ = std::make_unique<CallPath>(authorizer_.get(), options.logger,
                                     handlers_.get(), &rpc_metrics_);
  checkout_ = std::make_unique<CheckoutService>(path_.get());
  members_ = std::make_unique<MembersService>(path_.get());
  runs_ = std::make_unique<MaintenanceRuns>(operations_.get());
  simulations_ =
      std::make_unique<SimulationRuns>(operations_.get(), readers_.get());
  program_ = std::make_unique<ProgramService>(path_.get(), runs_.get(),
                                              simulations_.get());
  audit_ = std::make_unique<AuditService>(path_.get(), ledger_.get(),
                                          readers_.get());
  events_ = std::make_unique<EventsService>(
      EventsParts{path_.get(), ledger_.get(), operations_.get(), readers_.get(),
                  &events_hub_});
}

absl::Status LoyaltyServer::OpenLedger(const ServerOptions& options) {
  ledger::LedgerOptions ledger_options;
  ledger_options.data_dir = options.data_dir;
  ledger_options.clock = options.clock;
  ledger_options.env = options.env;
  ledger_options.on_fatal = FatalToHealth(&health_, options.on_fatal);
  ledger_options.on_progress = [logger =
                                    options.logger](absl::string_view line) {
    logger->Log(LogLevel::kInfo, "ledger_open", {{"step", line}});
  };
  EventHub* hub = &events_hub_;
  ledger_options.on_durable = [hub](int64_t sequence) {
    hub->Published(sequence);
  };
  ASSIGN_OR_RETURN(ledger_, ledger::Ledger::Open(ledger_options));
  hub->Published(ledger_->Head().sequence());
  // Once per ledger written before members' month records existed.
  return analytics::MigrateMemberMonths(*ledger_);
}

absl::Status LoyaltyServer::StartGrpc(const ServerOptions& options) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  ASSIGN_OR_RETURN(auto credentials, Credentials(options.tls));
  builder.AddListeningPort(options.listen_address, credentials, &port_);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             30 * 1000);
  for (grpc::Service* service : {checkout_.get(), members_.get(),
                                 static_cast<grpc::Service*>(program_.get()),
                                 static_cast<grpc::Service*>(audit_.get()),
                                 static_cast<grpc::Service*>(events_.get())}) {
    builder.RegisterService(service);
  }
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(calls_.NewFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LoyaltyServer>> LoyaltyServer::Start(
    ServerOptions options) {
  if (options.rules == nullptr) {
    return absl::InvalidArgumentError("a rule set is needed to start");
  }
  const program::TimeBounds& bounds = options.time_bounds;
  if (bounds.max_backdate < absl::ZeroDuration() ||
      bounds.max_backdate > program::kMaxBackdateHorizon ||
      bounds.clock_skew < absl::ZeroDuration() ||
      bounds.clock_skew > absl::Hours(1)) {
    return absl::InvalidArgumentError(
        "--max-backdate must be 0 to 8784h (366 days), --max-clock-skew 0 to "
        "1h");
  }
  std::unique_ptr<LoyaltyServer> server(new LoyaltyServer());
  RETURN_IF_ERROR(server->OpenLedger(options));
  server->operations_ = std::make_unique<program::Operations>(
      server->ledger_.get(), options.rules, options.clock, options.time_bounds);
  RETURN_IF_ERROR(server->operations_->LoadStoredRules());
  server->authorizer_ =
      std::make_unique<Authorizer>(&server->keys_, options.require_api_keys);
  RETURN_IF_ERROR(server->LoadKeys(options));
  server->MakeServices(options);
  RETURN_IF_ERROR(server->StartGrpc(options));
  server->health_.AttachGrpc(server->server_->GetHealthCheckService());
  RETURN_IF_ERROR(server->StartHttp(options));
  server->health_.Serving();  // unless a write has failed already
  return server;
}

// /metrics, /healthz and /readyz (ops_pages.h) on the HTTP listener too,
// without an API key, as on --metrics-listen: figures and states only.
void LoyaltyServer::MountOpsPages(HttpDoor* door) {
  const auto serve = [](const HttpPage& page, httplib::Response& response) {
    response.status = page.status;
    response.set_content(page.body, page.content_type);
  };
  door->Mount("GET", "/metrics",
              [this, serve](const httplib::Request&, const PathParams&,
                            httplib::Response& response) {
                serve(MetricsPage(SourcesOf(*this)), response);
              });
  door->Mount("GET", "/healthz",
              [this, serve](const httplib::Request&, const PathParams&,
                            httplib::Response& response) {
                serve(HealthzPage(health_.View()), response);
              });
  door->Mount("GET", "/readyz",
              [this, serve](const httplib::Request&, const PathParams&,
                            httplib::Response& response) {
                serve(ReadyzPage(health_.View()), response);
              });
}

absl::Status LoyaltyServer::StartHttp(const ServerOptions& options) {
  if (options.http_listen_address.empty()) return absl::OkStatus();
  http_api_ = std::make_unique<HttpApi>(
      HttpApiParts{path_.get(), ledger_.get(), readers_.get(), runs_.get(),
                   simulations_.get(), options.http.call_timeout});
  http_ = std::make_unique<HttpDoor>(options.http);
  http_api_->MountOn(http_.get());
  MountConsole(http_.get(), authorizer_.get());
  MountOpsPages(http_.get());
  return http_->Listen(options.http_listen_address, options.tls);
}

int LoyaltyServer::http_port() const {
  return http_ == nullptr ? 0 : http_->port();
}

void LoyaltyServer::Shutdown(absl::Duration deadline) {
  if (shut_down_) return;
  shut_down_ = true;
  health_.Stopping();
  program_->Stop();
  audit_->Stop();
  events_hub_.Stop();
  // The HTTP door first: its requests in flight are answered (the ledger
  // still runs), its idle connections closed.
  if (http_api_ != nullptr) http_api_->Stop();
  if (http_ != nullptr) http_->Stop();
  const absl::Time until = absl::Now() + deadline;
  absl::Notification stopped;
  std::thread stopper([this, until, &stopped] {
    server_->Shutdown(absl::ToChronoTime(until));
    stopped.Notify();
  });
  NameThread(stopper, "server-stop");
  CloseConnectionsWhenQuiet(stopped);
  stopper.join();
  server_->Wait();
  // gRPC counts a call as ended once its reactor is done, and may still be
  // destroying the call's context (and with it our in-flight counter) on
  // its own thread; the services and the counter outlive that.
  calls_.AwaitNone(kLastContextsGone);
  ledger_->Stop();
  health_.AttachGrpc(nullptr);
}

void LoyaltyServer::CloseConnectionsWhenQuiet(const absl::Notification& stopped) {
  // gRPC's Shutdown returns only once every client connection is closed, and
  // a client may keep an idle one open for long (gRPC holds such a stop about
  // 5 s). Once no call has been in flight for kQuietBeforeClose, the
  // connections are closed. The quiet time covers a call that gRPC took just
  // before its Shutdown began but has not handed to a service yet: closing
  // would cancel it. grpc_server_cancel_all_calls is the C core's own call
  // (what Shutdown does at its deadline); gRPC 1.51's C++ API has no other
  // way to close idle connections.
  absl::Time quiet_since = absl::InfiniteFuture();
  while (!stopped.WaitForNotificationWithTimeout(kStopPoll)) {
    const absl::Time now = absl::Now();
    if (!calls_.AwaitNone(absl::ZeroDuration())) {
      quiet_since = absl::InfiniteFuture();
    } else if (quiet_since == absl::InfiniteFuture()) {
      quiet_since = now;
    } else if (now - quiet_since >= kQuietBeforeClose) {
      grpc_server_cancel_all_calls(server_->c_server());
    }
  }
}

LoyaltyServer::~LoyaltyServer() {
  if (server_ != nullptr) Shutdown(absl::Seconds(5));
}

}  // namespace loyalty::server
