// The README's "For auditors and analysts" commands, run as written against
// a real loyaltyd started the way tools/scripts/serve.sh starts it (plain
// text, no API keys, rules/default.yaml). The code block is read from
// README.md when the test runs, so a change to the README is tested too;
// only the loyaltyctl path is given (as a shell function, like the README's
// alias) and the server's address (in $LOYALTY_SERVER). The commands run in
// a scratch directory, which stands for the repository root that the README
// runs them from. Also: `export --out -`, `verify` of an empty export, the
// README's what-if example (`rules simulate`) and its HTTP/JSON curl lines.
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "engine/ledger/ledger.h"
#include "gtest/gtest.h"
#include "tests/crash/child_process.h"
#include "tests/crash/loyaltyd_process.h"
#include "tests/support/temp_dir.h"

namespace loyalty {
namespace {

using testing::ReadWholeFile;

// The lines of the first ```sh block after the heading `heading`.
std::vector<std::string> ReadmeBlock(const std::string& heading) {
  const std::string readme =
      ReadWholeFile(std::string(LOYALTY_SOURCE_DIR) + "/README.md");
  const size_t section = readme.find("\n" + heading + "\n");
  if (section == std::string::npos) return {};
  const size_t open = readme.find("```sh\n", section);
  const size_t close = readme.find("\n```", open);
  if (open == std::string::npos || close == std::string::npos) return {};
  const std::string body = readme.substr(open + 6, close - open - 6);
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    if (!absl::StripAsciiWhitespace(line).empty()) lines.emplace_back(line);
  }
  return lines;
}

// What one command printed and how it ended.
struct Step {
  std::string line;
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string Printed(const Step& step) {
  return absl::StrCat("$ ", step.line, "\nexit ", step.exit_code,
                      "\n--- stdout\n", step.out, "--- stderr\n", step.err);
}

class ReadmeAuditorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> args = testing::LoyaltydArgs(
        dir_.Sub("var-loyalty"), testing::DefaultRulesPath());
    args.push_back("--http-listen=127.0.0.1:0");  // as serve.sh does
    auto started = testing::StartLoyaltyd(args, dir_.Sub("loyaltyd"));
    ASSERT_TRUE(started.ok()) << started.status();
    loyaltyd_ = *std::move(started);
    http_port_ =
        testing::HttpPort(ReadWholeFile(loyaltyd_.process->stdout_path()));
    ASSERT_NE(http_port_, 0) << ReadWholeFile(loyaltyd_.process->stdout_path());
    ASSERT_EQ(::mkdir(dir_.Sub("root").c_str(), 0700), 0);
  }

  // Runs `lines` in one bash, in the scratch root, each line's output and
  // exit status kept apart. Shell variables set by one line stay set.
  std::vector<Step> RunShell(const std::vector<std::string>& lines) {
    const std::string root = dir_.Sub("root");
    std::string script = absl::StrCat(
        "loyaltyctl() { '", LOYALTYCTL_PATH, "' \"$@\"; }\n",
        "export LOYALTY_SERVER=127.0.0.1:", loyaltyd_.port, "\n",
        "cd '", root, "' || exit 99\n");
    const int first = steps_run_;
    for (const std::string& line : lines) {
      const std::string base = absl::StrCat(dir_.Sub("step-"), steps_run_++);
      absl::StrAppend(&script, "{ ", line, "\n} >'", base, ".out' 2>'", base,
                      ".err' </dev/null; echo $? >'", base, ".rc'\n");
    }
    const std::string script_path = dir_.Sub(absl::StrCat("script-", first));
    std::ofstream(script_path) << script;
    auto shell = testing::ChildProcess::Start({"/bin/bash", script_path},
                                              script_path + ".out",
                                              script_path + ".err");
    EXPECT_TRUE(shell.ok()) << shell.status();
    if (!shell.ok()) return {};
    EXPECT_TRUE((*shell)->WaitFor(absl::Seconds(300)).has_value());
    std::vector<Step> steps;
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string base = absl::StrCat(dir_.Sub("step-"), first + i);
      Step step{lines[i], -1, ReadWholeFile(base + ".out"),
                ReadWholeFile(base + ".err")};
      const std::string rc(
          absl::StripAsciiWhitespace(ReadWholeFile(base + ".rc")));
      step.exit_code = rc.empty() ? -1 : std::atoi(rc.c_str());
      steps.push_back(std::move(step));
    }
    return steps;
  }

  // A few members and sales, made now (so in this month).
  void MakeSales() {
    std::vector<std::string> lines;
    for (int m = 0; m < 3; ++m) {
      lines.push_back(absl::StrCat("loyaltyctl member enroll --id m", m,
                                   " --name 'Member ", m,
                                   "' --request-id enroll-", m));
      lines.push_back(absl::StrCat(
          "loyaltyctl checkout commit --member m", m, " --order o", m,
          " --line coffee:2:350:drinks --line cake:1:1450:bakery"
          " --request-id sale-",
          m));
    }
    for (const Step& step : RunShell(lines)) {
      ASSERT_EQ(step.exit_code, 0) << Printed(step);
    }
  }

  testing::TempDir dir_;
  testing::RunningLoyaltyd loyaltyd_;
  int http_port_ = 0;
  int steps_run_ = 0;
};

