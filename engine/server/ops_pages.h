// The pages an operator's tools read over HTTP: /metrics (Prometheus text
// format, exposition.h), /healthz (live) and /readyz (ready) (health.h).
// Built from plain figures, independent of any listener: ops_listener.h
// serves them on a port of their own today, and the HTTP/JSON listener can
// mount the same functions later.
#ifndef LOYALTY_ENGINE_SERVER_OPS_PAGES_H_
#define LOYALTY_ENGINE_SERVER_OPS_PAGES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "engine/ledger/ledger_stats.h"
#include "engine/server/health.h"
#include "engine/server/rpc_metrics.h"

namespace loyalty::server {

class LoyaltyServer;

// One HTTP answer.
struct HttpPage {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Everything /metrics shows. Figures only: no member, key or request.
struct MetricsSources {
  const RpcMetrics* rpcs = nullptr;  // not owned; none before the start
  std::optional<ledger::LedgerStats> ledger;  // none before the ledger opens
  int64_t members = 0;
  std::string program_id;     // of the rule set active now
  std::string rules_version;  // "" before the start
  HealthView health;
  std::string build_version;
};

// The figures of a running server.
MetricsSources SourcesOf(LoyaltyServer& server);

// The /metrics page (its families are listed in README, "Metrics").
HttpPage MetricsPage(const MetricsSources& sources);
// 200 "live" unless a write was fatal (503: restart the process).
HttpPage HealthzPage(const HealthView& health);
// 200 "ready" while serving, else 503 with the state and its reason.
HttpPage ReadyzPage(const HealthView& health);

// The process's resident memory (/proc/self/statm); nullopt where it cannot
// be read.
std::optional<int64_t> ResidentMemoryBytes();

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_OPS_PAGES_H_
