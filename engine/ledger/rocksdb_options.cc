#include "engine/ledger/rocksdb_options.h"

#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"

namespace loyalty::ledger {

rocksdb::Options DatabaseOptions() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.error_if_exists = false;
  // Refuse to open a database whose files do not check out.
  options.paranoid_checks = true;
  // The WAL is the durability of every acknowledged sale: never skip it, and
  // on recovery stop at the first corrupt record rather than guess.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  options.manual_wal_flush = false;
  // One writer thread does all writes; RocksDB's own write grouping and
  // pipelining bring nothing on top of that.
  options.enable_pipelined_write = false;
  options.allow_concurrent_memtable_write = false;
  // Checksums on keys while they sit in the memtable.
  options.memtable_protection_bytes_per_key = kProtectionBytesPerKey;
  options.compression = rocksdb::kLZ4Compression;
  options.max_background_jobs = 2;  // the target machine has two cores
  options.keep_log_file_num = 10;
  // Most point reads of the writer miss: a new request id, a new order.
  // Bloom filters answer those without searching the memtable (the skip
  // list) or reading index and data blocks of every level.
  options.memtable_whole_key_filtering = true;
  options.memtable_prefix_bloom_size_ratio = 0.05;
  rocksdb::BlockBasedTableOptions table;
  table.whole_key_filtering = true;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

rocksdb::WriteOptions DurableWriteOptions() {
  rocksdb::WriteOptions options;
  options.sync = true;
  options.disableWAL = false;
  options.protection_bytes_per_key = kProtectionBytesPerKey;
  return options;
}

rocksdb::ReadOptions VerifiedReadOptions() {
  rocksdb::ReadOptions options;
  options.verify_checksums = true;
  return options;
}

}  // namespace loyalty::ledger
