// Audit.GetProgramMetrics over gRPC: distinct members over ranges of months,
// program-wide and per tier, segment, store and partner, against figures
// counted by hand. Every sale is made at the server clock's "now" (the
// clock is moved to each sale's day), as a till online would make it.
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/base/clock.h"
#include "engine/base/time_util.h"
#include "engine/evaluator/evaluator.h"
#include "engine/evaluator/rule_file.h"
#include "gtest/gtest.h"
#include "tests/support/served_ledger.h"

namespace loyalty {
namespace {

absl::Time Day(int month, int day) {
  return absl::FromCivil(absl::CivilSecond(2026, month, day, 12, 0, 0),
                         absl::UTCTimeZone());
}

// The test rules plus spend tiers: member from 0, gold from 1,000.00 EUR
// spent over a rolling year.
std::shared_ptr<const evaluator::CompiledRules> TierRules() {
  auto rule_set = evaluator::ParseRuleFile("test.yaml", testing::RulesYaml());
  EXPECT_TRUE(rule_set.ok()) << rule_set.status();
  v1::TierSettings* tiers = rule_set->mutable_tiers();
  tiers->set_measure(v1::TIER_MEASURE_SPEND);
  tiers->set_window(v1::TIER_WINDOW_ROLLING);
  tiers->set_window_days(365);
  for (const auto& [id, threshold] :
       {std::pair<const char*, int64_t>{"member", 0}, {"gold", 100000}}) {
    v1::Tier* level = tiers->add_levels();
    level->set_id(id);
    level->set_name(id);
    level->set_threshold(threshold);
  }
  auto compiled = evaluator::CompiledRules::Compile(*rule_set);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return *compiled;
}

struct Sale {
  Sale(std::string member_id, std::string store_id = "north",
       std::string partner_id = "", int64_t price = 1000)
      : member(std::move(member_id)),
        store(std::move(store_id)),
        partner(std::move(partner_id)),
        price_minor(price) {}
  std::string member;
  std::string store;
  std::string partner;
  int64_t price_minor;
};

class MetricsOverMonthsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerOptions options;
    options.rules = TierRules();
    options.clock = &clock_;
    ASSERT_NO_FATAL_FAILURE(served_.Start(options));
  }

