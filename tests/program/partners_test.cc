// Coalition partners on the real ledger: partner records, funding of the
// points earned at a partner, refusal at a suspended partner, and the
// settlement of a three-partner scenario worked out by hand.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "engine/base/time_util.h"
#include "engine/ledger/accounts.h"
#include "engine/ledger/ledger.h"
#include "engine/program/operations.h"
#include "gtest/gtest.h"
#include "tests/support/await.h"
#include "tests/support/program_fixture.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_rules.h"

namespace loyalty::program {
namespace {

using loyalty::testing::Await;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);  // 2026-01-01

// 1 point per 1.00 EUR, rounded down; a point pays 5 cents; points may pay
// the whole basket; double points at the fuel partner (its own earn rate).
constexpr char kRules[] = R"(program:
  id: coalition
  currency: EUR
  point_value_minor: 5
earn:
  points: 1
  per_minor: 100
  rounding: down
burn:
  max_basket_share_percent: 100
  earned_points_pay_same_order: false
rules:
  - id: fuel-double
    description: Double points at the pump
    partners: [fuel]
    multiply_points: {percent: 200}
)";

class PartnersTest : public testing::ProgramFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenProgram(testing::CompileRules(kRules)));
    v1::EnrollMemberRequest enroll;
    enroll.set_request_id("enroll-m");
    enroll.mutable_profile()->set_member_id("m");
    ASSERT_TRUE(Await<v1::EnrollMemberResponse>([&](auto reply) {
                  operations_->EnrollMember(enroll, std::move(reply));
                }).ok());
  }

  absl::StatusOr<v1::UpsertPartnerResponse> Upsert(
      const std::string& id, int64_t share_bp,
      v1::PartnerStatus status = v1::PARTNER_STATUS_ACTIVE) {
    v1::UpsertPartnerRequest request;
    request.set_request_id(absl::StrCat("partner-", ++requests_));
    request.set_partner_id(id);
    request.set_name(id + " Ltd");
    request.set_funded_share_bp(share_bp);
    request.set_status(status);
    return Await<v1::UpsertPartnerResponse>(
        [&](auto reply) { operations_->UpsertPartner(request, std::move(reply)); });
  }

  absl::StatusOr<v1::CommitPurchaseResponse> Buy(const std::string& partner,
                                                 const std::string& order,
                                                 std::vector<int64_t> prices,
                                                 int64_t redeem = 0) {
    clock_.Advance(absl::Hours(1));
    v1::CommitPurchaseRequest request;
    request.set_request_id("buy-" + order);
    auto* purchase = request.mutable_purchase();
    purchase->set_member_id("m");
    purchase->set_order_id(order);
    purchase->set_partner_id(partner);
    purchase->set_currency("EUR");
    purchase->set_redeem_points(redeem);
    for (int64_t price : prices) {
      auto* line = purchase->add_lines();
      line->set_sku(absl::StrCat("sku-", price));
      line->set_quantity(1);
      line->set_unit_price_minor(price);
    }
    return Await<v1::CommitPurchaseResponse>([&](auto reply) {
      operations_->CommitPurchase(request, std::move(reply));
    });
  }



  int requests_ = 0;
};

TEST_F(PartnersTest, UpsertStoresListsAndChecksThePartner) {
  auto bank = Upsert("bank", 10000);
  ASSERT_TRUE(bank.ok()) << bank.status();
  EXPECT_EQ(bank->partner().status(), v1::PARTNER_STATUS_ACTIVE);
  ASSERT_TRUE(Upsert("bank", 2500).ok());  // replaced
  auto listed = operations_->ListPartners();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->partners_size(), 1);
  EXPECT_EQ(listed->partners(0).funded_share_bp(), 2500);
  EXPECT_EQ(listed->partners(0).name(), "bank Ltd");
  auto too_much = Upsert("bank", 10001);
  EXPECT_EQ(too_much.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(too_much.status()), "funded_share_bp");
  auto bad_id = Upsert("no/slash", 0);
  EXPECT_EQ(ErrorField(bad_id.status()), "partner_id");
}

