// loyaltyctl's reward verbs against an in-process loyaltyd whose rule set
// has a rewards catalogue: `reward list` (table and --json) and
// `reward redeem REWARD --member ID`, whose old spelling (the member as the
// positional, --reward) is refused as bad usage.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/support/test_rules.h"
#include "tests/tools/ctl_fixture.h"

namespace loyalty {
namespace {

using testing::CtlResult;
using testing::Printed;

using testing::Field;

// The test rules (1 point per 1.00 EUR) with a catalogue of two rewards.
std::string RulesWithRewards() {
  return testing::RulesYaml() +
         "rewards:\n"
         "  - id: coffee\n"
         "    description: A free coffee\n"
         "    points: 20\n"
         "  - id: mug\n"
         "    description: The mug\n"
         "    points: 5\n"
         "    stock: 1\n"
         "    valid: {from: 2025-01-01}\n";
}

class RewardCtlTest : public testing::CtlTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(served_.Start(testing::ServedOptions(RulesWithRewards())));
  }

  // Ann with 21 available points (21.50 EUR paid).
  void EnrollAnnWithPoints() {
    Ok({"member", "enroll", "--id", "ann", "--request-id", "enroll-ann"});
    Ok({"checkout", "commit", "--member", "ann", "--order", "A-1", "--line",
        "coffee:2:350:drinks", "--line", "cake:1:1450:bakery", "--request-id",
        "sale-A-1"});
  }
};

TEST_F(RewardCtlTest, ListShowsTheCatalogueOfTheActiveRules) {
  const std::string list = Ok({"reward", "list"});
  const std::vector<std::string> lines =
      absl::StrSplit(list, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << list;
  EXPECT_TRUE(absl::StartsWith(lines[0], "REWARD")) << list;
  EXPECT_TRUE(absl::StartsWith(lines[1], "coffee")) << list;
  EXPECT_TRUE(absl::StrContains(lines[1], " 20 ")) << list;
  EXPECT_TRUE(absl::StrContains(lines[1], " unlimited ")) << list;
  EXPECT_TRUE(absl::StrContains(lines[1], "A free coffee")) << list;
  EXPECT_TRUE(absl::StartsWith(lines[2], "mug")) << list;
  EXPECT_TRUE(absl::StrContains(lines[2], "from 2025-01-01T00:00:00Z")) << list;

  const std::string json = Ok({"reward", "list", "--json"});
  EXPECT_TRUE(absl::StrContains(json, "\"id\": \"mug\"")) << json;
  EXPECT_TRUE(absl::StrContains(json, "\"stock\": \"1\"")) << json;
}

TEST_F(RewardCtlTest, RedeemTakesTheRewardFirstAndTheMemberByFlag) {
  EnrollAnnWithPoints();
  const std::string mug =
      Ok({"reward", "redeem", "mug", "--member", "ann", "--request-id", "r-1"});
  EXPECT_EQ(Field(mug, "reward"), "mug") << mug;
  EXPECT_EQ(Field(mug, "member"), "ann") << mug;
  EXPECT_EQ(Field(mug, "points"), "5") << mug;
  EXPECT_EQ(Field(mug, "stock left"), "0") << mug;
  EXPECT_EQ(Field(mug, "points available"), "16") << mug;

  const CtlResult gone = Ctl({"reward", "redeem", "mug", "--member", "ann"});
  EXPECT_EQ(gone.exit_code, 1) << Printed(gone);
  EXPECT_TRUE(absl::StrContains(gone.err, "REWARD_OUT_OF_STOCK")) << gone.err;
  const CtlResult dear = Ctl({"reward", "redeem", "coffee", "--member", "ann"});
  EXPECT_EQ(dear.exit_code, 1) << Printed(dear);
  EXPECT_TRUE(absl::StrContains(dear.err, "INSUFFICIENT_POINTS")) << dear.err;

  // The old spelling, member first, is bad usage, not a reward named "ann".
  const CtlResult old = Ctl({"reward", "redeem", "ann", "--reward", "mug"});
  EXPECT_EQ(old.exit_code, 2) << Printed(old);
  EXPECT_TRUE(absl::StrContains(old.err, "unknown flag '--reward'")) << old.err;
  const CtlResult no_member = Ctl({"reward", "redeem", "mug"});
  EXPECT_EQ(no_member.exit_code, 2) << Printed(no_member);
  EXPECT_TRUE(absl::StrContains(no_member.err, "--member is required"))
      << no_member.err;
  const std::string help = Ok({"reward", "redeem", "--help"});
  EXPECT_TRUE(absl::StrContains(
      help, "Usage: loyaltyctl reward redeem --member ID [flags] REWARD"))
      << help;
}

}  // namespace
}  // namespace loyalty
