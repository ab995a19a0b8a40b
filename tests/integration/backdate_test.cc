// Times callers choose, through a real loyaltyd (RocksDB in a temp dir, gRPC
// on loopback) with a clock the test moves: purchase_time and enroll_time
// within the clock skew, the back-dating horizon and the enrollment
// (engine/program/time_bounds.h); a back-dated sale priced by the rule-set
// version and the tier of its time, and counted in the tier window of its
// time.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/base/time_util.h"
#include "engine/evaluator/rule_file.h"
#include "gtest/gtest.h"
#include "tests/support/served_ledger.h"

namespace loyalty {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1772323200);  // 2026-03-01
constexpr absl::Duration kDay = absl::Hours(24);

using testing::DetailOf;

// 1 point per `per_minor` paid; with `tiers`, spend tiers over a rolling
// 10-day window: silver from 100.00 EUR earns double, reviewed yearly.
std::shared_ptr<const evaluator::CompiledRules> Rules(int per_minor, bool tiers) {
  auto rule_set = evaluator::ParseRuleFile("test.yaml", testing::RulesYaml(per_minor));
  EXPECT_TRUE(rule_set.ok()) << rule_set.status();
  if (tiers) {
    v1::TierSettings* settings = rule_set->mutable_tiers();
    settings->set_measure(v1::TIER_MEASURE_SPEND);
    settings->set_window(v1::TIER_WINDOW_ROLLING);
    settings->set_window_days(10);
    settings->set_review_days(365);
    for (const auto& [id, threshold] :
         {std::pair<const char*, int64_t>{"member", 0}, {"silver", 10000}}) {
      v1::Tier* level = settings->add_levels();
      level->set_id(id);
      level->set_name(id);
      level->set_threshold(threshold);
    }
    settings->mutable_levels(1)->mutable_benefits()->set_earn_multiplier_percent(200);
  }
  auto compiled = evaluator::CompiledRules::Compile(*rule_set);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return *compiled;
}

class BackdateTest : public ::testing::Test {
 protected:
  void Start(std::shared_ptr<const evaluator::CompiledRules> rules) {
    served_.Stop();
    server::ServerOptions options;
    options.rules = std::move(rules);
    options.clock = &clock_;
    ASSERT_NO_FATAL_FAILURE(served_.Start(options));
  }

  grpc::Status Enroll(const std::string& id, std::optional<absl::Time> when = {}) {
    grpc::ClientContext context;
    v1::EnrollMemberRequest request;
    request.set_request_id("enroll-" + id);
    request.mutable_profile()->set_member_id(id);
    if (when.has_value()) *request.mutable_enroll_time() = ToTimestamp(*when);
    v1::EnrollMemberResponse response;
    return served_.members().EnrollMember(&context, request, &response);
  }

  v1::Purchase Sale(const std::string& member, const std::string& order,
                    int64_t amount_minor, std::optional<absl::Time> when) {
    v1::Purchase purchase;
    purchase.set_member_id(member);
    purchase.set_order_id(order);
    purchase.set_currency("EUR");
    v1::PurchaseLine* line = purchase.add_lines();
    line->set_sku("sku");
    line->set_quantity(1);
    line->set_unit_price_minor(amount_minor);
    if (when.has_value()) *purchase.mutable_purchase_time() = ToTimestamp(*when);
    return purchase;
  }

  grpc::Status Commit(const v1::Purchase& purchase, v1::CommitPurchaseResponse* response) {
    grpc::ClientContext context;
    v1::CommitPurchaseRequest request;
    request.set_request_id("sale-" + purchase.order_id());
    *request.mutable_purchase() = purchase;
    return served_.checkout().CommitPurchase(&context, request, response);
  }

  grpc::Status Quote(const v1::Purchase& purchase, v1::QuotePurchaseResponse* response) {
    grpc::ClientContext context;
    v1::QuotePurchaseRequest request;
    *request.mutable_purchase() = purchase;
    return served_.checkout().QuotePurchase(&context, request, response);
  }

