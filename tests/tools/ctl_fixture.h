// The real loyaltyctl binary against an in-process loyaltyd: a fixture that
// serves a ledger (tests/support/served_ledger.h) and runs loyaltyctl at it
// with `--server 127.0.0.1:PORT --timeout 30`, its output files in the
// ledger's temporary directory.
#ifndef LOYALTY_TESTS_TOOLS_CTL_FIXTURE_H_
#define LOYALTY_TESTS_TOOLS_CTL_FIXTURE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "tests/support/served_ledger.h"
#include "tests/support/test_rules.h"
#include "tests/tools/ctl_process.h"

namespace loyalty::testing {

// The value of a "key   value" line printed by loyaltyctl, or "" if absent.
inline std::string Field(const std::string& out, const std::string& key) {
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::StartsWith(line, key + "  ")) {
      return std::string(absl::StripAsciiWhitespace(line.substr(key.size())));
    }
  }
  return "";
}

class CtlTest : public ::testing::Test {
 protected:
  // Serves the test rules (1 point per 1.00 EUR, a point pays 1 cent, half
  // a basket payable). A fixture that wants other options starts
  // served_ itself in its own SetUp.
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(served_.Start(ServedOptions())); }

  // Runs `loyaltyctl --server ADDRESS --timeout 30 args...` with `env`
  // ("NAME=value") added to its environment.
  CtlResult Ctl(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    args.insert(args.begin(), {"--server", served_.address(), "--timeout", "30"});
    return RunCtl(served_.dir().path(), args, env);
  }

  // Runs a command that must succeed; returns what it printed.
  std::string Ok(std::vector<std::string> args) {
    const CtlResult result = Ctl(std::move(args));
    EXPECT_EQ(result.exit_code, 0) << Printed(result);
    return result.out;
  }

  ServedLedger served_;
};

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_TOOLS_CTL_FIXTURE_H_
