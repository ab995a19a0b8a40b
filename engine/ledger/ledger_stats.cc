// Ledger::Stats: the write path's figures and RocksDB's.
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "engine/ledger/ledger.h"

namespace loyalty::ledger {

namespace {

// Integer properties of RocksDB an operator watches: write stalls (a stopped
// or delayed write holds every sale), compactions and flushes running or
// owed, memtable and SST sizes, background errors.
constexpr const char* kIntProperties[] = {
    "rocksdb.is-write-stopped",
    "rocksdb.actual-delayed-write-rate",
    "rocksdb.num-running-compactions",
    "rocksdb.num-running-flushes",
    "rocksdb.compaction-pending",
    "rocksdb.estimate-pending-compaction-bytes",
    "rocksdb.cur-size-all-mem-tables",
    "rocksdb.live-sst-files-size",
    "rocksdb.background-errors",
};

// Cumulative counts from the rocksdb.cfstats map: stalls since the database
// opened, and compactions run.
constexpr const char* kCfStatsKeys[] = {
    "io_stalls.total_stop",
    "io_stalls.total_slowdown",
    "compaction.Sum.CompCount",
};

}  // namespace

LedgerStats Ledger::Stats() const {
  LedgerStats stats;
  {
    absl::MutexLock lock(&mu_);
    stats.queue_depth = queue_.size();
    stats.failed = failed_;
    stats.written_batches = written_batches_;
  }
  stats.max_queue = options_.max_queue;
  stats.batch_operations = instruments_.batch_operations.Read();
  stats.batch_bytes = instruments_.batch_bytes.Read();
  stats.sync_latency_us = instruments_.sync_latency_us.Read();
  for (const char* property : kIntProperties) {
    uint64_t value = 0;
    if (db_->GetIntProperty(property, &value)) {
      stats.rocksdb.push_back({property, value});
    }
  }
  std::map<std::string, std::string> cf_stats;
  if (db_->GetMapProperty(rocksdb::DB::Properties::kCFStats, &cf_stats)) {
    for (const char* key : kCfStatsKeys) {
      auto found = cf_stats.find(key);
      if (found == cf_stats.end()) continue;
      // The map holds decimal text (a count may be printed as "3.000000").
      double value = 0;
      if (!absl::SimpleAtod(found->second, &value) || value < 0) continue;
      stats.rocksdb.push_back({std::string("rocksdb.cfstats.") + key,
                               static_cast<uint64_t>(value)});
    }
  }
  return stats;
}

}  // namespace loyalty::ledger
