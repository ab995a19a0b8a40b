// loyaltyd's /metrics, /healthz and /readyz (ops_pages.h) on its own HTTP
// listener (ops_listener.h), up from the first moment of a start: while the
// ledger opens and the rules load, /healthz is live and /readyz answers 503
// "starting"; a start that is refused shows "refused" with its reason until
// loyaltyd exits (code 2); once the server runs, the pages show its figures
// and its health (health.h). Thread-safe.
#ifndef LOYALTY_ENGINE_SERVER_OPS_ENDPOINT_H_
#define LOYALTY_ENGINE_SERVER_OPS_ENDPOINT_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/server/health.h"
#include "engine/server/ops_listener.h"
#include "engine/server/server.h"

namespace loyalty::server {

class OpsEndpoint {
 public:
  // Listens on `address` (host:port) at once, in state "starting".
  static absl::StatusOr<std::unique_ptr<OpsEndpoint>> Start(
      const std::string& address);
  OpsEndpoint(const OpsEndpoint&) = delete;
  OpsEndpoint& operator=(const OpsEndpoint&) = delete;
  // Stops the listener; call it (or Detach) before the server is destroyed.
  ~OpsEndpoint();

  // The pages show `server` from now on; it must outlive this object or a
  // call to Detach.
  void Attach(LoyaltyServer* server);
  void Detach();
  // The start was refused: /readyz says why (no server comes).
  void Refused(absl::string_view why);

  int port() const { return listener_->port(); }

 private:
  OpsEndpoint() = default;
  HttpPage Metrics();
  HealthView View();

  absl::Mutex mu_;
  LoyaltyServer* server_ ABSL_GUARDED_BY(mu_) = nullptr;
  Health before_start_;  // starting, then refused or unused
  std::unique_ptr<OpsListener> listener_;
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_OPS_ENDPOINT_H_
