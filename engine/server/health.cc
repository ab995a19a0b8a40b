#include "engine/server/health.h"

namespace loyalty::server {

const char* HealthStateName(HealthState state) {
  switch (state) {
    case HealthState::kStarting:
      return "starting";
    case HealthState::kRefused:
      return "refused";
    case HealthState::kServing:
      return "serving";
    case HealthState::kStopping:
      return "stopping";
    case HealthState::kFatal:
      return "fatal";
  }
  return "unknown";
}

void Health::AttachGrpc(grpc::HealthCheckServiceInterface* grpc_health) {
  absl::MutexLock lock(&mu_);
  grpc_health_ = grpc_health;
  if (grpc_health_ != nullptr) grpc_health_->SetServingStatus(view_.ready());
}

void Health::Serving() { Move(HealthState::kServing, ""); }

void Health::Refused(absl::string_view why) {
  Move(HealthState::kRefused, why);
}

void Health::Stopping() { Move(HealthState::kStopping, ""); }

void Health::Fatal(absl::string_view why) { Move(HealthState::kFatal, why); }

HealthView Health::View() const {
  absl::MutexLock lock(&mu_);
  return view_;
}

void Health::Move(HealthState state, absl::string_view reason) {
  absl::MutexLock lock(&mu_);
  if (view_.state == HealthState::kFatal) return;
  view_.state = state;
  view_.reason = std::string(reason);
  if (grpc_health_ != nullptr) grpc_health_->SetServingStatus(view_.ready());
}

}  // namespace loyalty::server
