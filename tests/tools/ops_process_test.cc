// The real loyaltyd binary with --metrics-listen, after some traffic from
// the real loyaltyctl: /metrics, /healthz and /readyz answer over HTTP, the
// page passes promtool (Prometheus's own checker, Debian package
// prometheus) and the strict reader of tests/support/exposition_check.h;
// and the example scrape config and alert rules under packaging/prometheus
// pass promtool's checks and their rule tests.
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/crash/child_process.h"
#include "tests/crash/loyaltyd_process.h"
#include "tests/support/exposition_check.h"
#include "tests/support/temp_dir.h"

namespace loyalty {
namespace {

using testing::ReadWholeFile;

// The port of loyaltyd's line "... (metrics port N)", or 0.
int MetricsPort(const std::string& out) {
  const std::string marker = "(metrics port ";
  const size_t at = out.find(marker);
  if (at == std::string::npos) return 0;
  const size_t end = out.find(')', at);
  int port = 0;
  if (end == std::string::npos ||
      !absl::SimpleAtoi(
          out.substr(at + marker.size(), end - at - marker.size()), &port)) {
    return 0;
  }
  return port;
}

std::pair<int, std::string> Get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(60, 0);
  auto answer = client.Get(path.c_str());
  if (!answer) return {-1, ""};
  return {answer->status, answer->body};
}

// Runs `command` in a shell; its exit code, and its output in `said`.
int Shell(const std::string& command, const std::string& scratch,
          std::string* said) {
  const std::string out = scratch + "/shell.out";
  const int status =
      std::system(absl::StrCat(command, " > ", out, " 2>&1").c_str());
  *said = ReadWholeFile(out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// promtool, or a skip (a failure on CI, where install-deps.sh installs it).
std::string PromtoolOrSkip() {
  const std::string promtool = testing::PromtoolPath();
  if (promtool.empty() && testing::OnCi()) {
    ADD_FAILURE() << "promtool is missing (Debian package prometheus)";
  }
  return promtool;
}

class OpsProcessTest : public ::testing::Test {
 protected:
  int Ctl(std::vector<std::string> args) {
    std::vector<std::string> argv = {LOYALTYCTL_PATH, "--server",
                                     absl::StrCat("127.0.0.1:", loyaltyd_.port),
                                     "--timeout", "60"};
    argv.insert(argv.end(), args.begin(), args.end());
    const int run = ++runs_;
    auto child = testing::ChildProcess::Start(
        argv, dir_.Sub(absl::StrCat("ctl-", run, ".out")),
        dir_.Sub(absl::StrCat("ctl-", run, ".err")));
    if (!child.ok()) return -1;
    auto ended = (*child)->WaitFor(absl::Seconds(60));
    return ended.has_value() && ended->exited ? ended->exit_code : -1;
  }

  testing::TempDir dir_;
  testing::RunningLoyaltyd loyaltyd_;
  int runs_ = 0;
};

TEST_F(OpsProcessTest, LoyaltydServesMetricsThatPromtoolAcceptsAfterTraffic) {
  std::vector<std::string> args =
      testing::LoyaltydArgs(dir_.Sub("data"), testing::DefaultRulesPath());
  args.push_back("--metrics-listen=127.0.0.1:0");
  auto started = testing::StartLoyaltyd(args, dir_.Sub("loyaltyd"));
  ASSERT_TRUE(started.ok()) << started.status();
  loyaltyd_ = *std::move(started);
  const int port = MetricsPort(ReadWholeFile(loyaltyd_.process->stdout_path()));
  ASSERT_NE(port, 0) << ReadWholeFile(loyaltyd_.process->stdout_path());

  EXPECT_EQ(Ctl({"member", "enroll", "--id", "ann", "--name", "Ann Lee",
                 "--request-id", "enroll-ann"}),
            0);
  EXPECT_EQ(Ctl({"checkout", "commit", "--member", "ann", "--order", "A-1",
                 "--line", "coffee:2:350:drinks", "--request-id", "sale-A-1"}),
            0);
  EXPECT_EQ(Ctl({"member", "balance", "nobody"}), 1);

  EXPECT_EQ(Get(port, "/healthz"), std::make_pair(200, std::string("live\n")));
  EXPECT_EQ(Get(port, "/readyz"), std::make_pair(200, std::string("ready\n")));
  const auto [status, page] = Get(port, "/metrics");
  ASSERT_EQ(status, 200);
  std::vector<std::string> problems;
  const auto samples = testing::ReadPage(page, &problems);
  testing::CheckHistograms(samples, &problems);
  EXPECT_TRUE(problems.empty()) << absl::StrJoin(problems, "\n");
  EXPECT_EQ(testing::ValueOf(samples, "loyalty_rpc_calls_total",
                             {{"rpc", "CommitPurchase"}, {"code", "OK"}}),
            1);
  EXPECT_EQ(testing::ValueOf(samples, "loyalty_rpc_calls_total",
                             {{"rpc", "GetBalance"}, {"code", "NOT_FOUND"}}),
            1);
  EXPECT_EQ(testing::ValueOf(samples, "loyalty_members"), 1);

  loyaltyd_.process->Signal(SIGTERM);
  auto ended = loyaltyd_.process->WaitFor(absl::Seconds(60));
  EXPECT_TRUE(ended.has_value() && ended->exited && ended->exit_code == 0);

  const std::string promtool = PromtoolOrSkip();
  if (promtool.empty())
    GTEST_SKIP() << "promtool not installed (package prometheus)";
  std::ofstream(dir_.Sub("metrics.txt")) << page;
  std::string said;
  EXPECT_EQ(Shell(absl::StrCat(promtool, " check metrics < ",
                               dir_.Sub("metrics.txt")),
                  dir_.path(), &said),
            0)
      << said << "\n"
      << page;
}

TEST_F(OpsProcessTest, ARefusedStartWithTheListenerStillExitsTwo) {
  std::vector<std::string> args =
      testing::LoyaltydArgs(dir_.Sub("data"), dir_.Sub("missing.yaml"));
  args.push_back("--metrics-listen=127.0.0.1:0");
  auto child = testing::ChildProcess::Start(args, dir_.Sub("refused.out"),
                                            dir_.Sub("refused.err"));
  ASSERT_TRUE(child.ok());
  auto ended = (*child)->WaitFor(absl::Seconds(60));
  ASSERT_TRUE(ended.has_value() && ended->exited);
  EXPECT_EQ(ended->exit_code, 2) << ReadWholeFile(dir_.Sub("refused.err"));
}

TEST_F(OpsProcessTest, ExampleScrapeConfigAndAlertRulesPassPromtool) {
  const std::string promtool = PromtoolOrSkip();
  if (promtool.empty())
    GTEST_SKIP() << "promtool not installed (package prometheus)";
  const std::string dir =
      std::string(LOYALTY_SOURCE_DIR) + "/packaging/prometheus";
  std::string said;
  EXPECT_EQ(Shell(absl::StrCat("cd ", dir, " && ", promtool,
                               " check rules loyalty-alerts.yml"),
                  dir_.path(), &said),
            0)
      << said;
  EXPECT_EQ(Shell(absl::StrCat("cd ", dir, " && ", promtool,
                               " test rules loyalty-alerts-test.yml"),
                  dir_.path(), &said),
            0)
      << said;
  EXPECT_EQ(Shell(absl::StrCat("cd ", dir, " && ", promtool,
                               " check config prometheus.yml"),
                  dir_.path(), &said),
            0)
      << said;
}

}  // namespace
}  // namespace loyalty
