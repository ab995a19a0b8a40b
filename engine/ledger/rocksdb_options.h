// Every RocksDB option the ledger depends on, set explicitly in one place.
#ifndef LOYALTY_ENGINE_LEDGER_ROCKSDB_OPTIONS_H_
#define LOYALTY_ENGINE_LEDGER_ROCKSDB_OPTIONS_H_

#include "rocksdb/options.h"

namespace loyalty::ledger {

// Bytes of checksum per key that protect a WriteBatch in memory; the
// WriteBatch and the WriteOptions must agree.
inline constexpr size_t kProtectionBytesPerKey = 8;

rocksdb::Options DatabaseOptions();
// Durable writes: the WAL is synced before Write returns.
rocksdb::WriteOptions DurableWriteOptions();
rocksdb::ReadOptions VerifiedReadOptions();

}  // namespace loyalty::ledger

#endif  // LOYALTY_ENGINE_LEDGER_ROCKSDB_OPTIONS_H_
