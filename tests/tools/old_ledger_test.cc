// A ledger written by an older commit, opened by today's loyaltyd: the
// fixture in tests/fixtures/ledger-1 (tools/scripts/make-ledger-fixture.sh
// wrote it with the binaries of the commit before stored shapes began to
// change) holds every kind of journal entry and stored record, and what that
// commit answered. Today's server, its clock set to the moment those answers
// were read, must answer every read the same, replay every write from its
// idempotency record, take new writes, and keep the chain verifiable, also
// after a restart (a migration on open runs once and leaves a ledger that
// opens again).
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/support/data_files.h"
#include "tests/support/served_ledger.h"
#include "tests/support/test_rules.h"
#include "tests/tools/ctl_process.h"

namespace loyalty {
namespace {

using testing::CtlResult;
using testing::ReadWholeFile;

const std::string kFixture =
    std::string(LOYALTY_SOURCE_DIR) + "/tests/fixtures/ledger-1";

// One loyaltyctl call of the fixture and what the old commit answered.
struct Check {
  std::vector<std::string> args;
  int exit_code = 0;
  std::string out;
};

// google.protobuf.Value holds any JSON document; a JSON object's keys are a
// map, so the order of keys does not matter when two are compared.
bool ParseJson(absl::string_view text, google::protobuf::Value* value) {
  return google::protobuf::util::JsonStringToMessage(
             google::protobuf::StringPiece(text.data(), text.size()), value)
      .ok();
}

std::vector<Check> ReadChecks() {
  std::vector<Check> checks;
  const std::string text = ReadWholeFile(kFixture + "/checks.jsonl");
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    google::protobuf::Value value;
    EXPECT_TRUE(ParseJson(line, &value)) << line;
    const auto& fields = value.struct_value().fields();
    Check check;
    for (const auto& arg : fields.at("args").list_value().values()) {
      check.args.push_back(arg.string_value());
    }
    check.exit_code = static_cast<int>(fields.at("exit").number_value());
    check.out = fields.at("out").string_value();
    checks.push_back(std::move(check));
  }
  return checks;
}

// The JSON documents of an answer: the whole of it, or one per line (an
// export in JSON lines).
std::vector<google::protobuf::Value> Documents(const std::string& out) {
  google::protobuf::Value whole;
  if (ParseJson(out, &whole)) return {whole};
  std::vector<google::protobuf::Value> lines;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    google::protobuf::Value value;
    if (!ParseJson(line, &value)) value.set_string_value(std::string(line));
    lines.push_back(std::move(value));
  }
  return lines;
}

bool IsDefault(const google::protobuf::Value& value) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kStringValue:
      return value.string_value().empty() || value.string_value() == "0";
    case google::protobuf::Value::kNumberValue:
      return value.number_value() == 0;
    case google::protobuf::Value::kBoolValue:
      return !value.bool_value();
    case google::protobuf::Value::kListValue:
      return value.list_value().values().empty();
    case google::protobuf::Value::kStructValue:
      return value.struct_value().fields().empty();
    default:
      return true;
  }
}

// `now` without the fields `then` lacks that hold their default (a field a
// later version added to a message, printed at its default): an addition to
// the contract is not a difference, a changed value is.
void DropAddedDefaults(const google::protobuf::Value& then,
                       google::protobuf::Value* now) {
  if (then.has_struct_value() && now->has_struct_value()) {
    auto& fields = *now->mutable_struct_value()->mutable_fields();
    const auto& before = then.struct_value().fields();
    for (auto it = fields.begin(); it != fields.end();) {
      auto old = before.find(it->first);
      if (old == before.end() && IsDefault(it->second)) {
        it = fields.erase(it);
        continue;
      }
      if (old != before.end()) DropAddedDefaults(old->second, &it->second);
      ++it;
    }
  } else if (then.has_list_value() && now->has_list_value()) {
    const int common = std::min(then.list_value().values_size(),
                                now->list_value().values_size());
    for (int i = 0; i < common; ++i) {
      DropAddedDefaults(then.list_value().values(i),
                        now->mutable_list_value()->mutable_values(i));
    }
  }
}

