// Whether loyaltyd is alive and ready, as the ledger and the start decide,
// told the same way to gRPC's health service (grpc.health.v1, the whole
// server) and to the HTTP /healthz (live) and /readyz (ready) pages:
//
//   state      live  ready  gRPC health   when
//   starting   yes   no     (no server)   opening the ledger, loading rules
//   refused    yes   no     (no server)   the start was refused (a rule file
//                                          or a data dir); loyaltyd exits 2
//   serving    yes   yes    SERVING       started
//   stopping   yes   no     NOT_SERVING   SIGTERM / Shutdown: calls finish
//   fatal      no    no     NOT_SERVING   a ledger write could not be made
//                                          durable: nothing more is written
//                                          until a restart recovers the ledger
//
// "fatal" is final; "stopping" follows only "serving". Thread-safe.
#ifndef LOYALTY_ENGINE_SERVER_HEALTH_H_
#define LOYALTY_ENGINE_SERVER_HEALTH_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/health_check_service_interface.h"

namespace loyalty::server {

enum class HealthState { kStarting, kRefused, kServing, kStopping, kFatal };

// What a health page shows: the state and why.
struct HealthView {
  HealthState state = HealthState::kStarting;
  std::string reason;  // why refused or fatal; empty otherwise
  bool live() const { return state != HealthState::kFatal; }
  bool ready() const { return state == HealthState::kServing; }
};

const char* HealthStateName(HealthState state);

class Health {
 public:
  Health() = default;
  Health(const Health&) = delete;
  Health& operator=(const Health&) = delete;

  // gRPC's health service follows from now on (nullptr: none any more).
  void AttachGrpc(grpc::HealthCheckServiceInterface* grpc_health);

  void Serving();
  // The start was refused: `why` says what (no personal data: a file:line,
  // a data dir's problem).
  void Refused(absl::string_view why);
  void Stopping();
  // A ledger write failed: `why` is the storage's error.
  void Fatal(absl::string_view why);

  HealthView View() const;

 private:
  // Moves to `state` unless the state is final (fatal), and tells gRPC.
  void Move(HealthState state, absl::string_view reason);

  mutable absl::Mutex mu_;
  HealthView view_ ABSL_GUARDED_BY(mu_);
  grpc::HealthCheckServiceInterface* grpc_health_ ABSL_GUARDED_BY(mu_) =
      nullptr;
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_HEALTH_H_
