// `loyaltyctl rules` on rule files: validate with and without a server, the
// refusal of a file that changes the ledger's currency or point value once a
// sale is recorded, and `rules diff FILE` against the active version.
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "loyalty/v1/program.pb.h"
#include "tests/support/test_rules.h"
#include "tests/tools/ctl_fixture.h"

namespace loyalty {
namespace {

using testing::CtlResult;
using testing::Printed;

class RulesCtlTest : public testing::CtlTest {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = served_.dir().Sub(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  void Sale() {
    Ok({"member", "enroll", "--id", "ann", "--request-id", "enroll-ann"});
    Ok({"checkout", "commit", "--member", "ann", "--order", "A-1",
        "--line", "coffee:1:350", "--request-id", "sale-A-1"});
  }
};

TEST_F(RulesCtlTest, ValidateWorksWithoutAServerAndSaysItCheckedTheFileAlone) {
  const std::string good = Write("good.yaml", testing::RulesYaml(200));
  const std::string bad = Write(
      "bad.yaml", absl::StrReplaceAll(testing::RulesYaml(),
                                      {{"per_minor: 100", "per_minor: 1.00"}}));
  served_.Stop();
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--server", "127.0.0.1:1", "--timeout", "5"},
        std::vector<std::string>{"--offline"}}) {
    std::vector<std::string> args = {"rules", "validate", good};
    args.insert(extra[0] == "--offline" ? args.end() : args.begin(),
                extra.begin(), extra.end());
    CtlResult result = testing::RunCtl(served_.dir().path(), args);
    EXPECT_EQ(result.exit_code, 0) << Printed(result);
    EXPECT_TRUE(absl::StartsWith(result.out, absl::StrCat("OK: ", good,
                                                          " is valid (version ")))
        << result.out;
    EXPECT_TRUE(absl::StrContains(result.out, "checked the file alone"))
        << result.out;
  }
  CtlResult result = testing::RunCtl(
      served_.dir().path(), {"--server", "127.0.0.1:1", "rules", "validate", bad});
  EXPECT_EQ(result.exit_code, 1) << Printed(result);
  EXPECT_TRUE(absl::StartsWith(result.out, bad + ":7: earn.per_minor: "))
      << result.out;
  EXPECT_TRUE(absl::StrContains(result.out, "write 100 for 1.00 EUR"))
      << result.out;
}

TEST_F(RulesCtlTest, ValidateAndLoadRefuseAnotherCurrencyOnceASaleIsRecorded) {
  const std::string usd = Write(
      "usd.yaml", absl::StrReplaceAll(testing::RulesYaml(),
                                      {{"currency: EUR", "currency: USD"}}));
  // Nothing moved yet: the server's check passes too.
  const std::string ok = Ok({"rules", "validate", usd});
  EXPECT_TRUE(absl::StrContains(ok, "checked here and by the server")) << ok;
  Sale();
  for (const std::string verb : {"validate", "load"}) {
    const CtlResult refused = Ctl({"rules", verb, usd});
    EXPECT_EQ(refused.exit_code, 1) << Printed(refused);
    EXPECT_TRUE(absl::StartsWith(
        refused.err, "error: FAILED_PRECONDITION: RULES_CURRENCY_CHANGED"))
        << verb << ": " << refused.err;
    EXPECT_TRUE(absl::StrContains(refused.err, "program.currency"))
        << refused.err;
  }
}

TEST_F(RulesCtlTest, DiffOfAFileShowsItsYamlLinesAgainstTheActiveVersion) {
  const std::string loaded = Write("loaded.yaml", testing::RulesYaml(100, 40));
  Ok({"rules", "load", loaded, "--request-id", "rules-1"});
  const std::string edited = Write(
      "edited.yaml", "# two points per euro\n" + testing::RulesYaml(50, 40));
  CtlResult diff = Ctl({"rules", "diff", edited});
  EXPECT_EQ(diff.exit_code, 1) << Printed(diff);
  EXPECT_TRUE(absl::StrContains(diff.out, "\n+++ " + edited + "\n")) << diff.out;
  EXPECT_TRUE(absl::StrContains(diff.out, "\n+# two points per euro\n"))
      << diff.out;
  EXPECT_TRUE(absl::StrContains(diff.out, "\n-  per_minor: 100\n")) << diff.out;
  EXPECT_TRUE(absl::StrContains(diff.out, "\n+  per_minor: 50\n")) << diff.out;
  diff = Ctl({"rules", "diff", loaded});
  EXPECT_EQ(diff.exit_code, 0) << Printed(diff);
  diff = Ctl({"rules", "diff", served_.dir().Sub("missing.yaml")});
  EXPECT_EQ(diff.exit_code, 2) << Printed(diff);
}

TEST_F(RulesCtlTest, TierProgressOfSpendIsPrintedInCurrencyUnits) {
  const std::string tiers = Write(
      "tiers.yaml", testing::RulesYaml() +
                        "tiers:\n  measure: spend\n  window: rolling\n"
                        "  window_days: 365\n  levels:\n"
                        "    - {id: member, threshold: 0}\n"
                        "    - {id: silver, threshold: 200.00}\n");
  Ok({"rules", "load", tiers, "--request-id", "rules-tiers"});
  Sale();  // 3.50 EUR
  const std::string balance = Ok({"member", "balance", "ann"});
  EXPECT_TRUE(absl::StrContains(balance, "3.50 EUR spend in the window"))
      << balance;
  EXPECT_TRUE(absl::StrContains(balance, "silver at 200.00 EUR, 196.50 EUR to go"))
      << balance;
  // --json keeps minor units, as proto3 JSON has them.
  const std::string json = Ok({"member", "balance", "ann", "--json"});
  EXPECT_TRUE(absl::StrContains(json, "\"nextThreshold\": \"20000\"")) << json;
}

// The words of a line of the figures table that starts with `name`.
std::vector<std::string> FigureLine(const std::string& out,
                                    const std::string& name) {
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (!absl::StartsWith(line, name + "  ")) continue;
    return absl::StrSplit(line.substr(name.size()), ' ', absl::SkipEmpty());
  }
  return {};
}

