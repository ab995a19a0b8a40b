// The real loyaltyctl binary against an in-process loyaltyd (RocksDB in a
// temp dir, gRPC on loopback): the README walk-through, errors and exit
// codes, help, rule files (validate, load, show, diff), export and verify,
// metrics, feedback, backups, refunds and adjustments; then over TLS with
// API keys: roles, key create, list and revoke.
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "loyalty/v1/audit.pb.h"
#include "loyalty/v1/checkout.pb.h"
#include "loyalty/v1/members.pb.h"
#include "loyalty/v1/program.pb.h"
#include "tests/support/test_rules.h"
#include "tests/support/tls_files.h"
#include "tests/tools/ctl_fixture.h"

namespace loyalty {
namespace {

using testing::CtlResult;
using testing::Printed;

using testing::Field;

// `json` (what --json printed) as a message of type T.
template <typename T>
T FromJson(const std::string& json) {
  T message;
  const auto status =
      google::protobuf::util::JsonStringToMessage(json, &message);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return message;
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// The README walk-through's enrollment, sale and quote.
// clang-format off
const std::vector<std::string> kEnroll = {
    "member", "enroll", "--id", "ann", "--name", "Ann Lee",
    "--request-id", "enroll-ann"};
const std::vector<std::string> kCommit = {
    "checkout", "commit", "--member", "ann", "--order", "A-1001",
    "--line", "coffee:2:350:drinks", "--line", "cake:1:1450:bakery",
    "--request-id", "sale-A-1001"};
const std::vector<std::string> kQuote = {
    "checkout", "quote", "--member", "ann", "--order", "A-1002",
    "--line", "coffee:1:350", "--redeem", "21"};
// clang-format on

class LoyaltyctlTest : public testing::CtlTest {
 protected:
  void EnrollAndBuy() {
    Ok(kEnroll);
    Ok(kCommit);
  }

  // Exports the ledger in `format`; returns the file's path.
  std::string Export(const std::string& format) {
    const std::string path = served_.dir().Sub("ledger." + format);
    Ok({"export", "--format", format, "--out", path});
    return path;
  }
};

TEST_F(LoyaltyctlTest, WalkThroughPrintsTheDocumentedFigures) {
  const std::string enrolled = Ok(kEnroll);
  EXPECT_EQ(Field(enrolled, "member"), "ann");
  EXPECT_EQ(Field(enrolled, "name"), "Ann Lee");

  // 2 x 3.50 + 14.50 = 21.50 EUR earns 21 points.
  const std::string sale = Ok(kCommit);
  EXPECT_FALSE(Field(sale, "transaction").empty()) << sale;
  EXPECT_EQ(Field(sale, "subtotal"), "21.50 EUR");
  EXPECT_EQ(Field(sale, "total due"), "21.50 EUR");
  EXPECT_EQ(Field(sale, "points earned"), "21");
  EXPECT_EQ(Field(sale, "points available"), "21");

  // The 21 points pay 0.21 EUR of a 3.50 EUR basket; 3.29 EUR earns 3.
  const std::string quote = Ok(kQuote);
  EXPECT_EQ(Field(quote, "points redeemed"), "21 (0.21 EUR)");
  EXPECT_EQ(Field(quote, "total due"), "3.29 EUR");
  EXPECT_EQ(Field(quote, "points earned"), "3");

  const std::string balance = Ok({"member", "balance", "ann"});
  EXPECT_EQ(Field(balance, "member"), "ann");
  EXPECT_EQ(Field(balance, "points available"), "21");

  const std::string history = Ok({"member", "history", "ann"});
  ASSERT_TRUE(absl::StartsWith(history, "SEQ")) << history;
  bool found_sale = false;
  for (const std::string& line : Lines(history)) {
    if (absl::StrContains(line, "A-1001")) {
      found_sale = true;
      EXPECT_TRUE(absl::StrContains(line, "purchase")) << line;
      EXPECT_TRUE(absl::StrContains(line, "+21 PTS")) << line;
    }
  }
  EXPECT_TRUE(found_sale) << history;
}

TEST_F(LoyaltyctlTest, WalkThroughJsonHoldsTheSameFigures) {
  std::vector<std::string> enroll = kEnroll;
  enroll.push_back("--json");
  const auto enrolled = FromJson<v1::EnrollMemberResponse>(Ok(enroll));
  EXPECT_EQ(enrolled.member().member_id(), "ann");

  std::vector<std::string> commit = kCommit;
  commit.push_back("--json");
  const auto sale = FromJson<v1::CommitPurchaseResponse>(Ok(commit));
  EXPECT_FALSE(sale.transaction_id().empty());
  EXPECT_EQ(sale.priced().total_due_minor(), 2150);
  EXPECT_EQ(sale.priced().points_earned(), 21);
  EXPECT_EQ(sale.balance().points_available(), 21);

  std::vector<std::string> quote = kQuote;
  quote.push_back("--json");
  const auto quoted = FromJson<v1::QuotePurchaseResponse>(Ok(quote));
  EXPECT_EQ(quoted.priced().redeemed_points(), 21);
  EXPECT_EQ(quoted.priced().redeemed_value_minor(), 21);
  EXPECT_EQ(quoted.priced().total_due_minor(), 329);

  const auto balance = FromJson<v1::GetBalanceResponse>(
      Ok({"member", "balance", "ann", "--json"}));
  EXPECT_EQ(balance.balance().points_available(), 21);

  const auto history = FromJson<v1::ListEntriesResponse>(
      Ok({"--json", "member", "history", "ann"}));
  int purchases = 0;
  for (const v1::JournalEntry& entry : history.entries()) {
    if (entry.kind() == v1::ENTRY_KIND_PURCHASE) {
      ++purchases;
      EXPECT_EQ(entry.order_id(), "A-1001");
    }
  }
  EXPECT_EQ(purchases, 1);
}

TEST_F(LoyaltyctlTest, RetryWithTheSameRequestIdReturnsTheSameTransaction) {
  Ok(kEnroll);
  std::vector<std::string> commit = kCommit;
  commit.push_back("--json");
  const auto first = FromJson<v1::CommitPurchaseResponse>(Ok(commit));
  const auto retry = FromJson<v1::CommitPurchaseResponse>(Ok(commit));
  EXPECT_EQ(retry.transaction_id(), first.transaction_id());
  EXPECT_EQ(Field(Ok({"member", "balance", "ann"}), "points available"), "21");
  // Without --request-id, a generated id is announced for the retry.
  const std::string generated =
      Ok({"checkout", "commit", "--member", "ann", "--order", "A-1003",
          "--line", "tea:1:200"});
  EXPECT_TRUE(absl::StartsWith(generated, "request id: ")) << generated;
}

TEST_F(LoyaltyctlTest, FailedCallsPrintTheReasonAndExitOne) {
  CtlResult unknown = Ctl({"member", "balance", "nobody"});
  EXPECT_EQ(unknown.exit_code, 1) << Printed(unknown);
  EXPECT_TRUE(absl::StartsWith(unknown.err, "error: NOT_FOUND: "))
      << unknown.err;
  EXPECT_TRUE(absl::StrContains(unknown.err, "reason: UNKNOWN_MEMBER"))
      << unknown.err;

  unknown = Ctl({"member", "balance", "nobody", "--json"});
  EXPECT_EQ(unknown.exit_code, 1) << Printed(unknown);
  EXPECT_TRUE(absl::StrContains(unknown.out, "\"code\": \"NOT_FOUND\""));
  EXPECT_TRUE(absl::StrContains(unknown.out, "\"reason\": \"UNKNOWN_MEMBER\""));

  // The sale's request id reused for another basket.
  EnrollAndBuy();
  std::vector<std::string> other = kCommit;
  other[7] = "coffee:3:350:drinks";
  const CtlResult reused = Ctl(other);
  EXPECT_EQ(reused.exit_code, 1) << Printed(reused);
  EXPECT_TRUE(absl::StartsWith(reused.err, "error: ALREADY_EXISTS: "))
      << reused.err;
  EXPECT_TRUE(absl::StrContains(reused.err, "REQUEST_ID_REUSED")) << reused.err;

  const CtlResult no_server =
      testing::RunCtl(served_.dir().path(), {"--server", "127.0.0.1:1", "--timeout",
                                             "5", "member", "balance", "ann"});
  EXPECT_EQ(no_server.exit_code, 1) << Printed(no_server);
  EXPECT_TRUE(absl::StartsWith(no_server.err, "error: UNAVAILABLE: "))
      << no_server.err;
}

TEST_F(LoyaltyctlTest, UsageErrorsExitTwo) {
  const std::vector<std::vector<std::string>> mistakes = {
      {},
      {"nonsense"},
      {"member"},
      {"member", "balance"},
      {"member", "balance", "ann", "extra"},
      {"checkout", "commit", "--member", "ann", "--order", "A"},
      {"checkout", "quote", "--member", "ann", "--order", "A", "--line",
       "coffee:two:350"},
      {"member", "balance", "ann", "--bogus"},
      {"member", "balance", "ann", "--timeout", "0"},
      {"member", "balance", "ann", "--api-key", "k", "--api-key-file", "f"},
      {"member", "balance", "ann", "--tls-cert", "c.pem", "--tls-key", "c.key"},
      {"member", "balance", "ann", "--tls-ca", "ca.pem", "--tls-cert", "c"},
      {"member", "balance", "ann", "--api-key="},
      {"key", "create"},
      {"key", "create", "--role", "superuser"},
      {"key", "revoke"},
      {"key", "revoke", "lk_abc_secret"},
      {"export", "--format", "xml", "--out", "x"},
      {"feedback", "record", "--survey", "nps"},
      {"rules", "validate"},
      {"rules", "load"},
      {"rules", "load", "x.yaml", "--activate-at", "tomorrow"},
      {"rules", "diff", "active"},
      {"rules", "diff", "a", "b", "c"},
      {"rules", "diff", "a", "b", "--context", "-1"},
      {"rules", "show", "a", "b"},
      {"checkout", "refund", "--line", "0:1"},
      {"checkout", "refund", "--order", "A", "--line", "0"},
      {"checkout", "refund", "--order", "A", "--line", "first:1"},
      {"member", "adjust", "--points", "5", "--reason", "GOODWILL"},
      {"member", "adjust", "ann", "--points", "5"},
      {"member", "adjust", "ann", "--reason", "GOODWILL"},
      {"member", "adjust", "ann", "--points", "five", "--reason", "GOODWILL"},
      {"member", "adjust", "ann", "--points", "5", "--cashback", "1.50",
       "--reason", "GOODWILL"},
  };
  for (const std::vector<std::string>& args : mistakes) {
    const CtlResult result = Ctl(args);
    EXPECT_EQ(result.exit_code, 2) << absl::StrJoin(args, " ") << "\n"
                                   << Printed(result);
    EXPECT_TRUE(absl::StartsWith(result.err, "error: "))
        << absl::StrJoin(args, " ") << "\n"
        << result.err;
  }
}

TEST_F(LoyaltyctlTest, EveryVerbsHelpExitsZeroAndShowsAnExample) {
  const std::string top = Ok({"--help"});
  const std::vector<std::string> verbs = testing::VerbsOf(top);
  for (const char* expected :
       {"member enroll",   "member balance",  "member history",
        "checkout quote",  "checkout commit", "feedback record",
        "metrics",         "export",          "verify",
        "backup create",   "backup restore",  "key create",
        "key list",        "key revoke",      "rules validate",
        "rules load",      "rules show",      "rules diff",
        "checkout refund", "member adjust",   "reward list",
        "reward redeem"}) {
    EXPECT_NE(std::find(verbs.begin(), verbs.end(), expected), verbs.end())
        << expected << "\n"
        << top;
  }
  for (const std::string& verb : verbs) {
    std::vector<std::string> args = absl::StrSplit(verb, ' ');
    args.push_back("--help");
    const CtlResult help = Ctl(args);
    EXPECT_EQ(help.exit_code, 0) << verb << "\n" << Printed(help);
    EXPECT_TRUE(absl::StrContains(help.out, "Example:\n  loyaltyctl " + verb))
        << help.out;
    for (const char* flag :
         {"--api-key KEY", "--api-key-file FILE", "--tls-ca FILE",
          "--tls-cert FILE", "--tls-key FILE", "--tls-server-name NAME"}) {
      EXPECT_TRUE(absl::StrContains(help.out, flag)) << verb << ": " << flag;
    }
  }
  EXPECT_TRUE(absl::StrContains(Ok({"key", "--help"}), "key revoke KEY_ID"));
  EXPECT_TRUE(absl::StrContains(Ok({"rules", "--help"}), "rules diff [FILE|V1 V2]"));
  EXPECT_TRUE(absl::StrContains(Ok({"rules", "diff", "--help"}),
                                "protobuf text format"));
  const std::string refund = Ok({"checkout", "refund", "--help"});
  EXPECT_TRUE(absl::StrContains(refund, "Line indexes count from 0")) << refund;
  EXPECT_TRUE(absl::StrContains(refund, "--line 0:1")) << refund;
}

// The test rules with 1 point per `per_minor` paid and points paying 40% of
// a basket (the server starts with 50%: another version), written to
// `name`; returns its path.
std::string RulesYaml(int per_minor) {
  return testing::RulesYaml(per_minor, 40);
}

std::string WriteRules(const testing::TempDir& dir, const std::string& name,
                       int per_minor) {
  const std::string path = dir.Sub(name);
  WriteFile(path, RulesYaml(per_minor));
  return path;
}

// The line of `rules show` that lists `version`, or "" if none does.
std::string ShowLine(const std::string& show, const std::string& version) {
  for (const std::string& line : Lines(show)) {
    if (absl::StartsWith(line, version + " ")) return line;
  }
  return "";
}

TEST_F(LoyaltyctlTest, RulesValidateAcceptsAGoodFileAndNamesBadLines) {
  const std::string good =
      absl::StrCat(LOYALTY_SOURCE_DIR, "/rules/examples/coffee-chain.yaml");
  const std::string ok = Ok({"rules", "validate", good});
  EXPECT_TRUE(absl::StartsWith(ok, absl::StrCat("OK: ", good,
                                                " is valid (version ")))
      << ok;

  // An unknown key on line 13, after the 12 lines of the test rules.
  const std::string bad = served_.dir().Sub("typo.yaml");
  WriteFile(bad, testing::RulesYaml() + "  colour: blue\n");
  CtlResult result = Ctl({"rules", "validate", bad});
  EXPECT_EQ(result.exit_code, 1) << Printed(result);
  EXPECT_TRUE(absl::StartsWith(result.out, bad + ":13: ")) << result.out;
  EXPECT_TRUE(absl::StrContains(result.out, "unknown key 'colour'"))
      << result.out;

  result = Ctl({"rules", "validate", bad, "--json"});
  EXPECT_EQ(result.exit_code, 1) << Printed(result);
  const auto response = FromJson<v1::ValidateRulesResponse>(result.out);
  ASSERT_EQ(response.problems_size(), 1) << result.out;
  EXPECT_TRUE(absl::StartsWith(response.problems(0), bad + ":13: "));

  result = Ctl({"rules", "validate", served_.dir().Sub("missing.yaml")});
  EXPECT_EQ(result.exit_code, 1) << Printed(result);
  EXPECT_TRUE(absl::StartsWith(result.err, "error: NOT_FOUND: cannot read "))
      << result.err;
}

TEST_F(LoyaltyctlTest, RulesLoadShowsActiveThenScheduledAndDiffShowsTheRate) {
  const std::string first = WriteRules(served_.dir(), "one-per-euro.yaml", 100);
  const std::string loaded =
      Ok({"rules", "load", first, "--request-id", "rules-1"});
  const std::string active = Field(loaded, "version");
  ASSERT_EQ(active.size(), 16u) << loaded;
  const auto start_rules =
      FromJson<v1::GetRulesResponse>(Ok({"rules", "show", "--json"}));
  ASSERT_EQ(start_rules.versions_size(), 2);
  EXPECT_NE(start_rules.versions(0).version(), active);
  EXPECT_EQ(Field(loaded, "source"), first);
  EXPECT_NE(Field(loaded, "activation"), "-");
  EXPECT_TRUE(absl::StrContains(loaded, "Active: ")) << loaded;
  std::string show = Ok({"rules", "show"});
  ASSERT_TRUE(absl::StartsWith(show, "VERSION")) << show;
  EXPECT_TRUE(absl::StrContains(ShowLine(show, active), " ACTIVE ")) << show;
  EXPECT_EQ(Lines(show).size(), 3u) << show;  // header, start rules, this

  // Two points per euro, from an hour from now.
  const std::string second = WriteRules(served_.dir(), "two-per-euro.yaml", 50);
  const std::string in_an_hour =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now() + absl::Hours(1),
                       absl::UTCTimeZone());
  const std::string scheduled_out =
      Ok({"rules", "load", second, "--activate-at", in_an_hour});
  const std::string scheduled = Field(scheduled_out, "version");
  EXPECT_EQ(Field(scheduled_out, "activation"), in_an_hour) << scheduled_out;
  EXPECT_TRUE(absl::StrContains(scheduled_out, "Scheduled: ")) << scheduled_out;
  show = Ok({"rules", "show"});
  EXPECT_TRUE(absl::StrContains(ShowLine(show, active), " ACTIVE ")) << show;
  EXPECT_TRUE(absl::StrContains(ShowLine(show, scheduled), " scheduled "))
      << show;

  // The earn rate: "per_minor: 100" goes, "per_minor: 50" comes.
  CtlResult diff = Ctl({"rules", "diff", "active", scheduled});
  EXPECT_EQ(diff.exit_code, 1) << Printed(diff);
  EXPECT_TRUE(absl::StartsWith(diff.out, "--- " + active)) << diff.out;
  EXPECT_TRUE(absl::StrContains(diff.out, "\n+++ " + scheduled)) << diff.out;
  EXPECT_TRUE(absl::StrContains(diff.out, "\n-  per_minor: 100\n")) << diff.out;
  EXPECT_TRUE(absl::StrContains(diff.out, "\n+  per_minor: 50\n")) << diff.out;
  EXPECT_TRUE(absl::StrContains(diff.out, "\n   points: 1\n")) << diff.out;

  for (const std::string& same : {active, std::string("active")}) {
    diff = Ctl({"rules", "diff", same, active});
    EXPECT_EQ(diff.exit_code, 0) << Printed(diff);
  }
  diff = Ctl({"rules", "diff", "active", "0123456789abcdef"});
  EXPECT_EQ(diff.exit_code, 2) << Printed(diff);
  EXPECT_TRUE(absl::StartsWith(diff.err, "error: NOT_FOUND: ")) << diff.err;

  // A version loaded from a file shows that file, as it was.
  EXPECT_EQ(Ok({"rules", "show", scheduled}), RulesYaml(50));
  EXPECT_EQ(Ok({"rules", "show", "active"}), RulesYaml(100));
  const auto json =
      FromJson<v1::RuleSetVersion>(Ok({"rules", "show", scheduled, "--json"}));
  EXPECT_EQ(json.rule_set().earn().per_minor(), 50);
}

TEST_F(LoyaltyctlTest, RulesShowPrintsTheStartRulesInTextFormat) {
  // The rules loyaltyd started with are stored without a file text.
  const auto rules =
      FromJson<v1::GetRulesResponse>(Ok({"rules", "show", "--json"}));
  ASSERT_EQ(rules.versions_size(), 1);
  const std::string shown = Ok({"rules", "show", rules.active_version()});
  EXPECT_TRUE(absl::StrContains(shown, "earn {\n  points: 1\n")) << shown;
  EXPECT_TRUE(absl::StrContains(shown, "per_minor: 100")) << shown;
}

TEST_F(LoyaltyctlTest, RulesLoadOfABadFilePrintsItsProblemsAndStoresNothing) {
  const std::string bad = served_.dir().Sub("bad.yaml");
  WriteFile(bad, testing::RulesYaml() + "  colour: blue\nextra: 1\n");
  const CtlResult result =
      Ctl({"rules", "load", bad, "--request-id", "rules-bad"});
  EXPECT_EQ(result.exit_code, 1) << Printed(result);
  EXPECT_TRUE(absl::StartsWith(result.err, "error: INVALID_ARGUMENT: " + bad))
      << result.err;
  const std::vector<std::string> lines = Lines(result.err);
  ASSERT_EQ(lines.size(), 3u) << result.err;
  EXPECT_TRUE(absl::StartsWith(lines[1], bad + ":")) << result.err;
  EXPECT_TRUE(absl::StartsWith(lines[2], bad + ":")) << result.err;
  EXPECT_EQ(Lines(Ok({"rules", "show"})).size(), 2u);
}

TEST_F(LoyaltyctlTest, VerifyAcceptsAnExportAndNamesTheEntryChanged) {
  EnrollAndBuy();
  Ok({"checkout", "commit", "--member", "ann", "--order", "A-1002", "--line",
      "coffee:1:350", "--redeem", "21", "--request-id", "sale-A-1002"});
  const std::string path = Export("jsonl");
  const std::string verified = Ok({"verify", path});
  EXPECT_TRUE(absl::StartsWith(verified, "OK: ")) << verified;

  // One character of the first sale's line: order A-1001 becomes A-1009.
  std::vector<std::string> lines = Lines(testing::ReadWholeFile(path));
  int64_t changed_sequence = 0;
  for (std::string& line : lines) {
    const size_t at = line.find("A-1001");
    if (at == std::string::npos) continue;
    changed_sequence = FromJson<v1::JournalEntry>(line).sequence();
    line[at + 5] = '9';
    break;
  }
  ASSERT_GT(changed_sequence, 0);
  WriteFile(path, absl::StrCat(absl::StrJoin(lines, "\n"), "\n"));
  const CtlResult bad = Ctl({"verify", path});
  EXPECT_EQ(bad.exit_code, 1) << Printed(bad);
  EXPECT_TRUE(absl::StartsWith(
      bad.out, absl::StrCat("BAD: entry ", changed_sequence, ": ")))
      << bad.out;
}

TEST_F(LoyaltyctlTest, CsvExportHasAHeaderAndOneRowPerPosting) {
  EnrollAndBuy();
  int expected_rows = 0;
  for (const std::string& line :
       Lines(testing::ReadWholeFile(Export("jsonl")))) {
    // An entry without postings still has its row.
    expected_rows +=
        std::max(1, FromJson<v1::JournalEntry>(line).postings_size());
  }
  const std::vector<std::string> rows =
      Lines(testing::ReadWholeFile(Export("csv")));
  ASSERT_FALSE(rows.empty());
  EXPECT_TRUE(absl::StartsWith(rows[0], "sequence,record_time,")) << rows[0];
  EXPECT_EQ(static_cast<int>(rows.size()) - 1, expected_rows);
  EXPECT_GE(expected_rows, 2);  // the sale moves points at least
}

TEST_F(LoyaltyctlTest, MetricsShowThePurchasesAndFeedbackIsRecorded) {
  EnrollAndBuy();
  Ok({"checkout", "commit", "--member", "ann", "--order", "A-1002", "--line",
      "coffee:1:350", "--request-id", "sale-A-1002"});
  const std::string feedback =
      Ok({"feedback", "record", "--survey", "nps", "--score", "9", "--member",
          "ann", "--order", "A-1001", "--channel", "pos", "--request-id",
          "nps-A-1001"});
  EXPECT_FALSE(Field(feedback, "transaction").empty()) << feedback;
  EXPECT_EQ(Field(feedback, "score"), "9");

  const auto metrics =
      FromJson<v1::GetProgramMetricsResponse>(Ok({"metrics", "--json"}));
  ASSERT_EQ(metrics.rows_size(), 1) << metrics.DebugString();
  EXPECT_EQ(metrics.rows(0).purchases(), 2);
  EXPECT_EQ(metrics.rows(0).points_issued(), 21 + 3);
  EXPECT_EQ(metrics.rows(0).revenue_minor(), 2150 + 350);
  EXPECT_EQ(metrics.surveys().nps_answers(), 1);
  EXPECT_EQ(metrics.surveys().promoters(), 1);
  const std::string table = Ok({"metrics"});
  EXPECT_TRUE(absl::StrContains(table, "PURCHASES")) << table;
}

TEST_F(LoyaltyctlTest, BackupCreateThenRestoreAuditsOk) {
  EnrollAndBuy();
  const std::string backup_dir = served_.dir().Sub("backup");
  const std::string created = Ok({"backup", "create", "--dir", backup_dir});
  EXPECT_FALSE(Field(created, "backup id").empty()) << created;
  const std::string restored = Ok({"backup", "restore", "--from", backup_dir,
                                   "--data-dir", served_.dir().Sub("restored/data")});
  EXPECT_TRUE(absl::StrContains(restored, "OK: the restored ledger verifies"))
      << restored;
  EXPECT_EQ(Field(restored, "members checked"), "1") << restored;
}

// "21.50 EUR" or "21.50" (as loyaltyctl prints money) in minor units, or -1.
int64_t MinorUnits(const std::string& printed) {
  const std::vector<std::string> words = absl::StrSplit(printed, ' ');
  int64_t minor = -1;
  if (words.empty() ||
      !absl::SimpleAtoi(absl::StrReplaceAll(words[0], {{".", ""}}), &minor)) {
    return -1;
  }
  return minor;
}

TEST_F(LoyaltyctlTest, RefundsByLineThenTheRestAddUpToTheSale) {
  Ok(kEnroll);
  const std::string before =
      Field(Ok({"member", "balance", "ann"}), "points available");
  // Line 0: two coffees at 3.50; line 1: a cake at 14.50.
  const std::string sale = Ok(kCommit);
  const int64_t total_due = MinorUnits(Field(sale, "total due"));
  ASSERT_EQ(total_due, 2150) << sale;

  const std::vector<std::string> one_coffee = {
      "checkout", "refund", "--order", "A-1001",       "--member",
      "ann",      "--line", "0:1",     "--request-id", "refund-A-1001-1"};
  const std::string first = Ok(one_coffee);
  EXPECT_FALSE(Field(first, "transaction").empty()) << first;
  EXPECT_EQ(MinorUnits(Field(first, "subtotal refunded")), 350) << first;
  EXPECT_EQ(MinorUnits(Field(first, "money back")), 350) << first;
  EXPECT_EQ(Field(first, "points taken back"), "3") << first;  // 21 x 350/2150
  EXPECT_EQ(Field(first, "points given back"), "0") << first;
  EXPECT_EQ(Field(first, "points short"), "") << first;
  EXPECT_EQ(Field(first, "points available"), "18") << first;
  // A retry answers with the same refund and refunds nothing more.
  EXPECT_EQ(Field(Ok(one_coffee), "transaction"), Field(first, "transaction"));

  const std::string rest = Ok({"checkout", "refund", "--order", "A-1001",
                               "--request-id", "refund-A-1001-2"});
  EXPECT_EQ(MinorUnits(Field(rest, "subtotal refunded")), 1800) << rest;
  EXPECT_EQ(MinorUnits(Field(first, "money back")) +
                MinorUnits(Field(rest, "money back")),
            total_due)
      << first << rest;
  EXPECT_EQ(Field(rest, "points taken back"), "18") << rest;
  EXPECT_EQ(Field(rest, "points available"), before) << rest;
  EXPECT_EQ(Field(Ok({"member", "balance", "ann"}), "points available"),
            before);

  CtlResult again = Ctl({"checkout", "refund", "--order", "A-1001",
                         "--request-id", "refund-A-1001-3"});
  EXPECT_EQ(again.exit_code, 1) << Printed(again);
  EXPECT_TRUE(absl::StartsWith(again.err, "error: FAILED_PRECONDITION: "))
      << again.err;
  EXPECT_TRUE(absl::StrContains(again.err, "reason: ALREADY_REFUNDED"))
      << again.err;
  again = Ctl({"checkout", "refund", "--order", "A-1001", "--request-id",
               "refund-A-1001-4", "--json"});
  EXPECT_EQ(again.exit_code, 1) << Printed(again);
  EXPECT_TRUE(absl::StrContains(again.out, "\"reason\": \"ALREADY_REFUNDED\""))
      << again.out;
}

TEST_F(LoyaltyctlTest, RefundJsonHoldsTheAmounts) {
  EnrollAndBuy();
  const auto refund = FromJson<v1::RefundPurchaseResponse>(
      Ok({"checkout", "refund", "--order", "A-1001", "--line", "1:1",
          "--request-id", "refund-cake", "--json"}));
  EXPECT_FALSE(refund.transaction_id().empty());
  EXPECT_EQ(refund.refunded().money_minor(), 1450);
  EXPECT_EQ(refund.refunded().points_reversed(), 21 * 1450 / 2150);
  EXPECT_EQ(refund.balance().points_available(), 21 - 21 * 1450 / 2150);
}

TEST_F(LoyaltyctlTest, RefundShowsHowPointsSpentAlreadyWereSettled) {
  EnrollAndBuy();
  // The 21 points earned pay part of a second sale, which earns 3.
  Ok({"checkout", "commit", "--member", "ann", "--order", "A-1002", "--line",
      "coffee:1:350", "--redeem", "21", "--request-id", "sale-A-1002"});
  const std::string refund = Ok({"checkout", "refund", "--order", "A-1001",
                                 "--request-id", "refund-A-1001"});
  EXPECT_EQ(Field(refund, "points taken back"), "21") << refund;
  EXPECT_EQ(Field(refund, "points short"), "18 (spent already)") << refund;
  // The test rule set's clawback policy is the default: a negative balance.
  EXPECT_EQ(Field(refund, "settled"), "18 left as a negative balance")
      << refund;
  EXPECT_EQ(Field(refund, "points available"), "-18") << refund;
}

TEST_F(LoyaltyctlTest, AdjustCreditsAndCorrectsWithAReason) {
  Ok(kEnroll);
  // The test rule set lists no adjustment_reasons: the engine's defaults
  // (GOODWILL, CORRECTION, ...) apply.
  const CtlResult credit =
      Ctl({"member", "adjust", "ann", "--points", "250", "--reason", "GOODWILL",
           "--note", "parcel 3 days late", "--request-id", "adjust-ann-1"});
  if (credit.exit_code == 1 &&
      absl::StartsWith(credit.err, "error: UNIMPLEMENTED: ")) {
    GTEST_SKIP() << "Program.AdjustBalance answers UNIMPLEMENTED on this "
                    "server; enable this test once it lands";
  }
  ASSERT_EQ(credit.exit_code, 0) << Printed(credit);
  EXPECT_FALSE(Field(credit.out, "transaction").empty()) << credit.out;
  EXPECT_EQ(Field(credit.out, "points"), "+250") << credit.out;
  EXPECT_EQ(Field(credit.out, "reason"), "GOODWILL") << credit.out;
  EXPECT_EQ(Field(credit.out, "note"), "parcel 3 days late") << credit.out;
  EXPECT_EQ(Field(credit.out, "points available"), "250") << credit.out;

  const auto correction = FromJson<v1::AdjustBalanceResponse>(
      Ok({"member", "adjust", "ann", "--points", "-50", "--reason",
          "CORRECTION", "--request-id", "adjust-ann-2", "--json"}));
  EXPECT_FALSE(correction.transaction_id().empty());
  EXPECT_EQ(correction.balance().points_available(), 200);

  const std::string cashback =
      Ok({"member", "adjust", "ann", "--points", "0", "--cashback", "500",
          "--reason", "GOODWILL", "--request-id", "adjust-ann-3"});
  EXPECT_EQ(Field(cashback, "cashback"), "+5.00 EUR") << cashback;
  EXPECT_EQ(Field(cashback, "cashback EUR"), "5.00 EUR") << cashback;

  CtlResult bad = Ctl({"member", "adjust", "ann", "--points", "10", "--reason",
                       "BECAUSE", "--request-id", "adjust-ann-4"});
  EXPECT_EQ(bad.exit_code, 1) << Printed(bad);
  EXPECT_TRUE(absl::StartsWith(bad.err, "error: INVALID_ARGUMENT: "))
      << bad.err;
  EXPECT_TRUE(absl::StrContains(bad.err, "field: reason_code")) << bad.err;

  // A correction never takes the balance below zero.
  bad = Ctl({"member", "adjust", "ann", "--points", "-1000", "--reason",
             "CORRECTION", "--request-id", "adjust-ann-5"});
  EXPECT_EQ(bad.exit_code, 1) << Printed(bad);
  EXPECT_TRUE(absl::StartsWith(bad.err, "error: FAILED_PRECONDITION: "))
      << bad.err;
  EXPECT_EQ(Field(Ok({"member", "balance", "ann"}), "points available"), "200");
}

// Over TLS, with API keys required, as loyaltyd runs by default.
class LoyaltyctlSecurityTest : public testing::CtlTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tls_.Make()) << "the openssl command is needed";
    server::ServerOptions options = testing::ServedOptions();
    options.tls =
        server::TlsFiles{tls_.Path("server.pem"), tls_.Path("server.key"),
                         mutual_ ? tls_.Path("ca.pem") : ""};
    options.require_api_keys = true;
    ASSERT_NO_FATAL_FAILURE(served_.Start(options));
    ASSERT_FALSE(served_.server().created_admin_key().empty());
    admin_key_file_ = served_.dir().Sub("data/ADMIN_KEY");
    ASSERT_EQ(testing::ReadWholeFile(admin_key_file_),
              served_.server().created_admin_key() + "\n");
  }

  // CtlTest::Ctl runs loyaltyctl at the server; add the key and TLS flags yourself.

  // As the admin, over TLS checked against the test CA.
  CtlResult Admin(std::vector<std::string> args) {
    args.insert(args.end(), {"--api-key-file", admin_key_file_, "--tls-ca",
                             tls_.Path("ca.pem")});
    if (mutual_) {
      args.insert(args.end(), {"--tls-cert", tls_.Path("client.pem"),
                               "--tls-key", tls_.Path("client.key")});
    }
    return Ctl(std::move(args));
  }

  bool mutual_ = false;
  testing::TlsFiles tls_;
  std::string admin_key_file_;
};