TEST_F(PartnersTest, ASuspendedPartnerCannotAccrueOrRedeem) {
  ASSERT_TRUE(Upsert("bank", 5000).ok());
  ASSERT_TRUE(Buy("bank", "b1", {10000}).ok());
  ASSERT_TRUE(Upsert("bank", 5000, v1::PARTNER_STATUS_SUSPENDED).ok());
  for (int64_t redeem : {0, 10}) {
    auto refused = Buy("bank", absl::StrCat("b-", redeem), {1000}, redeem);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(ErrorReason(refused.status()), "PARTNER_SUSPENDED");
    EXPECT_EQ(ErrorField(refused.status()), "purchase.partner_id");
  }
  EXPECT_EQ(ledger_->GetMember("m")->points_available(), 100);
  // A partner id with no record is only a label: the program funds it.
  ASSERT_TRUE(Buy("kiosk", "k1", {1000}).ok());
  EXPECT_EQ(ProgramAccount(ledger::PointsIssued("kiosk")), 0);
  ASSERT_TRUE(Upsert("bank", 5000).ok());  // active again
  EXPECT_TRUE(Buy("bank", "b2", {1000}, 10).ok());
  ExpectAuditClean();
}

TEST_F(PartnersTest, SettlementOfThreePartnersMatchesTheHandCalculation) {
  // The bank funds all points earned at it, the fuel station half, the
  // grocer a quarter; the program funds the rest. One member, "m".
  ASSERT_TRUE(Upsert("bank", 10000).ok());
  ASSERT_TRUE(Upsert("fuel", 5000).ok());
  ASSERT_TRUE(Upsert("grocer", 2500).ok());
  // t1 bank 100.00: 100 points, lot bank:100.
  ASSERT_TRUE(Buy("bank", "t1", {10000}).ok());
  // t2 fuel 60.00 at double points: 120, fuel funds 60, the program 60:
  // lots fuel:60, program:60 (same earn time, partner lot first).
  auto fuel = Buy("fuel", "t2", {6000});
  ASSERT_TRUE(fuel.ok());
  ASSERT_EQ(fuel->priced().points_earned(), 120);
  // t3 grocer 43.00: 43 points, grocer funds floor(43 x 0.25) = floor(10.75)
  // = 10 (the rounding: down, in whole points, at accrual), the program 33.
  ASSERT_TRUE(Buy("grocer", "t3", {4300}).ok());
  // t4 grocer 200.00 paying 150 points (7.50): FIFO takes bank:100 and
  // fuel:50. Claims: bank->grocer 100 pts, fuel->grocer 50 pts. Paid 192.50
  // earns 192: grocer funds floor(48.0) = 48, the program 144.
  ASSERT_TRUE(Buy("grocer", "t4", {20000}, 150).ok());
  // t5 bank 2 x 25.00 paying 40 points (2.00): FIFO takes fuel:10 and
  // program:30 (the fuel order's). Claims: fuel->bank 10, program->bank 30.
  // Paid 48.00 earns 48, all bank-funded.
  ASSERT_TRUE(Buy("bank", "t5", {2500, 2500}, 40).ok());
  // t6 refund of t5's first line (half the order): points given back =
  // floor(40 x 1/2) = 20, the most recently taken first: 20 of the program's
  // 30 (claim program->bank -20); earned points taken back = floor(48/2) =
  // 24 from t5's bank lot, back to the bank's funding account.
  v1::RefundPurchaseRequest refund;
  refund.set_request_id("refund-t5");
  refund.set_order_id("t5");
  refund.set_partner_id("bank");
  auto* line = refund.add_lines();
  line->set_line_index(0);
  line->set_quantity(1);
  auto refunded = Await<v1::RefundPurchaseResponse>(
      [&](auto reply) { operations_->RefundPurchase(refund, std::move(reply)); });
  ASSERT_TRUE(refunded.ok()) << refunded.status();
  ASSERT_EQ(refunded->refunded().points_returned(), 20);
  ASSERT_EQ(refunded->refunded().points_reversed(), 24);
  // t7 the operator's own shop (no partner), 10.00 paying 70 points (3.50):
  // FIFO takes program:30 and program:20 (both t2), grocer:10 (t3) and
  // program:10 (t3). Claim: grocer->program 10. Paid 6.50 earns 6 (program).
  ASSERT_TRUE(Buy("", "t7", {1000}, 70).ok());
  //
  // Claims in points, then x 5 cents:
  //   bank->grocer 100 = 500, fuel->grocer 50 = 250, fuel->bank 10 = 50,
  //   program->bank 30 - 20 = 10 = 50, grocer->program 10 = 50.
  // Per party (in, out, net):
  //   bank     50 + 50 = 100,  500,        -400 (owes)
  //   fuel     0,              250 + 50 = 300, -300 (owes)
  //   grocer   500 + 250 = 750, 50,         +700 (is owed)
  //   program  50,             50,            0
  //   sum of nets: -400 - 300 + 700 + 0 = 0.
  // Issued (net): bank 100 + 48 - 24 = 124, fuel 60, grocer 10 + 48 = 58,
  // program 60 + 33 + 144 + 6 = 243; funded = issued x 5.
  // Burned (net): grocer 150, bank 40 - 20 = 20, program 70.
  auto settled = operations_->SettlePartners(v1::SettlePartnersRequest());
  ASSERT_TRUE(settled.ok()) << settled.status();
  struct Expected {
    int64_t issued, burned, in, out, net;
  };
  const std::map<std::string, Expected> expected = {
      {"", {243, 70, 50, 50, 0}},
      {"bank", {124, 20, 100, 500, -400}},
      {"fuel", {60, 0, 0, 300, -300}},
      {"grocer", {58, 150, 750, 50, 700}},
  };
  ASSERT_EQ(settled->parties_size(), 4);
  int64_t net_sum = 0;
  for (const auto& party : settled->parties()) {
    const Expected& want = expected.at(party.partner_id());
    SCOPED_TRACE(party.partner_id());
    EXPECT_EQ(party.points_issued(), want.issued);
    EXPECT_EQ(party.points_burned(), want.burned);
    EXPECT_EQ(party.funded_minor(), want.issued * 5);
    EXPECT_EQ(party.claims_in_minor(), want.in);
    EXPECT_EQ(party.claims_out_minor(), want.out);
    EXPECT_EQ(party.net_minor(), want.net);
    net_sum += party.net_minor();
    // Reconciled to the ledger: the accounts hold exactly these movements.
    EXPECT_EQ(ProgramAccount(ledger::PointsIssued(party.partner_id())), -want.issued);
    EXPECT_EQ(ProgramAccount(ledger::PointsRedeemed(party.partner_id())), want.burned);
  }
  EXPECT_EQ(net_sum, 0);
  std::map<std::pair<std::string, std::string>, int64_t> claims;
  for (const auto& claim : settled->claims()) {
    claims[{claim.from_partner_id(), claim.to_partner_id()}] = claim.value_minor();
    EXPECT_EQ(claim.value_minor(), claim.points() * 5);
  }
  const std::map<std::pair<std::string, std::string>, int64_t> want_claims = {
      {{"bank", "grocer"}, 500}, {{"fuel", "grocer"}, 250}, {{"fuel", "bank"}, 50},
      {{"", "bank"}, 50},        {{"grocer", ""}, 50}};
  EXPECT_EQ(claims, want_claims);
  EXPECT_EQ(ledger_->GetMember("m")->points_available(), 509 - 260 + 20 - 24);
  ExpectAuditClean();

  // A period that starts at t5 (recorded at +5 h) sees only t5, the refund
  // and t7: fuel->bank 10 pts = 50, program->bank 30 - 20 = 10 pts = 50,
  // grocer->program 10 pts = 50; nothing burned at the grocer.
  v1::SettlePartnersRequest later;
  *later.mutable_from_time() = ToTimestamp(kStart + absl::Hours(5));
  auto part = operations_->SettlePartners(later);
  ASSERT_TRUE(part.ok());
  for (const auto& party : part->parties()) {
    if (party.partner_id() == "bank") {
      EXPECT_EQ(party.claims_in_minor(), 100);
    }
    if (party.partner_id() == "grocer") {
      EXPECT_EQ(party.claims_in_minor(), 0);
    }
    if (party.partner_id() == "fuel") {
      EXPECT_EQ(party.claims_out_minor(), 50);
    }
  }
}

