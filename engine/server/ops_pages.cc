#include "engine/server/ops_pages.h"

#include <unistd.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "engine/base/version.h"
#include "engine/server/exposition.h"
#include "engine/server/server.h"

namespace loyalty::server {

namespace {

// How a RocksDB figure (ledger_stats.cc) is exposed.
struct RocksDbMetric {
  const char* property;
  const char* name;
  const char* type;
  const char* help;
};

constexpr RocksDbMetric kRocksDbMetrics[] = {
    {"rocksdb.is-write-stopped", "loyalty_rocksdb_write_stopped", "gauge",
     "1 while RocksDB stops every write (a write stall): no sale is recorded."},
    {"rocksdb.actual-delayed-write-rate",
     "loyalty_rocksdb_delayed_write_rate_bytes", "gauge",
     "Bytes per second RocksDB lets writes through while it slows them "
     "down; 0 when writes are not delayed."},
    {"rocksdb.cfstats.io_stalls.total_stop",
     "loyalty_rocksdb_write_stops_total", "counter",
     "Write stops RocksDB has made since the ledger opened."},
    {"rocksdb.cfstats.io_stalls.total_slowdown",
     "loyalty_rocksdb_write_slowdowns_total", "counter",
     "Write slowdowns RocksDB has made since the ledger opened."},
    {"rocksdb.cfstats.compaction.Sum.CompCount",
     "loyalty_rocksdb_compactions_total", "counter",
     "Compactions RocksDB has run since the ledger opened."},
    {"rocksdb.num-running-compactions", "loyalty_rocksdb_running_compactions",
     "gauge", "Compactions running now."},
    {"rocksdb.num-running-flushes", "loyalty_rocksdb_running_flushes", "gauge",
     "Memtable flushes running now."},
    {"rocksdb.compaction-pending", "loyalty_rocksdb_compaction_pending",
     "gauge", "1 when at least one compaction is owed."},
    {"rocksdb.estimate-pending-compaction-bytes",
     "loyalty_rocksdb_pending_compaction_bytes", "gauge",
     "Bytes RocksDB estimates compactions must rewrite to catch up."},
    {"rocksdb.cur-size-all-mem-tables", "loyalty_rocksdb_memtable_bytes",
     "gauge", "Bytes held in memtables."},
    {"rocksdb.live-sst-files-size", "loyalty_rocksdb_live_sst_bytes", "gauge",
     "Bytes of the SST files the ledger's current version uses."},
    {"rocksdb.background-errors", "loyalty_rocksdb_background_errors_total",
     "counter", "Errors in RocksDB's flushes and compactions."},
};

void Gauge(Exposition& page, const char* name, const char* help,
           int64_t value) {
  page.Family(name, "gauge", help);
  page.Sample(name, {}, value);
}

void RenderLedger(const ledger::LedgerStats& stats, Exposition& page) {
  Gauge(page, "loyalty_ledger_queue_depth",
        "Operations waiting for the ledger's writer.",
        static_cast<int64_t>(stats.queue_depth));
  Gauge(page, "loyalty_ledger_queue_limit",
        "The queue's bound: beyond it writes are refused (LEDGER_BUSY).",
        static_cast<int64_t>(stats.max_queue));
  Gauge(page, "loyalty_ledger_write_failed",
        "1 once a ledger write could not be made durable (fatal: restart).",
        stats.failed ? 1 : 0);
  page.Family("loyalty_ledger_batches_total", "counter",
              "WriteBatches the ledger has written (or failed to).");
  page.Sample("loyalty_ledger_batches_total", {},
              static_cast<int64_t>(stats.written_batches));
  page.Family("loyalty_ledger_batch_operations", "histogram",
              "Operations per WriteBatch (group commit).");
  page.HistogramSamples("loyalty_ledger_batch_operations", {},
                        stats.batch_operations, 0);
  page.Family("loyalty_ledger_batch_bytes", "histogram",
              "Bytes per WriteBatch.");
  page.HistogramSamples("loyalty_ledger_batch_bytes", {}, stats.batch_bytes, 0);
  page.Family("loyalty_ledger_sync_duration_seconds", "histogram",
              "Time to write one batch with sync=true (WAL append and fsync).");
  page.HistogramSamples("loyalty_ledger_sync_duration_seconds", {},
                        stats.sync_latency_us, 6);
  for (const RocksDbMetric& metric : kRocksDbMetrics) {
    for (const ledger::RocksDbFigure& figure : stats.rocksdb) {
      if (figure.name != metric.property) continue;
      page.Family(metric.name, metric.type, metric.help);
      page.Sample(metric.name, {}, static_cast<int64_t>(figure.value));
    }
  }
}

void RenderProgram(const MetricsSources& sources, Exposition& page) {
  page.Family("loyalty_build_info", "gauge", "The build's version (always 1).");
  page.Sample("loyalty_build_info", {{"version", sources.build_version}}, 1);
  Gauge(page, "loyalty_ready", "1 while loyaltyd serves (/readyz answers 200).",
        sources.health.ready() ? 1 : 0);
  Gauge(page, "loyalty_members", "Members enrolled.", sources.members);
  if (!sources.rules_version.empty()) {
    page.Family("loyalty_rules_active_info", "gauge",
                "The rule set active now, by program and version (always 1).");
    page.Sample(
        "loyalty_rules_active_info",
        {{"program", sources.program_id}, {"version", sources.rules_version}},
        1);
  }
  if (auto rss = ResidentMemoryBytes()) {
    Gauge(page, "process_resident_memory_bytes",
          "Resident memory size in bytes.", *rss);
  }
}

}  // namespace

MetricsSources SourcesOf(LoyaltyServer& server) {
  MetricsSources sources;
  sources.rpcs = &server.rpc_metrics();
  sources.ledger = server.ledger().Stats();
  sources.members = server.ledger().Head().member_count();
  const auto active = server.operations().rules();
  sources.program_id = active->rule_set().program().program_id();
  sources.rules_version = active->version();
  sources.health = server.health().View();
  sources.build_version = BuildVersion();
  return sources;
}

HttpPage MetricsPage(const MetricsSources& sources) {
  Exposition page;
  RenderProgram(sources, page);
  if (sources.ledger.has_value()) RenderLedger(*sources.ledger, page);
  if (sources.rpcs != nullptr) sources.rpcs->Render(page);
  return HttpPage{200, kExpositionContentType, page.text()};
}

HttpPage HealthzPage(const HealthView& health) {
  if (health.live())
    return HttpPage{200, "text/plain; charset=utf-8", "live\n"};
  return HttpPage{
      503, "text/plain; charset=utf-8",
      absl::StrCat(HealthStateName(health.state), ": ", health.reason, "\n")};
}

HttpPage ReadyzPage(const HealthView& health) {
  if (health.ready())
    return HttpPage{200, "text/plain; charset=utf-8", "ready\n"};
  std::string body = HealthStateName(health.state);
  if (!health.reason.empty()) absl::StrAppend(&body, ": ", health.reason);
  return HttpPage{503, "text/plain; charset=utf-8", body + "\n"};
}

std::optional<int64_t> ResidentMemoryBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size_pages = 0;
  int64_t resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return std::nullopt;
  return resident_pages * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace loyalty::server
