// What a data directory holds, byte for byte: for tests that check that
// erased personal data is gone from every file (SSTs, WAL, manifest).
#ifndef LOYALTY_TESTS_SUPPORT_DATA_FILES_H_
#define LOYALTY_TESTS_SUPPORT_DATA_FILES_H_

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "engine/ledger/rocksdb_options.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"

namespace loyalty::testing {

// Every file under `dir` that holds `needle`, byte for byte.
inline std::vector<std::string> FilesHolding(const std::string& dir,
                                             const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& file : std::filesystem::recursive_directory_iterator(dir)) {
    if (!file.is_regular_file()) continue;
    std::ifstream in(file.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)),
                            std::istreambuf_iterator<char>());
    if (absl::StrContains(bytes, needle)) found.push_back(file.path().string());
  }
  return found;
}

// With no server on `data_dir`: flushes the memtable and rewrites every SST
// without compression (the bottommost level too, dropping deleted records),
// so that a scan of the files sees each stored byte as it is.
inline void FlushAndCompact(const std::string& data_dir) {
  rocksdb::Options options = ledger::DatabaseOptions();
  options.compression = rocksdb::kNoCompression;
  options.bottommost_compression = rocksdb::kNoCompression;
  options.create_if_missing = false;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, data_dir, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction =
      rocksdb::BottommostLevelCompaction::kForce;
  ASSERT_TRUE(db->CompactRange(compact, nullptr, nullptr).ok());
  ASSERT_TRUE(db->Close().ok());
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SUPPORT_DATA_FILES_H_
