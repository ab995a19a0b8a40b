// loyaltyctl against an in-process loyaltyd on what callers send: ids over
// their limits, and back-dated enrollments (member enroll --enroll-time).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/support/test_rules.h"
#include "tests/tools/ctl_fixture.h"

namespace loyalty {
namespace {

using testing::CtlResult;
using testing::Printed;

class BoundsCtlTest : public testing::CtlTest {};

// A 5,000-character id used to come back as RESOURCE_EXHAUSTED "metadata
// size exceeds limit": the refusal echoed the whole id.
TEST_F(BoundsCtlTest, BalanceOfAHugeMemberIdPrintsAShortError) {
  const CtlResult result = Ctl({"member", "balance", std::string(5000, '7')});
  EXPECT_NE(result.exit_code, 0) << Printed(result);
  EXPECT_EQ(result.err,
            "error: INVALID_ARGUMENT: TEXT_TOO_LONG: member_id: at most 64 bytes, "
            "got 5000\nreason: TEXT_TOO_LONG  field: member_id\n")
      << Printed(result);
  EXPECT_EQ(result.out, "");
}

// A till that enrolled a customer offline an hour ago syncs the enrollment
// with its time, then the sale it made right after.
TEST_F(BoundsCtlTest, EnrollTimeBackDatesAnEnrollment) {
  const absl::Time offline = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now() - absl::Hours(1)));
  const std::string enrolled = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", offline,
                                                absl::UTCTimeZone());
  const CtlResult enroll = Ctl({"member", "enroll", "--id", "bo", "--enroll-time",
                                enrolled, "--request-id", "enroll-bo", "--json"});
  ASSERT_EQ(enroll.exit_code, 0) << Printed(enroll);
  EXPECT_TRUE(absl::StrContains(enroll.out, enrolled)) << enroll.out;
  const std::string sold = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                                            offline + absl::Minutes(5), absl::UTCTimeZone());
  const CtlResult sale = Ctl({"checkout", "commit", "--member", "bo", "--order", "B-1",
                              "--line", "coffee:1:350", "--time", sold,
                              "--request-id", "sale-B-1"});
  EXPECT_EQ(sale.exit_code, 0) << Printed(sale);

  const CtlResult early = Ctl({"checkout", "commit", "--member", "bo", "--order", "B-2",
                               "--line", "coffee:1:350", "--time",
                               absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                                                offline - absl::Minutes(5),
                                                absl::UTCTimeZone()),
                               "--request-id", "sale-B-2"});
  EXPECT_NE(early.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(early.err, "TIME_BEFORE_ENROLLMENT")) << Printed(early);

  const CtlResult typo = Ctl({"member", "enroll", "--id", "cy", "--enroll-time", "yesterday"});
  EXPECT_NE(typo.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(typo.err, "--enroll-time must be RFC 3339")) << Printed(typo);
}

}  // namespace
}  // namespace loyalty
