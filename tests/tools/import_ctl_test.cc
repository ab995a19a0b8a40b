// `loyaltyctl checkout import FILE` through the real binary against an
// in-process loyaltyd: back-dated sales from JSON lines, sent in batches,
// a summary of what became of each, and a second run that records nothing
// twice.
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/tools/ctl_fixture.h"

namespace loyalty::testing {
namespace {

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

// One sale as a line of the import file: `days_ago` back, one line.
std::string SaleLine(const std::string& request_id, const std::string& member,
                     int days_ago, int64_t price_minor) {
  return absl::StrCat(
      R"({"request_id": ")", request_id, R"(", "purchase": {"member_id": ")",
      member, R"(", "order_id": ")", request_id, R"(", "purchase_time": ")",
      Rfc3339(absl::Now() - absl::Hours(24 * days_ago)),
      R"(", "currency": "EUR", "lines": [{"sku": "coffee", "quantity": 1, )",
      R"("unit_price_minor": )", price_minor, "}]}}");
}

class ImportCtlTest : public CtlTest {
 protected:
  // ann enrolled 20 days ago (offline, at the till), so that her sales
  // can be back-dated.
  void SetUp() override {
    CtlTest::SetUp();
    Ok({"member", "enroll", "--id", "ann", "--request-id", "enroll-ann",
        "--enroll-time", Rfc3339(absl::Now() - absl::Hours(24 * 20))});
  }

  std::string WriteFile(const std::vector<std::string>& lines) {
    const std::string path = served_.dir().Sub("sales.jsonl");
    std::ofstream file(path);
    for (const std::string& line : lines) file << line << "\n";
    return path;
  }

  int64_t Points() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    v1::GetBalanceRequest request;
    request.set_member_id("ann");
    v1::GetBalanceResponse response;
    EXPECT_TRUE(
        served_.members().GetBalance(&context, request, &response).ok());
    return response.balance().points_available();
  }

  int64_t Recorded() { return served_.server().ledger().Head().sequence(); }
};

TEST_F(ImportCtlTest, ImportsBackDatedSalesAndASecondRunRecordsNothingTwice) {
  const std::string path = WriteFile({
      SaleLine("t7-1", "ann", 10, 5000),
      SaleLine("t7-2", "zed", 9, 1000),  // no such member
      "",
      SaleLine("t7-3", "ann", 8, 2000),
      SaleLine("t7-4", "ann", 40, 3000),  // older than --max-backdate
      SaleLine("t7-5", "ann", 2, 1500),
  });
  const CtlResult first = Ctl({"checkout", "import", path, "--batch", "2"});
  EXPECT_EQ(first.exit_code, 1) << Printed(first);  // two refused
  EXPECT_EQ(Field(first.out, "committed"), "3") << Printed(first);
  EXPECT_EQ(Field(first.out, "already recorded"), "0");
  EXPECT_EQ(Field(first.out, "refused"), "2");
  EXPECT_TRUE(absl::StrContains(first.out, "5 sales in 3 batches"))
      << first.out;
  EXPECT_TRUE(absl::StrContains(first.out, "UNKNOWN_MEMBER")) << first.out;
  EXPECT_TRUE(absl::StrContains(first.out, "TIME_TOO_OLD")) << first.out;
  EXPECT_TRUE(absl::StrContains(first.out, "line 2 (t7-2): NOT_FOUND"))
      << first.out;
  EXPECT_TRUE(absl::StrContains(first.out, "line 5 (t7-4): INVALID_ARGUMENT"))
      << first.out;
  EXPECT_EQ(Points(), 50 + 20 + 15);
  const int64_t recorded = Recorded();

  const CtlResult second =
      Ctl({"--json", "checkout", "import", path, "--batch", "2"});
  EXPECT_EQ(second.exit_code, 1) << Printed(second);
  EXPECT_TRUE(absl::StrContains(second.out, R"("committed": 0)")) << second.out;
  EXPECT_TRUE(absl::StrContains(second.out, R"("already_recorded": 3)"))
      << second.out;
  EXPECT_TRUE(absl::StrContains(second.out, R"("refused": 2)")) << second.out;
  EXPECT_TRUE(absl::StrContains(second.out, R"("reason": "UNKNOWN_MEMBER")"))
      << second.out;
  EXPECT_EQ(Points(), 50 + 20 + 15);
  EXPECT_EQ(Recorded(), recorded);
}

TEST_F(ImportCtlTest, AllCommittedExitsZero) {
  const std::string path = WriteFile({SaleLine("ok-1", "ann", 3, 1000)});
  const CtlResult result = Ctl({"checkout", "import", path});
  EXPECT_EQ(result.exit_code, 0) << Printed(result);
  EXPECT_EQ(Field(result.out, "committed"), "1");
  EXPECT_EQ(Points(), 10);
}

TEST_F(ImportCtlTest, BadLinesAreNamedByNumberAndNothingIsSent) {
  const std::string path = WriteFile({
      SaleLine("b-1", "ann", 3, 1000),
      R"({"purchase": {"member_id": "ann", "purchase_time": "2026-01-01T00:00:00Z"}})",
      "{not json",
      R"({"request_id": "b-4", "purchase": {"member_id": "ann"}})",
      R"({"request_id": "b-5", "purchse": {}})",
  });
  const CtlResult result = Ctl({"checkout", "import", path});
  EXPECT_EQ(result.exit_code, 2) << Printed(result);
  EXPECT_TRUE(absl::StrContains(result.err, "4 bad lines (nothing was sent)"))
      << result.err;
  EXPECT_TRUE(
      absl::StrContains(result.err, "sales.jsonl:2: request_id is required"))
      << result.err;
  EXPECT_TRUE(
      absl::StrContains(result.err, "sales.jsonl:3: not a sale in JSON"))
      << result.err;
  EXPECT_TRUE(absl::StrContains(
      result.err, "sales.jsonl:4: purchase.purchase_time is required"))
      << result.err;
  EXPECT_TRUE(
      absl::StrContains(result.err, "sales.jsonl:5: not a sale in JSON"))
      << result.err;
  EXPECT_EQ(Points(), 0);

  const CtlResult batch = Ctl({"checkout", "import", path, "--batch", "501"});
  EXPECT_EQ(batch.exit_code, 2) << Printed(batch);
  EXPECT_TRUE(absl::StrContains(batch.err, "--batch must be 1 to 500"))
      << batch.err;
  const CtlResult missing =
      Ctl({"checkout", "import", served_.dir().Sub("none.jsonl")});
  EXPECT_EQ(missing.exit_code, 2) << Printed(missing);
  EXPECT_TRUE(absl::StrContains(missing.err, "cannot read")) << missing.err;
}

TEST_F(ImportCtlTest, HelpTellsTheFormatAndTheRules) {
  const CtlResult help = Ctl({"checkout", "import", "--help"});
  EXPECT_EQ(help.exit_code, 0) << Printed(help);
  for (const char* words : {"request_id", "purchase_time", "--max-backdate",
                            "already recorded", "--batch", "Exit status"}) {
    EXPECT_TRUE(absl::StrContains(help.out, words)) << words << "\n"
                                                    << help.out;
  }
}

}  // namespace
}  // namespace loyalty::testing