  // A committed sale, or the test fails.
  v1::CommitPurchaseResponse Committed(const v1::Purchase& purchase) {
    v1::CommitPurchaseResponse response;
    const grpc::Status status = Commit(purchase, &response);
    EXPECT_TRUE(status.ok()) << purchase.order_id() << ": " << status.error_message();
    return response;
  }

  // Both the quote and the commit of `purchase` are refused with `reason`.
  void ExpectRefused(const v1::Purchase& purchase, const std::string& reason) {
    v1::QuotePurchaseResponse quoted;
    const grpc::Status quote = Quote(purchase, &quoted);
    EXPECT_EQ(quote.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << quote.error_message();
    EXPECT_EQ(DetailOf(quote).reason(), reason) << quote.error_message();
    EXPECT_EQ(DetailOf(quote).field(), "purchase.purchase_time");
    v1::CommitPurchaseResponse committed;
    const grpc::Status commit = Commit(purchase, &committed);
    EXPECT_EQ(commit.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << commit.error_message();
    EXPECT_EQ(DetailOf(commit).reason(), reason) << commit.error_message();
    EXPECT_EQ(DetailOf(commit).field(), "purchase.purchase_time");
  }

  v1::Balance Balance(const std::string& member) {
    grpc::ClientContext context;
    v1::GetBalanceRequest request;
    request.set_member_id(member);
    v1::GetBalanceResponse response;
    EXPECT_TRUE(served_.members().GetBalance(&context, request, &response).ok());
    return response.balance();
  }

  ManualClock clock_{kStart};
  testing::ServedLedger served_;  // after the clock it uses
};

// The cases: a sale dated 2030, one before the member enrolled,
// and one older than the horizon (30 days by default) are refused, each
// with its own reason; a till's clock a few minutes fast is not.
TEST_F(BackdateTest, PurchaseTimesOutsideTheBoundsAreRefused) {
  ASSERT_NO_FATAL_FAILURE(Start(Rules(100, false)));
  clock_.Set(kStart + 40 * kDay);
  ASSERT_TRUE(Enroll("ann").ok());
  const absl::Time now = clock_.Now();
  ExpectRefused(Sale("ann", "A-1", 1000, absl::FromUnixSeconds(1893456000)),  // 2030
                "TIME_IN_FUTURE");
  ExpectRefused(Sale("ann", "A-2", 1000, now + absl::Minutes(6)), "TIME_IN_FUTURE");
  ExpectRefused(Sale("ann", "A-3", 1000, now - absl::Hours(1)), "TIME_BEFORE_ENROLLMENT");
  ExpectRefused(Sale("ann", "A-4", 1000, now - 31 * kDay), "TIME_TOO_OLD");
  EXPECT_EQ(Committed(Sale("ann", "A-5", 1000, now + absl::Minutes(4))).priced()
                .points_earned(), 10);
  EXPECT_EQ(Committed(Sale("ann", "A-6", 1000, std::nullopt)).priced().points_earned(), 10);
}

// An offline till enrolls a customer and sells to her, then syncs: the
// enrollment carries its own time, so the sale after it is accepted.
TEST_F(BackdateTest, ABackDatedEnrollmentLetsTheTillsFirstSaleThrough) {
  ASSERT_NO_FATAL_FAILURE(Start(Rules(100, false)));
  const absl::Time offline = kStart - 2 * kDay;
  ASSERT_TRUE(Enroll("bo", offline).ok());
  EXPECT_EQ(Committed(Sale("bo", "B-1", 1000, offline + absl::Minutes(5)))
                .priced().points_earned(), 10);
  grpc::ClientContext context;
  v1::GetMemberRequest request;
  request.set_member_id("bo");
  v1::GetMemberResponse member;
  ASSERT_TRUE(served_.members().GetMember(&context, request, &member).ok());
  EXPECT_EQ(FromTimestamp(member.member().enroll_time()), offline);
  ExpectRefused(Sale("bo", "B-2", 1000, offline - absl::Minutes(5)),
                "TIME_BEFORE_ENROLLMENT");

  for (const auto& [when, reason] :
       {std::pair<absl::Time, const char*>{kStart - 31 * kDay, "TIME_TOO_OLD"},
        {kStart + absl::Hours(1), "TIME_IN_FUTURE"}}) {
    const grpc::Status refused = Enroll(absl::StrCat("late-", reason), when);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(DetailOf(refused).reason(), reason) << refused.error_message();
    EXPECT_EQ(DetailOf(refused).field(), "enroll_time");
  }
}

// Version 1 earns 1 point per 1.00 EUR until day 5, version 2 earns 2: a
// sale of day 2 synced on day 6 earns as version 1 priced on day 2.
TEST_F(BackdateTest, ABackDatedSaleIsPricedByTheVersionOfItsTime) {
  ASSERT_NO_FATAL_FAILURE(Start(Rules(100, false)));
  ASSERT_TRUE(Enroll("ann").ok());
  const std::string first = served_.server().operations().rules()->version();
  clock_.Set(kStart + 5 * kDay);
  ASSERT_NO_FATAL_FAILURE(Start(Rules(50, false)));  // stored and active from day 5
  const std::string second = served_.server().operations().rules()->version();
  ASSERT_NE(first, second);
  clock_.Set(kStart + 6 * kDay);

  const v1::Purchase before = Sale("ann", "V-1", 1000, kStart + 2 * kDay);
  v1::QuotePurchaseResponse quoted;
  ASSERT_TRUE(Quote(before, &quoted).ok());
  EXPECT_EQ(quoted.priced().points_earned(), 10);
  EXPECT_EQ(quoted.priced().rules_version(), first);
  const v1::CommitPurchaseResponse old_sale = Committed(before);
  EXPECT_EQ(old_sale.priced().points_earned(), 10);
  EXPECT_EQ(old_sale.priced().rules_version(), first);

  const v1::CommitPurchaseResponse new_sale =
      Committed(Sale("ann", "V-2", 1000, kStart + 5 * kDay + absl::Hours(1)));
  EXPECT_EQ(new_sale.priced().points_earned(), 20);
  EXPECT_EQ(new_sale.priced().rules_version(), second);
}

// Silver (double points) is reached on day 1. A sale of the morning before,
// synced on day 3, is priced at the member level; one of day 2 at silver.
// On day 12 the 10-day window has moved past day 2: a sale of that day
// counts nowhere, one of day 4 counts.
TEST_F(BackdateTest, ABackDatedSaleIsPricedByTheTierOfItsTimeAndCountsInItsWindow) {
  ASSERT_NO_FATAL_FAILURE(Start(Rules(100, true)));
  ASSERT_TRUE(Enroll("ann").ok());
  clock_.Set(kStart + kDay);
  const v1::CommitPurchaseResponse raise = Committed(Sale("ann", "T-1", 10000, std::nullopt));
  EXPECT_EQ(raise.balance().tier(), "silver");

  clock_.Set(kStart + 3 * kDay);
  const v1::Purchase morning = Sale("ann", "T-2", 1000, kStart + absl::Hours(12));
  v1::QuotePurchaseResponse quoted;
  ASSERT_TRUE(Quote(morning, &quoted).ok());
  EXPECT_EQ(quoted.priced().tier(), "member");
  EXPECT_EQ(quoted.priced().points_earned(), 10);
  const v1::CommitPurchaseResponse before = Committed(morning);
  EXPECT_EQ(before.priced().tier(), "member");
  EXPECT_EQ(before.priced().points_earned(), 10);
  const v1::CommitPurchaseResponse after =
      Committed(Sale("ann", "T-3", 1000, kStart + 2 * kDay));
  EXPECT_EQ(after.priced().tier(), "silver");
  EXPECT_EQ(after.priced().points_earned(), 20);

  clock_.Set(kStart + 12 * kDay);
  EXPECT_EQ(Balance("ann").tier_progress().qualifying(), 0);
  Committed(Sale("ann", "T-4", 5000, kStart + 2 * kDay + absl::Hours(6)));
  EXPECT_EQ(Balance("ann").tier_progress().qualifying(), 0);
  Committed(Sale("ann", "T-5", 5000, kStart + 4 * kDay));
  EXPECT_EQ(Balance("ann").tier_progress().qualifying(), 5000);
}

}  // namespace
}  // namespace loyalty