  void Enroll(const std::string& id, const std::string& segment = "") {
    grpc::ClientContext context;
    v1::EnrollMemberRequest request;
    request.set_request_id("enroll-" + id);
    request.mutable_profile()->set_member_id(id);
    if (!segment.empty()) request.mutable_profile()->add_segments(segment);
    v1::EnrollMemberResponse response;
    const grpc::Status status = served_.members().EnrollMember(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  void AddPartner(const std::string& id) {
    grpc::ClientContext context;
    v1::UpsertPartnerRequest request;
    request.set_request_id("partner-" + id);
    request.set_partner_id(id);
    request.set_name(id);
    request.set_status(v1::PARTNER_STATUS_ACTIVE);
    v1::UpsertPartnerResponse response;
    const grpc::Status status = served_.program().UpsertPartner(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // Commits `sale` on `day`; returns the tier it was priced in.
  std::string Buy(absl::Time day, const Sale& sale) {
    clock_.Set(day);
    grpc::ClientContext context;
    v1::CommitPurchaseRequest request;
    request.set_request_id(absl::StrCat("sale-", ++sales_));
    v1::Purchase* purchase = request.mutable_purchase();
    purchase->set_member_id(sale.member);
    purchase->set_order_id(request.request_id());
    purchase->set_store_id(sale.store);
    purchase->set_partner_id(sale.partner);
    purchase->set_currency("EUR");
    *purchase->mutable_purchase_time() = ToTimestamp(day);
    v1::PurchaseLine* line = purchase->add_lines();
    line->set_sku("x");
    line->set_quantity(1);
    line->set_unit_price_minor(sale.price_minor);
    v1::CommitPurchaseResponse response;
    const grpc::Status status = served_.checkout().CommitPurchase(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.priced().tier();
  }

  void RefundWhole(const std::string& member, int sale) {
    grpc::ClientContext context;
    v1::RefundPurchaseRequest request;
    request.set_request_id(absl::StrCat("refund-", sale));
    request.set_member_id(member);
    request.set_order_id(absl::StrCat("sale-", sale));
    v1::RefundPurchaseResponse response;
    const grpc::Status status = served_.checkout().RefundPurchase(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // Rows by group for the months [from, to).
  std::map<std::string, v1::MetricsRow> Rows(
      absl::Time from, absl::Time to,
      v1::MetricsGrouping grouping = v1::METRICS_GROUPING_UNSPECIFIED) {
    grpc::ClientContext context;
    v1::GetProgramMetricsRequest request;
    *request.mutable_from_time() = ToTimestamp(from);
    *request.mutable_to_time() = ToTimestamp(to);
    request.set_grouping(grouping);
    v1::GetProgramMetricsResponse response;
    const grpc::Status status = served_.audit().GetProgramMetrics(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::map<std::string, v1::MetricsRow> rows;
    for (const v1::MetricsRow& row : response.rows()) rows[row.group()] = row;
    return rows;
  }

  // The July-August example of the issue: ten members (m0..m4 students)
  // buy at north in July; m0..m3 buy again at south in August.
  void JulyAndAugust() {
    for (int m = 0; m < 10; ++m) {
      Enroll(absl::StrCat("m", m), m < 5 ? "student" : "");
    }
    for (int m = 0; m < 10; ++m) Buy(Day(7, 1 + m), {absl::StrCat("m", m)});
    for (int m = 0; m < 4; ++m) {
      Buy(Day(8, 3 + m), {absl::StrCat("m", m), "south"});
    }
  }

  ManualClock clock_{Day(7, 1)};
  testing::ServedLedger served_;  // after the clock it uses
  int sales_ = 0;
};

void ExpectMembers(const v1::MetricsRow& row, int64_t active, int64_t repeat,
                   int64_t purchases) {
  SCOPED_TRACE(row.group());
  EXPECT_EQ(row.active_members(), active);
  EXPECT_EQ(row.repeat_members(), repeat);
  EXPECT_EQ(row.purchases(), purchases);
  EXPECT_EQ(row.repeat_rate_bp(), active == 0 ? 0 : repeat * 10000 / active);
  EXPECT_EQ(row.purchase_frequency_centi(),
            active == 0 ? 0 : purchases * 100 / active);
}

TEST_F(MetricsOverMonthsTest, JulyAndAugustCountEachMemberOnce) {
  JulyAndAugust();
  // By hand: 10 active, 4 repeat (40.00%), 14 purchases (1.40 a member).
  const auto both = Rows(Day(7, 1), Day(9, 1));
  ASSERT_EQ(both.count("all"), 1u);
  ExpectMembers(both.at("all"), 10, 4, 14);
  EXPECT_EQ(both.at("all").repeat_rate_bp(), 4000);
  EXPECT_EQ(both.at("all").purchase_frequency_centi(), 140);
  ExpectMembers(Rows(Day(7, 1), Day(8, 1)).at("all"), 10, 0, 10);
  ExpectMembers(Rows(Day(8, 1), Day(9, 1)).at("all"), 4, 0, 4);

  const auto by_store = Rows(Day(7, 1), Day(9, 1), v1::METRICS_GROUPING_STORE);
  ExpectMembers(by_store.at("store:north"), 10, 0, 10);
  ExpectMembers(by_store.at("store:south"), 4, 0, 4);
  const auto by_segment = Rows(Day(7, 1), Day(9, 1), v1::METRICS_GROUPING_SEGMENT);
  ExpectMembers(by_segment.at("segment:student"), 5, 4, 9);  // m0..m4
  ExpectMembers(by_segment.at("segment:-"), 5, 0, 5);        // m5..m9
}

TEST_F(MetricsOverMonthsTest, AMemberWhoBuysInFourMonthsCountsOncePerGroup) {
  JulyAndAugust();
  AddPartner("fuelco");
  Enroll("four");
  // September 1,200.00 EUR at north lifts "four" to gold after that sale;
  // October at north, November and December at east with fuelco.
  EXPECT_EQ(Buy(Day(9, 10), {"four", "north", "", 120000}), "member");
  EXPECT_EQ(Buy(Day(10, 10), {"four", "north"}), "gold");
  EXPECT_EQ(Buy(Day(11, 10), {"four", "east", "fuelco"}), "gold");
  EXPECT_EQ(Buy(Day(12, 10), {"four", "east", "fuelco"}), "gold");

  const absl::Time year = Day(1, 1);
  const absl::Time next_year = absl::FromCivil(absl::CivilDay(2027, 1, 1),
                                               absl::UTCTimeZone());
  // The year: m0..m9 (m0..m3 twice) and four (four times).
  ExpectMembers(Rows(year, next_year).at("all"), 11, 5, 18);
  ExpectMembers(Rows(Day(9, 1), next_year).at("all"), 1, 1, 4);
  ExpectMembers(Rows(Day(8, 1), Day(10, 1)).at("all"), 5, 0, 5);

  const auto by_store = Rows(year, next_year, v1::METRICS_GROUPING_STORE);
  ExpectMembers(by_store.at("store:north"), 11, 1, 12);
  ExpectMembers(by_store.at("store:south"), 4, 0, 4);
  ExpectMembers(by_store.at("store:east"), 1, 1, 2);
  const auto by_partner = Rows(year, next_year, v1::METRICS_GROUPING_PARTNER);
  ExpectMembers(by_partner.at("partner:-"), 11, 5, 16);
  ExpectMembers(by_partner.at("partner:fuelco"), 1, 1, 2);
  const auto by_tier = Rows(year, next_year, v1::METRICS_GROUPING_TIER);
  ExpectMembers(by_tier.at("tier:member"), 11, 4, 15);
  ExpectMembers(by_tier.at("tier:gold"), 1, 1, 3);
}

// by_month: each month of the period with its own rows, equal to what the
// same request for that month alone gives.
TEST_F(MetricsOverMonthsTest, ByMonthGivesEachMonthAsItsOwnPeriodWould) {
  JulyAndAugust();
  grpc::ClientContext context;
  v1::GetProgramMetricsRequest request;
  *request.mutable_from_time() = ToTimestamp(Day(6, 1));
  *request.mutable_to_time() = ToTimestamp(Day(10, 1));
  request.set_grouping(v1::METRICS_GROUPING_STORE);
  request.set_by_month(true);
  v1::GetProgramMetricsResponse response;
  ASSERT_TRUE(
      served_.audit().GetProgramMetrics(&context, request, &response).ok());
  ASSERT_EQ(response.months_size(), 2);  // June and September hold nothing
  EXPECT_EQ(response.months(0).month(), "2026-07");
  EXPECT_EQ(response.months(1).month(), "2026-08");
  for (const v1::MetricsMonth& month : response.months()) {
    const absl::Time start = Day(month.month() == "2026-07" ? 7 : 8, 1);
    const auto alone =
        Rows(start, start + absl::Hours(24 * 31), v1::METRICS_GROUPING_STORE);
    ASSERT_EQ(static_cast<size_t>(month.rows_size()), alone.size());
    for (const v1::MetricsRow& row : month.rows()) {
      SCOPED_TRACE(month.month() + " " + row.group());
      EXPECT_EQ(row.SerializeAsString(),
                alone.at(row.group()).SerializeAsString());
    }
  }
  ASSERT_EQ(response.months(1).rows_size(), 1);  // August: south only
  EXPECT_EQ(response.months(1).rows(0).group(), "store:south");
  ExpectMembers(response.months(1).rows(0), 4, 0, 4);
}

// A sale refunded in full was still a visit: the member stays active (and
// the purchase counted), as documented in engine/analytics/activity.h.
TEST_F(MetricsOverMonthsTest, AFullyRefundedSaleStillMakesTheMemberActive) {
  Enroll("ann");
  Enroll("bob");
  Buy(Day(7, 2), {"ann"});
  Buy(Day(7, 3), {"bob"});
  clock_.Set(Day(7, 4));
  RefundWhole("bob", 2);
  const auto july = Rows(Day(7, 1), Day(8, 1)).at("all");
  ExpectMembers(july, 2, 0, 2);
  EXPECT_EQ(july.revenue_minor(), 1000);  // bob's money went back
}

}  // namespace
}  // namespace loyalty