TEST_F(LoyaltyctlSecurityTest, KeysGiveRolesUntilRevoked) {
  const std::string ca = tls_.Path("ca.pem");
  CtlResult result = Ctl({"member", "balance", "ann", "--tls-ca", ca});
  EXPECT_EQ(result.exit_code, 1) << Printed(result);
  EXPECT_TRUE(absl::StartsWith(result.err, "error: UNAUTHENTICATED: "))
      << result.err;
  EXPECT_TRUE(absl::StrContains(result.err, "hint: ")) << result.err;

  result = Admin({"member", "enroll", "--id", "ann", "--request-id", "e-ann"});
  ASSERT_EQ(result.exit_code, 0) << Printed(result);

  result = Admin({"key", "create", "--role", "pos", "--name", "till 3",
                  "--request-id", "key-till-3"});
  ASSERT_EQ(result.exit_code, 0) << Printed(result);
  EXPECT_EQ(Field(result.out, "role"), "pos");
  EXPECT_EQ(Field(result.out, "partner"), "-");
  EXPECT_TRUE(absl::StrContains(result.out, "shown only once")) << result.out;
  const std::string pos_key = Field(result.out, "api key");
  const std::string key_id = Field(result.out, "key id");
  ASSERT_EQ(pos_key.rfind("lk_" + key_id + "_", 0), 0u) << result.out;

  // The retry answers with the same key, but never its secret again.
  result = Admin({"key", "create", "--role", "pos", "--name", "till 3",
                  "--request-id", "key-till-3", "--json"});
  ASSERT_EQ(result.exit_code, 0) << Printed(result);
  const auto retry = FromJson<v1::CreateApiKeyResponse>(result.out);
  EXPECT_EQ(retry.key().key_id(), key_id);
  EXPECT_EQ(retry.api_key(), "");

  result =
      Ctl({"member", "balance", "ann", "--api-key", pos_key, "--tls-ca", ca});
  EXPECT_EQ(result.exit_code, 0) << Printed(result);
  EXPECT_EQ(Field(result.out, "points available"), "0");

  result = Ctl({"metrics", "--api-key", pos_key, "--tls-ca", ca});
  EXPECT_EQ(result.exit_code, 1) << Printed(result);
  EXPECT_TRUE(absl::StartsWith(result.err, "error: PERMISSION_DENIED: "))
      << result.err;

  result = Admin({"key", "revoke", key_id, "--request-id", "revoke-till-3"});
  ASSERT_EQ(result.exit_code, 0) << Printed(result);
  EXPECT_EQ(Field(result.out, "revoked"), "yes");

  result =
      Ctl({"member", "balance", "ann", "--api-key", pos_key, "--tls-ca", ca});
  EXPECT_EQ(result.exit_code, 1) << Printed(result);
  EXPECT_TRUE(absl::StartsWith(result.err, "error: UNAUTHENTICATED: "))
      << result.err;

  result = Admin({"key", "list"});
  ASSERT_EQ(result.exit_code, 0) << Printed(result);
  ASSERT_TRUE(absl::StartsWith(result.out, "ID")) << result.out;
  bool listed = false;
  for (const std::string& line : Lines(result.out)) {
    if (!absl::StartsWith(line, key_id)) continue;
    listed = true;
    const std::vector<std::string> columns =
        absl::StrSplit(line, "  ", absl::SkipWhitespace());
    ASSERT_EQ(columns.size(), 6u) << line;
    EXPECT_EQ(absl::StripAsciiWhitespace(columns[1]), "till 3");
    EXPECT_EQ(absl::StripAsciiWhitespace(columns[2]), "pos");
    EXPECT_EQ(absl::StripAsciiWhitespace(columns[4]), "yes");
  }
  EXPECT_TRUE(listed) << result.out;
  const auto listed_json =
      FromJson<v1::ListApiKeysResponse>(Admin({"key", "list", "--json"}).out);
  EXPECT_EQ(listed_json.keys_size(), 2);  // the first admin and till 3
}

