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
#include "engine/server/server.h"
#include "gtest/gtest.h"
#include "loyalty/v1/audit.pb.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_rules.h"
#include "tests/tools/ctl_process.h"

namespace loyalty {
namespace {

using testing::CtlResult;
using testing::Printed;

std::string ValueOf(const std::string& out, const std::string& key) {
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::StartsWith(line, key + "  ")) {
      return std::string(absl::StripAsciiWhitespace(line.substr(key.size())));
    }
  }
  return "";
}

class PartnerCtlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerOptions options;
    options.data_dir = dir_.Sub("data");
    options.listen_address = "127.0.0.1:0";
    // 1 point per 1.00 EUR, a point pays 1 cent, half a basket payable.
    options.rules = testing::CompileRules(testing::RulesYaml());
    auto started = server::LoyaltyServer::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = *std::move(started);
  }

  CtlResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--server", absl::StrCat("127.0.0.1:", server_->port()),
                               "--timeout", "30"});
    return testing::RunCtl(dir_.path(), args);
  }

  std::string Ok(std::vector<std::string> args) {
    const CtlResult result = Ctl(std::move(args));
    EXPECT_EQ(result.exit_code, 0) << Printed(result);
    return result.out;
  }

  testing::TempDir dir_;
  std::unique_ptr<server::LoyaltyServer> server_;
};

TEST_F(PartnerCtlTest, UpsertListSettleAndSuspend) {
  const std::string fuel = Ok({"partner", "upsert", "fuelco", "--name", "Fuel Co",
                               "--share-bp", "10000", "--request-id", "p-fuel"});
  EXPECT_EQ(ValueOf(fuel, "status"), "active") << fuel;
  EXPECT_EQ(ValueOf(fuel, "funded share"), "100.00%") << fuel;
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
  const std::string code = ValueOf(ann, "referral code");
  ASSERT_EQ(code.size(), 10u) << ann;
  const std::string bob = Ok({"member", "enroll", "--id", "bob", "--referral-code", code,
                              "--request-id", "e-bob"});
  EXPECT_EQ(ValueOf(bob, "referred by"), "ann") << bob;
  const CtlResult unknown = Ctl({"member", "enroll", "--id", "cat", "--referral-code",
                                 "ZZZZZZZZZZ", "--request-id", "e-cat"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(unknown.err, "referral_code")) << unknown.err;
}

}  // namespace
}  // namespace loyalty
