// loyaltyd's --http-listen, on the real binary: it says where the HTTP/JSON
// API listens and serves there; plain HTTP off loopback is refused at start.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/crash/child_process.h"
#include "tests/crash/loyaltyd_process.h"
#include "tests/support/temp_dir.h"

namespace loyalty {
namespace {

TEST(HttpListenTest, LoyaltydSaysWhereTheHttpApiListensAndServesThere) {
  testing::TempDir dir;
  std::vector<std::string> args =
      testing::LoyaltydArgs(dir.Sub("data"), testing::DefaultRulesPath());
  args.push_back("--http-listen=127.0.0.1:0");
  auto started = testing::StartLoyaltyd(args, dir.Sub("loyaltyd"));
  ASSERT_TRUE(started.ok()) << started.status();
  const int port = testing::HttpPort(
      testing::ReadWholeFile(started->process->stdout_path()));
  ASSERT_GT(port, 0) << testing::ReadWholeFile(started->process->stdout_path());
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(30, 0);
  httplib::Result answer = client.Get("/v1/members/nobody/balance");
  ASSERT_TRUE(answer) << httplib::to_string(answer.error());
  EXPECT_EQ(answer->status, 404);
  EXPECT_TRUE(absl::StrContains(answer->body, "UNKNOWN_MEMBER"))
      << answer->body;
  started->process->Kill();
}

TEST(HttpListenTest, PlainHttpOffLoopbackIsRefused) {
  testing::TempDir dir;
  std::vector<std::string> args =
      testing::LoyaltydArgs(dir.Sub("data"), testing::DefaultRulesPath());
  args.push_back("--http-listen=0.0.0.0:0");
  auto started =
      testing::ChildProcess::Start(args, dir.Sub("out"), dir.Sub("err"));
  ASSERT_TRUE(started.ok()) << started.status();
  const auto ended = (*started)->WaitFor(absl::Seconds(60));
  ASSERT_TRUE(ended.has_value()) << "loyaltyd started instead of refusing";
  EXPECT_TRUE(ended->exited && ended->exit_code == 2) << ended->ToString();
  const std::string err = testing::ReadWholeFile(dir.Sub("err"));
  EXPECT_TRUE(absl::StrContains(err, "refusing to start")) << err;
  EXPECT_TRUE(absl::StrContains(err, "loopback")) << err;
}

}  // namespace
}  // namespace loyalty
