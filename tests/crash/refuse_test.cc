// loyaltyd refuses to start, with a clear message on stderr and exit code
// 2, on a data dir it cannot trust (garbage CURRENT, MANIFEST or table file;
// a missing table file; a regular file; another program's RocksDB database;
// no permission, when not run as root; writable by group or others) and on
// a rule file with a mistake (the message names file:line). A refusal
// writes nothing: a good ledger next to a bad rule file is left as it was.
// What loyaltyd creates is private (0700 / 0600, ADMIN_KEY included), and a
// data dir that others could read (0755) is tightened to 0700 at start.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/ledger/ledger.h"
#include "engine/ledger/rocksdb_options.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/crash/child_process.h"
#include "tests/crash/loyaltyd_process.h"
#include "tests/support/temp_dir.h"

namespace loyalty {
namespace {

namespace fs = std::filesystem;

constexpr absl::Duration kRefusalTimeout = absl::Seconds(60);

// How loyaltyd ended and what it wrote.
struct Refusal {
  testing::ChildExit exit;
  std::string out;
  std::string err;
};

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << bytes;
  ASSERT_TRUE(file.good()) << path;
}

std::string Garbage(size_t size) {
  std::mt19937 random(42);
  std::string bytes(size, '\0');
  for (char& byte : bytes) byte = static_cast<char>(random() & 0xff);
  return bytes;
}

// The first file in `dir` whose name starts with `prefix` or ends with
// `suffix` (either may be empty).
std::string FindFile(const std::string& dir, const std::string& prefix,
                     const std::string& suffix) {
  for (const auto& item : fs::directory_iterator(dir)) {
    const std::string name = item.path().filename().string();
    if ((!prefix.empty() && absl::StartsWith(name, prefix)) ||
        (!suffix.empty() && absl::EndsWith(name, suffix))) {
      return item.path().string();
    }
  }
  return "";
}

class RefuseTest : public ::testing::Test {
 protected:
  // Runs loyaltyd to its end; a loyaltyd that starts serving is a failure
  // (and is killed).
  Refusal Run(const std::string& data_dir,
              const std::string& rules = testing::DefaultRulesPath()) {
    const std::string logs = dir_.Sub(absl::StrCat("loyaltyd-", ++runs_));
    auto started = testing::ChildProcess::Start(
        testing::LoyaltydArgs(data_dir, rules), logs + ".out", logs + ".err");
    EXPECT_TRUE(started.ok()) << started.status();
    Refusal refusal;
    if (!started.ok()) return refusal;
    std::unique_ptr<testing::ChildProcess> child = *std::move(started);
    const auto ended = child->WaitFor(kRefusalTimeout);
    EXPECT_TRUE(ended.has_value()) << "loyaltyd started instead of refusing";
    refusal.exit = ended.has_value() ? *ended : child->Kill();
    refusal.out = testing::ReadWholeFile(child->stdout_path());
    refusal.err = testing::ReadWholeFile(child->stderr_path());
    return refusal;
  }

  // Exit code 2, one "refusing to start" line that names `names`, and no
  // sign of having served.
  static void ExpectRefused(const Refusal& refusal, const std::string& names) {
    EXPECT_TRUE(refusal.exit.exited && refusal.exit.exit_code == 2)
        << refusal.exit.ToString() << "\nstderr: " << refusal.err;
    EXPECT_TRUE(absl::StrContains(refusal.err, "loyaltyd: refusing to start: "))
        << refusal.err;
    EXPECT_TRUE(absl::StrContains(refusal.err, names))
        << "the message should name '" << names << "': " << refusal.err;
    EXPECT_FALSE(absl::StrContains(refusal.out, "listening")) << refusal.out;
    std::printf("refused as expected: %s", refusal.err.c_str());
  }

  // A fresh ledger, created by the ledger itself and closed; with `flush`,
  // its records are also in a table (.sst) file, not only in the WAL.
  std::string MakeLedger(bool flush) {
    const std::string data = dir_.Sub("data");
    {
      ledger::LedgerOptions options;
      options.data_dir = data;
      auto opened = ledger::Ledger::Open(options);
      EXPECT_TRUE(opened.ok()) << opened.status();
    }
    if (flush) {
      rocksdb::DB* raw = nullptr;
      rocksdb::Options options = ledger::DatabaseOptions();
      options.create_if_missing = false;
      rocksdb::Status status = rocksdb::DB::Open(options, data, &raw);
      EXPECT_TRUE(status.ok()) << status.ToString();
      std::unique_ptr<rocksdb::DB> db(raw);
      if (db != nullptr) {
        status = db->Flush(rocksdb::FlushOptions());
        EXPECT_TRUE(status.ok()) << status.ToString();
        EXPECT_TRUE(db->Close().ok());
      }
    }
    return data;
  }

