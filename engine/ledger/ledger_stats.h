// What the ledger tells an operator about its write path and its RocksDB,
// read by Ledger::Stats() for loyaltyd's /metrics (engine/server/metrics.h).
// Figures only: nothing here names a member or a request.
#ifndef LOYALTY_ENGINE_LEDGER_LEDGER_STATS_H_
#define LOYALTY_ENGINE_LEDGER_LEDGER_STATS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/base/histogram.h"

namespace loyalty::ledger {

// The histograms the syncer records into, once per batch written.
struct WriteInstruments {
  // Operations (sales, enrollments, ...) per WriteBatch.
  Histogram batch_operations{Histogram::PowersOfTwo(1, 1024)};
  // Bytes of each WriteBatch.
  Histogram batch_bytes{Histogram::PowersOfTwo(256, int64_t{64} << 20)};
  // The synced write of one batch (WAL append + fsync), in microseconds.
  Histogram sync_latency_us{Histogram::LatencyBoundsUs()};
};

// One RocksDB figure: its property name (rocksdb.*, or a key of the
// rocksdb.cfstats map) and its value.
struct RocksDbFigure {
  std::string name;
  uint64_t value = 0;
};

struct LedgerStats {
  size_t queue_depth = 0;  // operations submitted, not yet taken by the writer
  size_t max_queue = 0;  // the bound beyond which Submit refuses (LEDGER_BUSY)
  bool failed = false;   // a write could not be made durable (fatal)
  uint64_t written_batches = 0;
  HistogramCounts batch_operations;
  HistogramCounts batch_bytes;
  HistogramCounts sync_latency_us;
  // Write stalls, compactions, memtables and SST sizes, as RocksDB reports
  // them (Ledger::Stats says which); a figure RocksDB cannot give is left out.
  std::vector<RocksDbFigure> rocksdb;
};

}  // namespace loyalty::ledger

#endif  // LOYALTY_ENGINE_LEDGER_LEDGER_STATS_H_
