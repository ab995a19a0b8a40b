// loyaltyctl and expiry notices, against an in-process loyaltyd on a manual
// clock: `program expire` (its figures, --notice-days), `events tail --kind
// points_expiring` as text and JSON, `member history` naming the notice,
// and `verify` of an export that holds notices.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "engine/base/clock.h"
#include "gtest/gtest.h"
#include "tests/support/test_rules.h"
#include "tests/tools/ctl_fixture.h"

namespace loyalty {
namespace {

using testing::Field;
using testing::Printed;

const absl::Time kStart = absl::FromCivil(
    absl::CivilSecond(2026, 3, 1, 12, 0, 0), absl::UTCTimeZone());

class ExpiryNoticeCtlTest : public testing::CtlTest {
 protected:
  void SetUp() override {
    // Lots live 40 days; notices 30 days ahead (the default).
    server::ServerOptions options = testing::ServedOptions(
        testing::RulesYaml() + "points:\n  lifetime_days: 40\n");
    options.clock = &clock_;
    ASSERT_NO_FATAL_FAILURE(served_.Start(options));
  }
  // The server reads the clock: it stops before the clock goes.
  void TearDown() override { served_.Stop(); }

  ManualClock clock_{kStart};
};

TEST_F(ExpiryNoticeCtlTest, ExpireAnnouncesAndEventsTailShowsIt) {
  Ok({"member", "enroll", "--id", "ann", "--request-id", "enroll-ann"});
  Ok({"checkout", "commit", "--member", "ann", "--order", "A-1", "--line",
      "thing:1:2000", "--request-id", "sale-A-1"});

  // 20 days on, the lot expires in 20: announced once.
  clock_.Advance(absl::Hours(24 * 20));
  const std::string none = Ok({"program", "expire", "--notice-days", "10"});
  EXPECT_EQ(Field(none, "expiry notices"), "0") << none;
  const std::string first = Ok({"program", "expire"});
  EXPECT_EQ(Field(first, "expiry notices"), "1") << first;
  EXPECT_EQ(Field(first, "points expiring"), "20") << first;
  const std::string again = Ok({"program", "expire"});
  EXPECT_EQ(Field(again, "expiry notices"), "0") << again;

  const std::string tail = Ok({"events", "tail", "--kind", "points_expiring"});
  const std::vector<std::string> lines =
      absl::StrSplit(tail, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u) << tail;
  EXPECT_TRUE(absl::StrContains(lines[0], "points_expiring  ann")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0],
                                "20 pts expiring (20 at 2026-04-10T12:00:00Z)"))
      << lines[0];
  const std::string json =
      Ok({"events", "tail", "--kind", "points_expiring", "--json"});
  EXPECT_TRUE(
      absl::StrContains(json, "\"kind\":\"EVENT_KIND_POINTS_EXPIRING\""))
      << json;
  EXPECT_TRUE(absl::StrContains(json, "\"pointsExpiring\":\"20\"")) << json;

  const std::string history = Ok({"member", "history", "ann", "--all"});
  EXPECT_TRUE(absl::StrContains(history, "expiry_notice")) << history;

  Ok({"export", "--format", "jsonl", "--out", "ledger.jsonl"});
  const testing::CtlResult verified = Ctl({"verify", "ledger.jsonl"});
  EXPECT_EQ(verified.exit_code, 0) << Printed(verified);

  const testing::CtlResult bad =
      Ctl({"program", "expire", "--notice-days", "ten"});
  EXPECT_EQ(bad.exit_code, 2) << Printed(bad);
  const testing::CtlResult out_of_range =
      Ctl({"program", "expire", "--notice-days", "400"});
  EXPECT_NE(out_of_range.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(out_of_range.err, "expiry_notice_days"))
      << Printed(out_of_range);
}

}  // namespace
}  // namespace loyalty