// What a command's output must show, by the command it runs.
void ExpectSensibleOutput(const Step& step) {
  const std::string& line = step.line;
  const std::string& out = step.out;
  if (absl::StrContains(line, "loyaltyctl export")) {
    EXPECT_TRUE(absl::StrContains(out, "exported 6 entries")) << Printed(step);
  } else if (absl::StrContains(line, "loyaltyctl verify") &&
             absl::StrContains(line, ".jsonl")) {
    EXPECT_TRUE(absl::StartsWith(out, "OK: 6 entries")) << Printed(step);
  } else if (absl::StrContains(line, "loyaltyctl verify")) {
    EXPECT_TRUE(absl::StartsWith(out, "OK: the server's ledger verifies"))
        << Printed(step);
  } else if (absl::StrContains(line, "loyaltyctl metrics")) {
    EXPECT_TRUE(absl::StrContains(out, "PURCHASES")) << Printed(step);
  } else if (absl::StrContains(line, "loyaltyctl backup create")) {
    EXPECT_TRUE(absl::StrContains(out, "holds entries up to  6"))
        << Printed(step);
  } else if (absl::StrContains(line, "loyaltyctl backup restore")) {
    EXPECT_TRUE(absl::StrContains(out, "OK: the restored ledger verifies"))
        << Printed(step);
  }
}

TEST_F(ReadmeAuditorTest, EveryAuditorCommandWorksAsWritten) {
  MakeSales();
  const std::vector<std::string> block =
      ReadmeBlock("## For auditors and analysts");
  ASSERT_GE(block.size(), 7u) << "README's auditor block not found";
  int restores = 0;
  for (const Step& step : RunShell(block)) {
    EXPECT_EQ(step.exit_code, 0) << Printed(step);
    EXPECT_TRUE(step.exit_code != 0 || step.err.empty() ||
                absl::StrContains(step.line, "export"))
        << Printed(step);
    ExpectSensibleOutput(step);
    if (absl::StrContains(step.line, "backup restore")) ++restores;
  }
  ASSERT_EQ(restores, 1);
  // The restored copy holds members' personal data: only its owner reads it,
  // whatever the umask of the shell that ran loyaltyctl.
  const std::string restored_dir = dir_.Sub("root/var/loyalty-restored");
  int files = 0;
  for (const auto& file : std::filesystem::recursive_directory_iterator(restored_dir)) {
    struct stat info {};
    ASSERT_EQ(::stat(file.path().c_str(), &info), 0) << file.path();
    EXPECT_EQ(info.st_mode & 077, 0u) << file.path() << " is readable by others";
    ++files;
  }
  EXPECT_GT(files, 0);
  // The restored copy opens as a ledger and audits clean.
  ledger::LedgerOptions options;
  options.data_dir = restored_dir;
  auto restored = ledger::Ledger::Open(options);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ((*restored)->Head().sequence(), 6);
  auto report = (*restored)->Audit();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok()) << report->problem;
  EXPECT_EQ(report->members_checked, 3);
}

// The README's what-if example, run as one script (it writes its candidate
// with a here-document): three sales of 21.50 EUR, 21 points each as
// recorded, 43 under the candidate's 2 points per euro.
TEST_F(ReadmeAuditorTest, TheWhatIfExampleWorksAsWritten) {
  MakeSales();
  const std::vector<std::string> block =
      ReadmeBlock("## What-if: a rule file against past sales");
  ASSERT_GE(block.size(), 6u) << "README's what-if block not found";
  const std::vector<Step> steps = RunShell({absl::StrJoin(block, "\n")});
  ASSERT_EQ(steps.size(), 1u);
  const Step& step = steps[0];
  EXPECT_EQ(step.exit_code, 0) << Printed(step);
  std::vector<std::string> issued;
  for (absl::string_view line : absl::StrSplit(step.out, '\n')) {
    if (absl::StartsWith(line, "points issued  ")) {
      issued = absl::StrSplit(line, ' ', absl::SkipEmpty());
    }
  }
  EXPECT_EQ(issued,
            (std::vector<std::string>{"points", "issued", "63", "129", "+66"}))
      << Printed(step);
  EXPECT_TRUE(absl::StrContains(step.out, "Sales priced differently: 3"))
      << Printed(step);
  const std::string json = ReadWholeFile(dir_.Sub("root/whatif.json"));
  EXPECT_TRUE(absl::StrContains(json, "\"pointsIssued\": \"129\"")) << json;
}