  testing::TempDir dir_;
  int runs_ = 0;
};

TEST_F(RefuseTest, AHealthyLedgerStartsSoTheOtherRefusalsMeanSomething) {
  const std::string data = MakeLedger(/*flush=*/true);
  auto started = testing::StartLoyaltyd(testing::LoyaltydArgs(data, testing::DefaultRulesPath()),
                                        dir_.Sub("healthy"));
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_GT(started->port, 0);
  started->process->Kill();
}

TEST_F(RefuseTest, GarbageCurrentFile) {
  const std::string data = MakeLedger(/*flush=*/false);
  ASSERT_NO_FATAL_FAILURE(WriteFile(data + "/CURRENT", "MANIFEST-garbage!\n"));
  ExpectRefused(Run(data), data);
}

TEST_F(RefuseTest, GarbageManifest) {
  const std::string data = MakeLedger(/*flush=*/true);
  const std::string manifest = FindFile(data, "MANIFEST-", "");
  ASSERT_FALSE(manifest.empty());
  ASSERT_NO_FATAL_FAILURE(WriteFile(manifest, Garbage(fs::file_size(manifest))));
  ExpectRefused(Run(data), data);
}

TEST_F(RefuseTest, GarbageTableFileOfTheSameSize) {
  const std::string data = MakeLedger(/*flush=*/true);
  const std::string table = FindFile(data, "", ".sst");
  ASSERT_FALSE(table.empty());
  ASSERT_NO_FATAL_FAILURE(WriteFile(table, Garbage(fs::file_size(table))));
  ExpectRefused(Run(data), data);
}

TEST_F(RefuseTest, TruncatedTableFile) {
  const std::string data = MakeLedger(/*flush=*/true);
  const std::string table = FindFile(data, "", ".sst");
  ASSERT_FALSE(table.empty());
  fs::resize_file(table, fs::file_size(table) / 2);
  ExpectRefused(Run(data), data);
}

// What a half-done copy or restore leaves: the MANIFEST names a table file
// that is not there.
TEST_F(RefuseTest, AMissingTableFile) {
  const std::string data = MakeLedger(/*flush=*/true);
  const std::string table = FindFile(data, "", ".sst");
  ASSERT_FALSE(table.empty());
  ASSERT_TRUE(fs::remove(table));
  ExpectRefused(Run(data), data);
}

TEST_F(RefuseTest, APathThatIsARegularFile) {
  const std::string path = dir_.Sub("not-a-dir");
  ASSERT_NO_FATAL_FAILURE(WriteFile(path, "hello\n"));
  ExpectRefused(Run(path), path);
  EXPECT_EQ(testing::ReadWholeFile(path), "hello\n");  // left as it was
}

TEST_F(RefuseTest, AnotherProgramsRocksDbDatabase) {
  const std::string data = dir_.Sub("other");
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, data, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "user:42", "someone else's").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  const Refusal refusal = Run(data);
  ExpectRefused(refusal, data);
  EXPECT_TRUE(absl::StrContains(refusal.err, "not a ledger")) << refusal.err;
  // Nothing of the ledger was written into it.
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::OpenForReadOnly(rocksdb::Options(), data, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  int keys = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++keys;
  EXPECT_EQ(keys, 1);
}

TEST_F(RefuseTest, ADataDirWithoutPermission) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads any directory";
  const std::string data = MakeLedger(/*flush=*/false);
  ASSERT_EQ(chmod(data.c_str(), 0), 0);
  const Refusal refusal = Run(data);
  chmod(data.c_str(), 0700);  // so that the temp dir can be removed
  ExpectRefused(refusal, data);
}

// Permission bits of `path` (0777 at most).
unsigned ModeOf(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) return 07777;
  return info.st_mode & 0777;
}

TEST_F(RefuseTest, ADataDirThatGroupOrOthersCanWrite) {
  const std::string data = MakeLedger(/*flush=*/false);
  for (const unsigned mode : {0777u, 0770u, 0702u}) {
    SCOPED_TRACE(mode);
    ASSERT_EQ(chmod(data.c_str(), mode), 0);
    const Refusal refusal = Run(data);
    ExpectRefused(refusal, data);
    EXPECT_TRUE(absl::StrContains(refusal.err, "writable")) << refusal.err;
    EXPECT_EQ(ModeOf(data), mode) << "a refused start changed the dir";
  }
  chmod(data.c_str(), 0700);
}

