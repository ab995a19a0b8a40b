// The command lines of loyaltyctl and loyalty-bench (CLI11), through the
// real binaries and no server: the bash completion script each prints is
// built from its parser, so it offers every verb and flag that --help
// lists; --help and --version work on every verb; a bad flag is refused in
// one short line that names it, in either spelling (dashes, underscores).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tests/tools/ctl_process.h"

namespace loyalty {
namespace {

using testing::CtlResult;
using testing::Printed;
using testing::VerbsOf;

// The flags a help page lists at the start of a line: "  --page-size N".
std::set<std::string> FlagsOf(const std::string& help) {
  std::set<std::string> flags;
  for (absl::string_view line : absl::StrSplit(help, '\n')) {
    line = absl::StripLeadingAsciiWhitespace(line);
    if (!absl::StartsWith(line, "--")) continue;
    flags.emplace(line.substr(0, line.find_first_of(" ,=")));
  }
  return flags;
}

class CommandLineTest : public ::testing::Test {
 protected:
  CtlResult Ctl(const std::vector<std::string>& args) {
    return testing::RunCtl(dir_.path(), args);
  }
  CtlResult Bench(const std::vector<std::string>& args) {
    return testing::RunProgram(LOYALTY_BENCH_PATH, dir_.path(), args);
  }

  // What bash's completion offers for `words` (the last one the word being
  // typed) with `script` loaded, one word per element.
  std::vector<std::string> Complete(const std::string& script,
                                    const std::string& function,
                                    const std::vector<std::string>& words) {
    const std::string script_path = dir_.Sub("completion.bash");
    std::ofstream(script_path) << script;
    std::string quoted;
    for (const std::string& word : words)
      absl::StrAppend(&quoted, " '", word, "'");
    const std::string query_path = dir_.Sub("query.bash");
    std::ofstream(query_path)
        << "source " << script_path << "\nCOMP_WORDS=(" << quoted
        << ")\nCOMP_CWORD=" << words.size() - 1 << "\n"
        << function << "\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
    FILE* pipe = popen(absl::StrCat("bash ", query_path).c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    std::string out;
    char buffer[4096];
    size_t read = 0;
    while (pipe != nullptr &&
           (read = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
      out.append(buffer, read);
    }
    if (pipe != nullptr) {
      EXPECT_EQ(pclose(pipe), 0) << out;
    }
    return absl::StrSplit(out, '\n', absl::SkipEmpty());
  }

  std::string CtlCompletion() {
    const CtlResult result = Ctl({"completion", "bash"});
    EXPECT_EQ(result.exit_code, 0) << Printed(result);
    return result.out;
  }

  testing::TempDir dir_;
};

bool Offers(const std::vector<std::string>& offered, const std::string& word) {
  return std::find(offered.begin(), offered.end(), word) != offered.end();
}

TEST_F(CommandLineTest, CompletionOffersEveryVerbAndFlagThatHelpLists) {
  const std::string script = CtlCompletion();
  const CtlResult top = Ctl({"--help"});
  ASSERT_EQ(top.exit_code, 0) << Printed(top);
  const std::vector<std::string> verbs = VerbsOf(top.out);
  ASSERT_GT(verbs.size(), 20u) << top.out;
  const std::vector<std::string> groups =
      Complete(script, "_loyaltyctl_completion", {"loyaltyctl", ""});
  for (const std::string& verb : verbs) {
    const std::vector<std::string> words = absl::StrSplit(verb, ' ');
    EXPECT_TRUE(Offers(groups, words.front())) << verb;
    std::vector<std::string> typed = {"loyaltyctl"};
    typed.insert(typed.end(), words.begin(), words.end());
    typed.push_back("--");
    const std::vector<std::string> flags =
        Complete(script, "_loyaltyctl_completion", typed);
    std::vector<std::string> help_args = words;
    help_args.push_back("--help");
    const CtlResult help = Ctl(help_args);
    ASSERT_EQ(help.exit_code, 0) << Printed(help);
    for (const std::string& flag : FlagsOf(help.out)) {
      EXPECT_TRUE(Offers(flags, flag)) << verb << ": " << flag;
    }
    EXPECT_TRUE(Offers(flags, "--tls-server-name")) << verb;
  }
}

TEST_F(CommandLineTest, CompletionCompletesAPrefixAndLeavesValuesToBash) {
  const std::string script = CtlCompletion();
  const char* const kFunction = "_loyaltyctl_completion";
  EXPECT_EQ(Complete(script, kFunction, {"loyaltyctl", "member", "ad"}),
            std::vector<std::string>{"adjust"});
  EXPECT_EQ(Complete(script, kFunction, {"loyaltyctl", "--json", "rules", "d"}),
            std::vector<std::string>{"diff"});
  EXPECT_EQ(Complete(script, kFunction,
                     {"loyaltyctl", "--server", "h:1", "member", "history",
                      "ann", "--page-"}),
            (std::vector<std::string>{"--page-size", "--page-token"}));
  // After a flag that takes a value: nothing from us (bash completes files).
  EXPECT_TRUE(Complete(script, kFunction,
                       {"loyaltyctl", "rules", "load", "--activate-at", ""})
                  .empty());
  EXPECT_TRUE(Complete(script, kFunction, {"loyaltyctl", "--api-key-file", ""})
                  .empty());
  // A verb's argument: file names too; a flag there is still completed.
  EXPECT_TRUE(
      Complete(script, kFunction, {"loyaltyctl", "verify", ""}).empty());
  EXPECT_EQ(Complete(script, kFunction, {"loyaltyctl", "verify", "--allow"}),
            std::vector<std::string>{"--allow-empty"});
  EXPECT_TRUE(Offers(Complete(script, kFunction, {"loyaltyctl", "member", ""}),
                     "history"));
}

TEST_F(CommandLineTest, LoyaltyctlHelpAndVersionOnEveryVerb) {
  const CtlResult version = Ctl({"--version"});
  ASSERT_EQ(version.exit_code, 0) << Printed(version);
  ASSERT_TRUE(absl::StartsWith(version.out, "loyaltyctl ")) << version.out;
  const CtlResult top = Ctl({"--help"});
  EXPECT_TRUE(
      absl::StrContains(top.out, "source <(loyaltyctl completion bash)"))
      << top.out;
  for (const std::string& verb : VerbsOf(top.out)) {
    std::vector<std::string> args = absl::StrSplit(verb, ' ');
    args.push_back("--version");
    const CtlResult result = Ctl(args);
    EXPECT_EQ(result.exit_code, 0) << verb << "\n" << Printed(result);
    EXPECT_EQ(result.out, version.out) << verb;
  }
  // Help wins over a half-typed command line, -h as --help.
  const CtlResult help = Ctl({"member", "adjust", "-h"});
  EXPECT_EQ(help.exit_code, 0) << Printed(help);
  EXPECT_TRUE(absl::StartsWith(help.out, "Usage: loyaltyctl member adjust"))
      << help.out;
}

TEST_F(CommandLineTest, LoyaltyctlRefusesABadFlagInOneLineThatNamesIt) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"member", "balance", "ann", "--bogus"},
       "error: unknown flag '--bogus' for 'member balance'\n"},
      {{"member", "history", "ann", "--page_size"},
       "error: --page-size needs a value (N)\n"},
      {{"member", "history", "ann", "--all=yes"},
       "error: --all takes no value\n"},
      {{"member", "balance", "ann", "--api-key="},
       "error: --api-key is empty\n"},
      {{"--bogus", "member", "get", "ann"},
       "error: unknown flag '--bogus' (a verb's flags go after the verb)\n"},
      {{"member", "adjust", "ann", "--points", "1", "--points", "2", "--reason",
        "GOODWILL"},
       "error: --points is given twice\n"},
      {{"member", "adjust", "ann", "--points", "1"},
       "error: --reason is required\n"},
      {{"member", "nope"}, "error: unknown verb 'member nope'\n"},
      {{"rules", "show", "a", "b"}, "error: unexpected argument 'b'\n"},
  };
  for (const auto& [args, first_line] : cases) {
    const CtlResult result = Ctl(args);
    EXPECT_EQ(result.exit_code, 2) << Printed(result);
    EXPECT_TRUE(absl::StartsWith(result.err, first_line)) << Printed(result);
  }
}

