// LoyaltyServer: the ledger, the operations and the gRPC server together —
// what loyaltyd runs and what the integration tests start in-process.
#ifndef LOYALTY_ENGINE_SERVER_SERVER_H_
#define LOYALTY_ENGINE_SERVER_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"
#include "engine/evaluator/evaluator.h"
#include "engine/ledger/ledger.h"
#include "engine/program/operations.h"
#include "grpcpp/server.h"

namespace loyalty::server {

// Largest request or response message, in bytes.
inline constexpr int kMaxMessageBytes = 4 * 1024 * 1024;

struct ServerOptions {
  std::string data_dir;
  // host:port; port 0 picks a free one (see LoyaltyServer::port()).
  std::string listen_address = "127.0.0.1:50051";
  std::shared_ptr<const evaluator::CompiledRules> rules;
  Clock* clock = &SystemClock();  // not owned
  // Called once if the ledger cannot make a write durable.
  std::function<void(const absl::Status&)> on_fatal;
};

class LoyaltyServer {
 public:
  // Opens the ledger and starts serving. Plain text: TLS comes with the
  // security work; bind to loopback until then.
  static absl::StatusOr<std::unique_ptr<LoyaltyServer>> Start(
      ServerOptions options);
  LoyaltyServer(const LoyaltyServer&) = delete;
  LoyaltyServer& operator=(const LoyaltyServer&) = delete;
  ~LoyaltyServer();

  int port() const { return port_; }
  ledger::Ledger& ledger() { return *ledger_; }
  program::Operations& operations() { return *operations_; }

  // Health NOT_SERVING, then stops taking calls and lets in-flight ones
  // finish until `deadline`, then drains the ledger's queue.
  void Shutdown(absl::Duration deadline);

 private:
  LoyaltyServer() = default;

  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<program::Operations> operations_;
  std::unique_ptr<grpc::Service> checkout_;
  std::unique_ptr<grpc::Service> members_;
  std::unique_ptr<grpc::Service> program_;
  std::unique_ptr<grpc::Service> audit_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

// Reads a rule file from disk and compiles it; errors name file:line.
absl::StatusOr<std::shared_ptr<const evaluator::CompiledRules>> LoadRuleFile(
    const std::string& path);

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_SERVER_H_