// Every file and directory under `root`, with its permission bits.
std::vector<std::pair<std::string, unsigned>> ModesUnder(const std::string& root) {
  std::vector<std::pair<std::string, unsigned>> modes = {{root, ModeOf(root)}};
  for (const auto& item : fs::recursive_directory_iterator(root)) {
    modes.emplace_back(item.path().string(), ModeOf(item.path().string()));
  }
  return modes;
}

TEST_F(RefuseTest, WhatLoyaltydCreatesOnlyItsOwnerCanRead) {
  umask(022);  // what a shell usually gives: 0755 dirs, 0644 files
  const std::string data = dir_.Sub("fresh");
  std::vector<std::string> args = testing::LoyaltydArgs(data, testing::DefaultRulesPath());
  args.back() = "--auth=keys";  // so that it writes ADMIN_KEY too
  auto started = testing::StartLoyaltyd(args, dir_.Sub("fresh-log"));
  ASSERT_TRUE(started.ok()) << started.status();
  started->process->Signal(SIGTERM);
  ASSERT_TRUE(started->process->WaitFor(absl::Seconds(30)).has_value());
  ASSERT_TRUE(fs::exists(data + "/ADMIN_KEY"));
  ASSERT_TRUE(fs::exists(data + "/CURRENT"));
  for (const auto& [path, mode] : ModesUnder(data)) {
    EXPECT_EQ(mode, fs::is_directory(path) ? 0700u : 0600u)
        << path << " has mode " << std::oct << mode;
  }
}

// A data dir made with a default umask before loyaltyd kept it private:
// accepted, and closed to others (the old 0644 files inside with it).
TEST_F(RefuseTest, ADataDirOthersCanReadIsMadePrivateAtStart) {
  umask(022);
  const std::string data = MakeLedger(/*flush=*/true);
  ASSERT_EQ(ModeOf(data), 0755u);
  auto started = testing::StartLoyaltyd(testing::LoyaltydArgs(data, testing::DefaultRulesPath()),
                                        dir_.Sub("tighten"));
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(ModeOf(data), 0700u);
  const std::string out = testing::ReadWholeFile(started->process->stdout_path());
  EXPECT_TRUE(absl::StrContains(out, "now 0700")) << out;
  started->process->Kill();
}

TEST_F(RefuseTest, ARuleFileWithAnUnknownKeyNamesFileAndLine) {
  const std::string rules = dir_.Sub("bad-rules.yaml");
  ASSERT_NO_FATAL_FAILURE(WriteFile(rules,
                                    "program:\n"
                                    "  id: test\n"
                                    "  currency: EUR\n"
                                    "  point_value_minor: 1\n"
                                    "earn:\n"
                                    "  points: 1\n"
                                    "  per_minor: 100\n"
                                    "  roundng: down\n"  // line 8: a typo
                                    "burn:\n"
                                    "  max_basket_share_percent: 50\n"
                                    "  earned_points_pay_same_order: false\n"));
  const std::string data = dir_.Sub("data");
  const Refusal refusal = Run(data, rules);
  ExpectRefused(refusal, rules + ":8:");
  EXPECT_TRUE(absl::StrContains(refusal.err, "roundng")) << refusal.err;
  EXPECT_FALSE(fs::exists(data)) << "a refused start created the data dir";
}

TEST_F(RefuseTest, AMissingRuleFileIsNamed) {
  const std::string rules = dir_.Sub("no-such-rules.yaml");
  ExpectRefused(Run(dir_.Sub("data"), rules), rules);
}

TEST_F(RefuseTest, ABadRuleFileLeavesAGoodLedgerAsItWas) {
  const std::string data = MakeLedger(/*flush=*/false);
  std::vector<std::pair<std::string, uintmax_t>> before;
  for (const auto& item : fs::directory_iterator(data)) {
    if (item.is_regular_file()) before.emplace_back(item.path().filename(), item.file_size());
  }
  const std::string rules = dir_.Sub("bad-rules.yaml");
  ASSERT_NO_FATAL_FAILURE(WriteFile(rules, "program:\n  id: test\n  colour: blue\n"));
  ExpectRefused(Run(data, rules), rules + ":");
  std::vector<std::pair<std::string, uintmax_t>> after;
  for (const auto& item : fs::directory_iterator(data)) {
    if (item.is_regular_file()) after.emplace_back(item.path().filename(), item.file_size());
  }
  std::sort(before.begin(), before.end());
  std::sort(after.begin(), after.end());
  EXPECT_EQ(before, after);
}

}  // namespace
}  // namespace loyalty