TEST_F(CommandLineTest, BenchHelpVersionCompletionAndRefusals) {
  const CtlResult help = Bench({"--help"});
  ASSERT_EQ(help.exit_code, 0) << Printed(help);
  for (const char* flag : {"--server", "--metadata", "--max-in-flight", "--mix",
                           "--no-enroll", "--completion", "--version"}) {
    EXPECT_TRUE(absl::StrContains(help.out, flag)) << flag << "\n" << help.out;
  }
  const CtlResult version = Bench({"--version"});
  EXPECT_EQ(version.exit_code, 0) << Printed(version);
  EXPECT_TRUE(absl::StartsWith(version.out, "loyalty-bench ")) << version.out;

  const CtlResult completion = Bench({"--completion", "bash"});
  ASSERT_EQ(completion.exit_code, 0) << Printed(completion);
  const std::vector<std::string> offered = Complete(
      completion.out, "_loyalty_bench_completion", {"loyalty-bench", "--max"});
  EXPECT_EQ(offered, std::vector<std::string>{"--max-in-flight"});
  for (const std::string& flag : FlagsOf(help.out)) {
    EXPECT_TRUE(Offers(Complete(completion.out, "_loyalty_bench_completion",
                                {"loyalty-bench", "--"}),
                       flag))
        << flag;
  }

  // Out of range, not a number, unknown, in either spelling: exit 2, the
  // first line names the flag.
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--channels", "65"},
                                             {"--max_in_flight=0"},
                                             {"--zipf", "steep"},
                                             {"--mix", "commit=x"},
                                             {"--metadata", "novalue"},
                                             {"--bogus"}}) {
    const CtlResult result = Bench(args);
    EXPECT_EQ(result.exit_code, 2) << Printed(result);
    const std::string first_line = result.err.substr(0, result.err.find('\n'));
    std::string flag = args.front().substr(0, args.front().find('='));
    flag = absl::StrReplaceAll(flag, {{"_", "-"}});
    EXPECT_TRUE(absl::StartsWith(first_line, "loyalty-bench: ")) << first_line;
    EXPECT_TRUE(absl::StrContains(first_line, flag)) << first_line;
  }
}

}  // namespace
}  // namespace loyalty
