// A stopped server's RocksDB database, opened for a test to read or edit
// what the ledger stored (old record shapes, damaged records), then closed.
#ifndef LOYALTY_TESTS_SUPPORT_LEDGER_DATABASE_H_
#define LOYALTY_TESTS_SUPPORT_LEDGER_DATABASE_H_

#include <functional>
#include <memory>
#include <string>

#include "engine/ledger/rocksdb_options.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"

namespace loyalty::testing {

// Opens the database in `data_dir` (which must exist and be closed by its
// server), lets `use` read or change it, and closes it. Fails the test when
// it cannot be opened or closed.
inline void WithLedgerDatabase(const std::string& data_dir,
                               const std::function<void(rocksdb::DB&)>& use) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Options options = ledger::DatabaseOptions();
  options.create_if_missing = false;
  const rocksdb::Status status = rocksdb::DB::Open(options, data_dir, &raw);
  ASSERT_TRUE(status.ok()) << status.ToString();
  std::unique_ptr<rocksdb::DB> db(raw);
  use(*db);
  ASSERT_TRUE(db->Close().ok());
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SUPPORT_LEDGER_DATABASE_H_
