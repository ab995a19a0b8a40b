// Every thread the engine starts carries a name (engine/base/thread_name.h):
// the helper itself, and the ledger's writer, syncer and completer as the
// kernel lists them in /proc/self/task/*/comm, where perf, top -H and gdb
// read them.
#include "engine/base/thread_name.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>

#include "engine/ledger/ledger.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace loyalty {
namespace {

// The names of every thread of this process, as the kernel holds them.
std::multiset<std::string> ThreadNames() {
  std::multiset<std::string> names;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) names.insert(name);
  }
  return names;
}

TEST(ThreadNameTest, StartedThreadRunsUnderItsName) {
  std::string seen;
  std::thread thread = StartNamedThread("audit-worker", [&seen] { seen = ThisThreadName(); });
  thread.join();
  EXPECT_EQ(seen, "audit-worker");
}

TEST(ThreadNameTest, PassesArgumentsLikeStdThread) {
  int sum = 0;
  std::thread thread = StartNamedThread(
      "adder", [](int a, int b, int* out) { *out = a + b; }, 2, 3, &sum);
  thread.join();
  EXPECT_EQ(sum, 5);
}

TEST(ThreadNameTest, LongNameIsCutToWhatTheKernelKeeps) {
  std::string seen;
  std::thread thread = StartNamedThread("a-name-longer-than-fifteen",
                                        [&seen] { seen = ThisThreadName(); });
  thread.join();
  EXPECT_EQ(seen, "a-name-longer-t");
  EXPECT_EQ(seen.size(), kMaxThreadNameBytes);
}

TEST(ThreadNameTest, LedgerThreadsAreNamed) {
  testing::TempDir dir;
  ledger::LedgerOptions options;
  options.data_dir = dir.Sub("ledger");
  auto opened = ledger::Ledger::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_THAT(ThreadNames(), ::testing::IsSupersetOf(
                                 {"ledger-writer", "ledger-sync", "ledger-complete"}));
}

}  // namespace
}  // namespace loyalty