// "" when `now` says what `then` said (the same JSON, fields added since at
// their default aside); else the difference.
std::string Difference(const std::string& then, const std::string& now) {
  const auto expected = Documents(then);
  auto actual = Documents(now);
  if (expected.size() != actual.size()) {
    return absl::StrCat(expected.size(), " documents then, ", actual.size(),
                        " now");
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    DropAddedDefaults(expected[i], &actual[i]);
    std::string report;
    google::protobuf::util::MessageDifferencer differencer;
    differencer.ReportDifferencesToString(&report);
    if (!differencer.Compare(expected[i], actual[i])) {
      return absl::StrCat("document ", i + 1, ": ", report);
    }
  }
  return "";
}

class OldLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string made_at(
        absl::StripAsciiWhitespace(ReadWholeFile(kFixture + "/made_at")));
    absl::Time now;
    std::string error;
    ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, made_at, &now, &error))
        << error;
    clock_.Set(now);
    ASSERT_EQ(::mkdir(served_.data_dir().c_str(), 0700), 0);
    const CtlResult untar = testing::RunProgram(
        "/bin/tar", served_.dir().path(),
        {"-xzf", kFixture + "/data.tar.gz", "-C", served_.data_dir()});
    ASSERT_EQ(untar.exit_code, 0) << testing::Printed(untar);
    ASSERT_NO_FATAL_FAILURE(Start());
  }

  // The server as the fixture's loyaltyd ran: its start rule file, API keys
  // on, a year of back-dating allowed.
  void Start() {
    server::ServerOptions options =
        testing::ServedOptions(ReadWholeFile(kFixture + "/rules-1.yaml"));
    options.clock = &clock_;
    options.require_api_keys = true;
    options.time_bounds.max_backdate = absl::Hours(8784);
    served_.Start(std::move(options));
  }

  // loyaltyctl run in the fixture's folder, where the script ran it to load
  // rule files (named without a path: the name is part of the request).
  CtlResult Ctl(const std::vector<std::string>& args) {
    std::vector<std::string> line = {"-c",
                                     "cd \"$0\" && exec \"$@\"",
                                     kFixture,
                                     LOYALTYCTL_PATH,
                                     "--server",
                                     served_.address(),
                                     "--timeout",
                                     "30",
                                     "--api-key-file",
                                     served_.data_dir() + "/ADMIN_KEY",
                                     "--json"};
    line.insert(line.end(), args.begin(), args.end());
    return testing::RunProgram("/bin/sh", served_.dir().path(), line);
  }

  // Every call of the fixture again: the writes are replays of a recorded
  // request id, the reads read the same ledger.
  void ExpectSameAnswers() {
    const std::vector<Check> checks = ReadChecks();
    ASSERT_GT(checks.size(), 40u);
    for (const Check& check : checks) {
      const CtlResult now = Ctl(check.args);
      const std::string call = absl::StrJoin(check.args, " ");
      EXPECT_EQ(now.exit_code, check.exit_code) << call << "\n"
                                                << testing::Printed(now);
      EXPECT_EQ(Difference(check.out, now.out), "") << call;
    }
  }

  ManualClock clock_{absl::UnixEpoch()};
  testing::ServedLedger served_;  // after the clock: stops first
};

TEST_F(OldLedgerTest, AnswersEveryCallAsTheCommitThatWroteIt) {
  ExpectSameAnswers();
}

TEST_F(OldLedgerTest, AnswersTheSameAfterARestart) {
  served_.Stop();
  ASSERT_NO_FATAL_FAILURE(Start());
  ExpectSameAnswers();
}

TEST_F(OldLedgerTest, TakesNewWritesAndItsChainStaysVerifiable) {
  const CtlResult old_export =
      Ctl({"export", "--format", "jsonl", "--out", "-"});
  ASSERT_EQ(old_export.exit_code, 0) << testing::Printed(old_export);
  clock_.Set(clock_.Now() + absl::Minutes(1));
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"member", "enroll", "--id", "erik", "--request-id", "new-enroll"},
           {"checkout", "commit", "--member", "erik", "--order", "e-1",
            "--line", "bread:2:800:bread", "--request-id", "new-sale"},
           {"checkout", "commit", "--member", "anna", "--order", "a-6",
            "--line", "coffee:1:350:drinks", "--redeem", "20", "--request-id",
            "new-burn"},
           {"checkout", "refund", "--order", "a-5", "--request-id",
            "new-refund"},
           {"member", "adjust", "ben", "--points", "5", "--reason", "GOODWILL",
            "--request-id", "new-adjust"}}) {
    const CtlResult written = Ctl(args);
    EXPECT_EQ(written.exit_code, 0) << absl::StrJoin(args, " ") << "\n"
                                    << testing::Printed(written);
  }
  const CtlResult verified = Ctl({"verify"});
  EXPECT_EQ(verified.exit_code, 0) << testing::Printed(verified);
  // The old entries are exported as they were, the new ones after them.
  const CtlResult new_export =
      Ctl({"export", "--format", "jsonl", "--out", "-"});
  ASSERT_EQ(new_export.exit_code, 0) << testing::Printed(new_export);
  const std::vector<std::string> before =
      absl::StrSplit(old_export.out, '\n', absl::SkipEmpty());
  const std::vector<std::string> after =
      absl::StrSplit(new_export.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(after.size(), before.size() + 5);
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(Difference(before[i], after[i]), "") << "entry " << i + 1;
  }
}

