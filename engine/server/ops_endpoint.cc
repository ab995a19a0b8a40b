#include "engine/server/ops_endpoint.h"

#include "engine/base/version.h"

namespace loyalty::server {

absl::StatusOr<std::unique_ptr<OpsEndpoint>> OpsEndpoint::Start(
    const std::string& address) {
  std::unique_ptr<OpsEndpoint> endpoint(new OpsEndpoint());
  OpsEndpoint* raw = endpoint.get();
  OpsPages pages;
  pages.metrics = [raw] { return raw->Metrics(); };
  pages.healthz = [raw] { return HealthzPage(raw->View()); };
  pages.readyz = [raw] { return ReadyzPage(raw->View()); };
  auto listener = OpsListener::Start(address, std::move(pages));
  if (!listener.ok()) return listener.status();
  endpoint->listener_ = *std::move(listener);
  return endpoint;
}

OpsEndpoint::~OpsEndpoint() { listener_.reset(); }

void OpsEndpoint::Attach(LoyaltyServer* server) {
  absl::MutexLock lock(&mu_);
  server_ = server;
}

void OpsEndpoint::Detach() {
  absl::MutexLock lock(&mu_);
  server_ = nullptr;
}

void OpsEndpoint::Refused(absl::string_view why) { before_start_.Refused(why); }

HttpPage OpsEndpoint::Metrics() {
  // Under the lock, so that Detach waits for a page being built.
  absl::MutexLock lock(&mu_);
  if (server_ != nullptr) return MetricsPage(SourcesOf(*server_));
  MetricsSources sources;
  sources.health = before_start_.View();
  sources.build_version = BuildVersion();
  return MetricsPage(sources);
}

HealthView OpsEndpoint::View() {
  absl::MutexLock lock(&mu_);
  return server_ != nullptr ? server_->health().View() : before_start_.View();
}

}  // namespace loyalty::server