TEST_F(LoyaltyctlSecurityTest, TheEnvironmentGivesTheKeyAndTheCa) {
  const CtlResult result =
      Ctl({"key", "list"}, {"LOYALTY_API_KEY=" + served_.server().created_admin_key(),
                            "LOYALTY_TLS_CA=" + tls_.Path("ca.pem")});
  EXPECT_EQ(result.exit_code, 0) << Printed(result);
  EXPECT_TRUE(absl::StrContains(result.out, "first admin")) << result.out;
}

TEST_F(LoyaltyctlSecurityTest, TheServerNameIsChecked) {
  const std::vector<std::string> call = {
      "key",           "list",     "--api-key-file",
      admin_key_file_, "--tls-ca", tls_.Path("ca.pem")};
  std::vector<std::string> args = call;
  args.insert(args.end(), {"--tls-server-name", "localhost"});
  CtlResult result = Ctl(args);
  EXPECT_EQ(result.exit_code, 0) << Printed(result);

  args = call;
  args.insert(args.end(), {"--tls-server-name", "elsewhere.example"});
  result = Ctl(args);
  EXPECT_EQ(result.exit_code, 1) << Printed(result);
  EXPECT_TRUE(absl::StartsWith(result.err, "error: UNAVAILABLE: "))
      << result.err;
}