TEST_F(RulesCtlTest, SimulatePrintsTheComparisonAsATableAndAsJson) {
  Sale();  // 3.50 EUR: 3 points at 1 a euro, 7 at 1 per 0.50
  const std::string half = Write("half.yaml", testing::RulesYaml(50));
  const std::vector<std::string> args = {
      "rules", "simulate", half, "--from", "2000-01-01", "--to", "2099-12-31"};
  const std::string table = Ok(args);
  EXPECT_EQ(FigureLine(table, "points issued"),
            (std::vector<std::string>{"3", "7", "+4"}))
      << table;
  EXPECT_EQ(FigureLine(table, "sales"), (std::vector<std::string>{"1", "1"}))
      << table;
  EXPECT_TRUE(absl::StrContains(table, "Sales priced differently: 1")) << table;
  EXPECT_TRUE(absl::StrContains(table, "order A-1  member ann")) << table;
  std::vector<std::string> json_args = args;
  json_args.insert(json_args.begin(), "--json");
  const std::string json = Ok(json_args);
  v1::SimulateRulesResponse response;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &response).ok())
      << json;
  EXPECT_TRUE(response.done());
  EXPECT_EQ(response.report().recorded().points_issued(), 3);
  EXPECT_EQ(response.report().candidate().points_issued(), 7);
  // A file with a mistake is refused with its file and line.
  const std::string bad = Write(
      "bad.yaml", absl::StrReplaceAll(testing::RulesYaml(),
                                      {{"per_minor: 100", "per_minor: 1.00"}}));
  const CtlResult refused = Ctl(
      {"rules", "simulate", bad, "--from", "2000-01-01", "--to", "2099-12-31"});
  EXPECT_EQ(refused.exit_code, 1) << Printed(refused);
  EXPECT_TRUE(absl::StrContains(refused.err, "INVALID_RULES")) << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, bad + ":7: earn.per_minor"))
      << refused.err;
}

}  // namespace
}  // namespace loyalty
