// The money terms of a program (currency, point value) on a live server: a
// rule file that changes them is refused by ValidateRules and LoadRules,
// and at start, once a sale has moved points or money; before that, on a
// ledger where nothing moved (members may be enrolled), it is accepted.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "loyalty/v1/types.pb.h"
#include "tests/support/served_ledger.h"

namespace loyalty {
namespace {

std::string TermsRules(const std::string& currency, int point_value_minor) {
  return absl::StrCat("program: {id: terms, currency: ", currency,
                      ", point_value_minor: ", point_value_minor,
                      "}\n"
                      "earn: {points: 1, per_minor: 100, rounding: down}\n"
                      "burn: {max_basket_share_percent: 50, "
                      "earned_points_pay_same_order: false}\n");
}

using testing::DetailOf;

class RuleTermsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(Start(TermsRules("EUR", 1)));
    Enroll("ann");
  }

  void Start(const std::string& yaml) {
    ASSERT_NO_FATAL_FAILURE(served_.Start(testing::ServedOptions(yaml)));
  }

  void Stop() { served_.Stop(); }

  void Enroll(const std::string& id) {
    const grpc::Status status = served_.Enroll(id);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  void Sale() {
    grpc::ClientContext context;
    v1::CommitPurchaseRequest request;
    request.set_request_id("sale-1");
    auto* purchase = request.mutable_purchase();
    purchase->set_member_id("ann");
    purchase->set_order_id("order-1");
    purchase->set_currency("EUR");
    auto* line = purchase->add_lines();
    line->set_sku("sku");
    line->set_quantity(1);
    line->set_unit_price_minor(2000);
    v1::CommitPurchaseResponse response;
    ASSERT_TRUE(served_.checkout().CommitPurchase(&context, request, &response).ok());
  }

  grpc::Status Validate(const std::string& yaml) {
    grpc::ClientContext context;
    v1::ValidateRulesRequest request;
    request.set_file_name("new.yaml");
    request.set_yaml(yaml);
    v1::ValidateRulesResponse response;
    grpc::Status status = served_.program().ValidateRules(&context, request, &response);
    if (status.ok()) {
      EXPECT_TRUE(response.problems().empty()) << response.problems(0);
    }
    return status;
  }

  grpc::Status Load(const std::string& request_id, const std::string& yaml) {
    grpc::ClientContext context;
    v1::LoadRulesRequest request;
    request.set_request_id(request_id);
    request.set_file_name("new.yaml");
    request.set_yaml(yaml);
    v1::LoadRulesResponse response;
    return served_.program().LoadRules(&context, request, &response);
  }

  std::string ActiveVersion() {
    grpc::ClientContext context;
    v1::GetRulesResponse response;
    EXPECT_TRUE(served_.program().GetRules(&context, {}, &response).ok());
    return response.active_version();
  }

  static void ExpectRefused(const grpc::Status& status, const std::string& reason,
                            const std::string& field) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << status.error_message();
    EXPECT_EQ(DetailOf(status).reason(), reason);
    EXPECT_EQ(DetailOf(status).field(), field);
  }

  testing::ServedLedger served_;
};

TEST_F(RuleTermsTest, BeforeAnySaleTheTermsMayChange) {
  EXPECT_TRUE(Validate(TermsRules("USD", 1)).ok());
  EXPECT_TRUE(Load("usd", TermsRules("USD", 1)).ok());
  EXPECT_TRUE(Load("usd-2", TermsRules("USD", 2)).ok());
  EXPECT_EQ(ActiveVersion(),
            testing::CompileRules(TermsRules("USD", 2))->version());
}

TEST_F(RuleTermsTest, AfterASaleAnotherCurrencyIsRefusedAtValidateAndLoad) {
  Sale();
  const std::string active = ActiveVersion();
  ExpectRefused(Validate(TermsRules("USD", 1)), "RULES_CURRENCY_CHANGED",
                "program.currency");
  ExpectRefused(Load("usd", TermsRules("USD", 1)), "RULES_CURRENCY_CHANGED",
                "program.currency");
  EXPECT_EQ(ActiveVersion(), active);
}

TEST_F(RuleTermsTest, AfterASaleAnotherPointValueIsRefusedAtValidateAndLoad) {
  Sale();
  const std::string active = ActiveVersion();
  ExpectRefused(Validate(TermsRules("EUR", 100)), "RULES_POINT_VALUE_CHANGED",
                "program.point_value_minor");
  ExpectRefused(Load("value", TermsRules("EUR", 100)),
                "RULES_POINT_VALUE_CHANGED", "program.point_value_minor");
  EXPECT_EQ(ActiveVersion(), active);
  // The same terms with other settings still load.
  EXPECT_TRUE(Load("same-terms", TermsRules("EUR", 1) +
                                     "points: {lifetime_days: 365}\n")
                  .ok());
}

TEST_F(RuleTermsTest, AfterASaleAStartFileInAnotherCurrencyIsRefused) {
  Sale();
  Stop();
  const absl::Status started = served_.TryStart(testing::ServedOptions(TermsRules("USD", 1)));
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
  ASSERT_NO_FATAL_FAILURE(Start(TermsRules("EUR", 1)));
}

}  // namespace
}  // namespace loyalty