TEST_F(LoyaltyctlSecurityTest, PlainTextAndBadKeyFilesFail) {
  CtlResult result = Ctl({"key", "list", "--api-key-file", admin_key_file_});
  EXPECT_EQ(result.exit_code, 1) << Printed(result);
  EXPECT_TRUE(absl::StartsWith(result.err, "error: UNAVAILABLE: "))
      << result.err;

  result = Ctl({"key", "list", "--api-key-file", served_.dir().Sub("missing"),
                "--tls-ca", tls_.Path("ca.pem")});
  EXPECT_EQ(result.exit_code, 1) << Printed(result);
  EXPECT_TRUE(absl::StartsWith(result.err,
                               "error: NOT_FOUND: cannot read "
                               "--api-key-file"))
      << result.err;

  const std::string spaced = served_.dir().Sub("spaced-key");
  WriteFile(spaced, "lk_a b_c\n");
  result = Ctl({"key", "list", "--api-key-file", spaced, "--tls-ca",
                tls_.Path("ca.pem")});
  EXPECT_EQ(result.exit_code, 1) << Printed(result);
  EXPECT_TRUE(absl::StartsWith(result.err, "error: INVALID_ARGUMENT: "))
      << result.err;
}

class LoyaltyctlMutualTlsTest : public LoyaltyctlSecurityTest {
 protected:
  LoyaltyctlMutualTlsTest() { mutual_ = true; }
};

TEST_F(LoyaltyctlMutualTlsTest, AClientCertificateIsNeeded) {
  CtlResult result = Ctl({"key", "list", "--api-key-file", admin_key_file_,
                          "--tls-ca", tls_.Path("ca.pem")});
  EXPECT_EQ(result.exit_code, 1) << Printed(result);
  EXPECT_TRUE(absl::StartsWith(result.err, "error: UNAVAILABLE: "))
      << result.err;

  result = Admin({"key", "list"});
  EXPECT_EQ(result.exit_code, 0) << Printed(result);
  EXPECT_TRUE(absl::StrContains(result.out, "first admin")) << result.out;
}

}  // namespace
}  // namespace loyalty