// The README's curl lines of the HTTP/JSON API, each run as written once
// serve.sh's demo ran (the address 127.0.0.1:8080 that serve.sh picks is the
// only change: the test's server listens on a free port).
TEST_F(ReadmeAuditorTest, TheHttpExamplesWorkAsWritten) {
  for (const Step& step : RunShell(
           {"loyaltyctl member enroll --id demo-member --name 'Demo Member' "
            "--request-id demo-enroll",
            "loyaltyctl checkout commit --member demo-member --order "
            "demo-order-1 "
            "--line coffee:2:350:drinks --line croissant:1:180:bakery "
            "--request-id demo-sale-1"})) {
    ASSERT_EQ(step.exit_code, 0) << Printed(step);
  }
  const std::vector<std::string> block = ReadmeBlock("## Console and HTTP API");
  ASSERT_GE(block.size(), 4u) << "README's HTTP block not found";
  std::string script = absl::StrJoin(block, "\n");
  ASSERT_TRUE(absl::StrContains(script, "127.0.0.1:8080")) << script;
  absl::StrReplaceAll(
      {{"127.0.0.1:8080", absl::StrCat("127.0.0.1:", http_port_)}}, &script);
  // One script (a request body spans lines); any failure, an HTTP error
  // status too, stops it with that command's status.
  const std::vector<Step> steps = RunShell({absl::StrCat(
      "set -e\ncurl() { command curl --fail-with-body \"$@\"; }\n", script)});
  ASSERT_EQ(steps.size(), 1u);
  const Step& step = steps[0];
  EXPECT_EQ(step.exit_code, 0) << Printed(step);
  EXPECT_TRUE(absl::StrContains(step.out, "\"memberId\":\"demo-member\""))
      << Printed(step);
  EXPECT_TRUE(absl::StrContains(step.out, "\"pointsEarned\":\"3\""))
      << Printed(step);
  EXPECT_TRUE(absl::StrContains(step.out, "demo-order-1")) << Printed(step);
  EXPECT_TRUE(absl::StrContains(ReadWholeFile(dir_.Sub("root/openapi.json")),
                                "\"openapi\""));
}

TEST_F(ReadmeAuditorTest, ExportToStandardOutputWritesTheEntriesThere) {
  MakeSales();
  const std::vector<Step> steps = RunShell({
      "loyaltyctl export --format jsonl --out -",
      "loyaltyctl export --format jsonl --out file.jsonl",
  });
  ASSERT_EQ(steps.size(), 2u);
  ASSERT_EQ(steps[0].exit_code, 0) << Printed(steps[0]);
  ASSERT_EQ(steps[1].exit_code, 0) << Printed(steps[1]);
  // The entries alone on stdout, byte for byte the file's; the summary on
  // stderr; no file named "-".
  EXPECT_EQ(steps[0].out, ReadWholeFile(dir_.Sub("root/file.jsonl")));
  EXPECT_EQ(std::count(steps[0].out.begin(), steps[0].out.end(), '\n'), 6);
  EXPECT_TRUE(absl::StrContains(steps[0].err,
                                "exported 6 entries (snapshot at sequence 6) "
                                "to standard output"))
      << Printed(steps[0]);
  EXPECT_FALSE(std::ifstream(dir_.Sub("root/-")).is_open());
}

TEST_F(ReadmeAuditorTest, VerifyOfAnEmptyExportSaysSoAndFails) {
  MakeSales();
  const std::vector<Step> steps = RunShell({
      "loyaltyctl export --from 2001-01-01 --to 2001-03-31 --format jsonl "
      "--out q1.jsonl",
      "loyaltyctl verify q1.jsonl",
      "loyaltyctl verify --allow-empty q1.jsonl",
      "loyaltyctl --json verify q1.jsonl",
  });
  ASSERT_EQ(steps.size(), 4u);
  ASSERT_EQ(steps[0].exit_code, 0) << Printed(steps[0]);
  EXPECT_EQ(steps[1].exit_code, 1) << Printed(steps[1]);
  EXPECT_TRUE(absl::StartsWith(steps[1].out,
                               "EMPTY: the file holds no entries"))
      << Printed(steps[1]);
  EXPECT_EQ(steps[2].exit_code, 0) << Printed(steps[2]);
  EXPECT_TRUE(absl::StartsWith(steps[2].out, "OK: 0 entries"))
      << Printed(steps[2]);
  EXPECT_EQ(steps[3].exit_code, 1) << Printed(steps[3]);
  EXPECT_TRUE(absl::StrContains(steps[3].out, "\"ok\": false"))
      << Printed(steps[3]);
}

}  // namespace
}  // namespace loyalty
