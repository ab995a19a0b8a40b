// loyaltyctl's partner verbs and referral codes against an in-process
// loyaltyd: partner upsert, list and settle (table and --json), a sale at a
// suspended partner refused, and enrollment with a referral code.
#include <google/protobuf/util/json_util.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "loyalty/v1/audit.pb.h"
#include "tests/support/test_rules.h"
#include "tests/tools/ctl_fixture.h"

namespace loyalty {
namespace {

using testing::CtlResult;
using testing::Printed;

using testing::Field;

class PartnerCtlTest : public testing::CtlTest {
 protected:
};

TEST_F(PartnerCtlTest, UpsertListSettleAndSuspend) {
  const std::string fuel = Ok({"partner", "upsert", "fuelco", "--name", "Fuel Co",
                               "--share-bp", "10000", "--request-id", "p-fuel"});
  EXPECT_EQ(Field(fuel, "status"), "active") << fuel;
  EXPECT_EQ(Field(fuel, "funded share"), "100.00%") << fuel;
  Ok({"partner", "upsert", "grocer", "--request-id", "p-grocer"});
  const std::string list = Ok({"partner", "list"});
  EXPECT_TRUE(absl::StrContains(list, "fuelco")) << list;
  EXPECT_TRUE(absl::StrContains(list, "grocer")) << list;

  Ok({"member", "enroll", "--id", "ann", "--request-id", "enroll-ann"});
  // 100.00 EUR at the fuel station: 100 points, all funded by fuelco.
  Ok({"checkout", "commit", "--member", "ann", "--order", "F-1", "--partner", "fuelco",
      "--line", "diesel:1:10000", "--request-id", "sale-F-1"});
  // 40 of them burned at the grocer: fuelco owes the grocer 0.40 EUR.
  Ok({"checkout", "commit", "--member", "ann", "--order", "G-1", "--partner", "grocer",
      "--line", "bread:1:8000", "--redeem", "40", "--request-id", "sale-G-1"});
  const std::string table = Ok({"partner", "settle", "--from", "2000-01-01"});
  EXPECT_TRUE(absl::StrContains(table, "NET")) << table;
  EXPECT_TRUE(absl::StrContains(table, "0.40 EUR")) << table;
  loyalty::v1::SettlePartnersResponse settled;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  Ok({"partner", "settle", "--json"}), &settled)
                  .ok());
  int checked = 0;
  for (const auto& party : settled.parties()) {
    if (party.partner_id() == "grocer") {
      EXPECT_EQ(party.net_minor(), 40);
      ++checked;
    }
    if (party.partner_id() == "fuelco") {
      EXPECT_EQ(party.net_minor(), -40);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 2);

  Ok({"partner", "upsert", "fuelco", "--share-bp", "10000", "--status", "suspended",
      "--request-id", "p-fuel-2"});
  const CtlResult refused =
      Ctl({"checkout", "commit", "--member", "ann", "--order", "F-2", "--partner", "fuelco",
           "--line", "diesel:1:1000", "--request-id", "sale-F-2"});
  EXPECT_EQ(refused.exit_code, 1) << Printed(refused);
  EXPECT_TRUE(absl::StrContains(refused.err, "PARTNER_SUSPENDED")) << refused.err;
  EXPECT_TRUE(absl::StrContains(refused.err, "purchase.partner_id")) << refused.err;
  EXPECT_EQ(Ctl({"partner", "upsert", "x", "--status", "asleep"}).exit_code, 2);
}

TEST_F(PartnerCtlTest, EnrollWithAReferralCode) {
  const std::string ann = Ok({"member", "enroll", "--id", "ann", "--request-id", "e-ann"});
  const std::string code = Field(ann, "referral code");
  ASSERT_EQ(code.size(), 10u) << ann;
  const std::string bob = Ok({"member", "enroll", "--id", "bob", "--referral-code", code,
                              "--request-id", "e-bob"});
  EXPECT_EQ(Field(bob, "referred by"), "ann") << bob;
  const CtlResult unknown = Ctl({"member", "enroll", "--id", "cat", "--referral-code",
                                 "ZZZZZZZZZZ", "--request-id", "e-cat"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(unknown.err, "referral_code")) << unknown.err;
}

}  // namespace
}  // namespace loyalty