// Partner-funded points keep their funder while pending, when released and
// when they expire: the audit's funding check holds at every step, and the
// breakage posting names the funder.
TEST(PartnerLotsTest, FunderSurvivesTheHoldingPeriodAndExpiry) {
  testing::TempDir dir;
  ManualClock clock{kStart};
  ledger::LedgerOptions options;
  options.data_dir = dir.Sub("ledger");
  options.clock = &clock;
  auto ledger = *ledger::Ledger::Open(options);
  // Points pending 3 days, expiring 10 days after the sale.
  std::string yaml = kRules;
  yaml += "points:\n  pending_days: 3\n  lifetime_days: 10\n";
  Operations operations(ledger.get(), testing::CompileRules(yaml), &clock);
  auto audit_clean = [&] {
    auto report = ledger->Audit();
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok()) << report->problem;
  };
  v1::EnrollMemberRequest enroll;
  enroll.set_request_id("enroll");
  enroll.mutable_profile()->set_member_id("m");
  ASSERT_TRUE(Await<v1::EnrollMemberResponse>(
                  [&](auto reply) { operations.EnrollMember(enroll, std::move(reply)); })
                  .ok());
  v1::UpsertPartnerRequest bank;
  bank.set_request_id("bank");
  bank.set_partner_id("bank");
  bank.set_funded_share_bp(5000);
  ASSERT_TRUE(Await<v1::UpsertPartnerResponse>(
                  [&](auto reply) { operations.UpsertPartner(bank, std::move(reply)); })
                  .ok());
  // 100.00 EUR at the bank: 100 points pending, 50 funded by the bank.
  v1::CommitPurchaseRequest sale;
  sale.set_request_id("sale");
  auto* purchase = sale.mutable_purchase();
  purchase->set_member_id("m");
  purchase->set_order_id("s1");
  purchase->set_partner_id("bank");
  purchase->set_currency("EUR");
  auto* line = purchase->add_lines();
  line->set_sku("x");
  line->set_quantity(1);
  line->set_unit_price_minor(10000);
  ASSERT_TRUE(Await<v1::CommitPurchaseResponse>([&](auto reply) {
                operations.CommitPurchase(sale, std::move(reply));
              }).ok());
  auto member = ledger->GetMember("m");
  ASSERT_EQ(member->points_pending(), 100);
  ASSERT_EQ(member->pending_lots_size(), 2);
  EXPECT_EQ(member->pending_lots(0).partner_id(), "bank");
  EXPECT_EQ(member->pending_lots(0).remaining(), 50);
  audit_clean();
  auto run = [&](const std::string& id) {
    v1::RunExpiryRequest request;
    request.set_request_id(id);
    auto ran = operations.RunExpiry(request, [](const v1::RunExpiryResponse&) {});
    ASSERT_TRUE(ran.ok()) << ran.status();
  };
  // Day 4: released, still the bank's.
  clock.Advance(absl::Hours(24 * 4));
  run("run-1");
  member = ledger->GetMember("m");
  ASSERT_EQ(member->points_available(), 100);
  ASSERT_EQ(member->lots_size(), 2);
  EXPECT_EQ(member->lots(0).partner_id(), "bank");
  audit_clean();
  // Day 11: expired, one debit per funder; the breakage names the bank.
  clock.Advance(absl::Hours(24 * 7));
  run("run-2");
  member = ledger->GetMember("m");
  EXPECT_EQ(member->points_available(), 0);
  audit_clean();
  auto last = ledger->GetEntry(ledger->Head().sequence());
  ASSERT_TRUE(last.ok());
  std::map<std::string, int64_t> expired;
  for (const auto& posting : last->postings()) {
    if (posting.account() == ledger::kProgramPointsExpired) {
      expired[posting.lot_partner_id()] += posting.amount();
    }
  }
  EXPECT_EQ(expired, (std::map<std::string, int64_t>{{"", 50}, {"bank", 50}}));
}

}  // namespace
}  // namespace loyalty::program
