// Every thread the engine starts carries a name (engine/base/thread_name.h):
// the helper itself, and the ledger's two workers and completer as the
// kernel lists them in /proc/self/task/*/comm, where perf, top -H and gdb
// read them.
#include "engine/base/thread_name.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>

#include "absl/synchronization/notification.h"
#include "engine/ledger/ledger.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace loyalty {
namespace {

// The names of every thread of this process, as the kernel holds them.
std::multiset<std::string> ThreadNames() {
  std::multiset<std::string> names;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) names.insert(name);
  }
  return names;
}

TEST(ThreadNameTest, NamedThreadShowsItsName) {
  absl::Notification done;
  std::thread thread([&done] { done.WaitForNotification(); });
  NameThread(thread, "audit-worker");
  EXPECT_EQ(ThreadName(thread), "audit-worker");
  EXPECT_EQ(ThreadNames().count("audit-worker"), 1u);
  done.Notify();
  thread.join();
}

TEST(ThreadNameTest, LongNameIsCutToWhatTheKernelKeeps) {
  absl::Notification done;
  std::thread thread([&done] { done.WaitForNotification(); });
  NameThread(thread, "a-name-longer-than-fifteen");
  EXPECT_EQ(ThreadName(thread), "a-name-longer-t");
  done.Notify();
  thread.join();
}

TEST(ThreadNameTest, LedgerThreadsAreNamed) {
  testing::TempDir dir;
  ledger::LedgerOptions options;
  options.data_dir = dir.Sub("ledger");
  auto opened = ledger::Ledger::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_THAT(ThreadNames(),
              ::testing::IsSupersetOf(
                  {"ledger-worker-1", "ledger-worker-2", "ledger-complete"}));
}

}  // namespace
}  // namespace loyalty
