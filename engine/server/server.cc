#include "engine/server/server.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "engine/base/status_macros.h"
#include "engine/evaluator/rule_file.h"
#include "engine/server/audit_service.h"
#include "engine/server/services.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "loyalty/v1/audit.grpc.pb.h"
#include "loyalty/v1/program.grpc.pb.h"

namespace loyalty::server {

absl::StatusOr<std::shared_ptr<const evaluator::CompiledRules>> LoadRuleFile(
    const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    return absl::NotFoundError(absl::StrCat("cannot read rule file '", path, "'"));
  }
  std::stringstream text;
  text << file.rdbuf();
  ASSIGN_OR_RETURN(loyalty::v1::RuleSet rule_set,
                   evaluator::ParseRuleFile(path, text.str()));
  return evaluator::CompiledRules::Compile(std::move(rule_set));
}

absl::StatusOr<std::unique_ptr<LoyaltyServer>> LoyaltyServer::Start(
    ServerOptions options) {
  if (options.rules == nullptr) {
    return absl::InvalidArgumentError("a rule set is needed to start");
  }
  std::unique_ptr<LoyaltyServer> server(new LoyaltyServer());
  ledger::LedgerOptions ledger_options;
  ledger_options.data_dir = options.data_dir;
  ledger_options.clock = options.clock;
  ledger_options.on_fatal = options.on_fatal;
  ASSIGN_OR_RETURN(server->ledger_, ledger::Ledger::Open(ledger_options));
  server->operations_ = std::make_unique<program::Operations>(
      server->ledger_.get(), options.rules, options.clock);
  server->checkout_ =
      std::make_unique<CheckoutService>(server->operations_.get());
  server->members_ = std::make_unique<MembersService>(server->operations_.get());
  server->program_ = std::make_unique<ProgramService>(server->operations_.get());
  server->audit_ = std::make_unique<AuditService>(
      server->ledger_.get(), server->operations_.get(), options.clock);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen_address,
                           grpc::InsecureServerCredentials(), &server->port_);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             30 * 1000);
  for (const auto& service : {server->checkout_.get(), server->members_.get(),
                              server->program_.get(), server->audit_.get()}) {
    builder.RegisterService(service);
  }
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address));
  }
  return server;
}

void LoyaltyServer::Shutdown(absl::Duration deadline) {
  if (shut_down_) return;
  shut_down_ = true;
  if (auto* health = server_->GetHealthCheckService()) {
    health->SetServingStatus(false);
  }
  server_->Shutdown(absl::ToChronoTime(absl::Now() + deadline));
  server_->Wait();
  ledger_->Stop();
}

LoyaltyServer::~LoyaltyServer() {
  if (server_ != nullptr) Shutdown(absl::Seconds(5));
}

}  // namespace loyalty::server