// Lots stored before expiry notices existed read as not announced yet: a
// maintenance run announces them once, a second one none, and the chain
// with the notices on top still verifies.
TEST_F(OldLedgerTest, OldLotsAreAnnouncedOnceByTheMaintenanceRun) {
  clock_.Set(clock_.Now() + absl::Minutes(1));
  const CtlResult first = Ctl({"program", "expire", "--notice-days", "90",
                               "--request-id", "notices-1"});
  ASSERT_EQ(first.exit_code, 0) << testing::Printed(first);
  EXPECT_TRUE(absl::StrContains(first.out, "\"expiryNotices\": \""))
      << first.out;
  EXPECT_FALSE(absl::StrContains(first.out, "\"expiryNotices\": \"0\""))
      << first.out;
  const CtlResult again = Ctl({"program", "expire", "--notice-days", "90",
                               "--request-id", "notices-2"});
  ASSERT_EQ(again.exit_code, 0) << testing::Printed(again);
  EXPECT_TRUE(absl::StrContains(again.out, "\"expiryNotices\": \"0\""))
      << again.out;
  const CtlResult events = Ctl({"events", "tail", "--kind", "points_expiring"});
  ASSERT_EQ(events.exit_code, 0) << testing::Printed(events);
  EXPECT_TRUE(absl::StrContains(events.out, "\"memberId\":\"anna\""))
      << events.out;
  const CtlResult verified = Ctl({"verify"});
  EXPECT_EQ(verified.exit_code, 0) << testing::Printed(verified);
}

// The migration on open (engine/ledger/format_members.h) seals the
// fixture's profiles and builds their index: its members are found by
// e-mail, phone and name, and an erasure leaves none of anna's personal
// data in any file, the enrollment's kept answer included.
TEST_F(OldLedgerTest, FixtureMembersAreSearchableAndErasableAfterTheMigration) {
  for (const auto& [args, member] :
       std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"member", "search", "--email", "ANNA@example.org"}, "anna"},
           {{"member", "search", "--phone", "+49 30 1234999"}, "carla"},
           {{"member", "search", "--name", "ben ex"}, "ben"}}) {
    const CtlResult found = Ctl(args);
    EXPECT_EQ(found.exit_code, 0) << testing::Printed(found);
    EXPECT_TRUE(absl::StrContains(
        found.out, absl::StrCat("\"memberId\": \"", member, "\"")))
        << absl::StrJoin(args, " ") << "\n"
        << found.out;
  }
  const CtlResult erased =
      Ctl({"member", "erase", "anna", "--yes", "--request-id", "erase-anna"});
  ASSERT_EQ(erased.exit_code, 0) << testing::Printed(erased);
  const CtlResult verified = Ctl({"verify"});
  EXPECT_EQ(verified.exit_code, 0) << testing::Printed(verified);
  const CtlResult gone =
      Ctl({"member", "search", "--email", "anna@example.org"});
  EXPECT_FALSE(absl::StrContains(gone.out, "\"anna\"")) << gone.out;

  served_.Stop();
  ASSERT_NO_FATAL_FAILURE(testing::FlushAndCompact(served_.data_dir()));
  EXPECT_FALSE(testing::FilesHolding(served_.data_dir(), "fuelco").empty());
  for (const char* needle :
       {"Anna Example", "anna@example.org", "+49301234567", "1990-12-15"}) {
    EXPECT_EQ(testing::FilesHolding(served_.data_dir(), needle),
              std::vector<std::string>())
        << needle;
  }
  ASSERT_NO_FATAL_FAILURE(Start());
  const CtlResult again = Ctl({"verify"});
  EXPECT_EQ(again.exit_code, 0) << testing::Printed(again);
}

}  // namespace
}  // namespace loyalty
