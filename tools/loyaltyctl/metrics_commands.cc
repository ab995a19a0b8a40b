// metrics: loyalty measures for a period (Audit.GetProgramMetrics), as
// tables: rows by group, points by month of issue, surveys, program-wide.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "args.h"
#include "client.h"
#include "commands.h"
#include "loyalty/v1/audit.grpc.pb.h"
#include "output.h"
#include "time_flags.h"

namespace loyaltyctl {
namespace {

// A year of a large program takes seconds to count on the server.
constexpr double kMetricsDeadlineSeconds = 300.0;

using loyalty::v1::GetProgramMetricsRequest;
using loyalty::v1::GetProgramMetricsResponse;
using loyalty::v1::MetricsGrouping;

absl::StatusOr<MetricsGrouping> ParseGrouping(const std::string& text) {
  if (text.empty()) return loyalty::v1::METRICS_GROUPING_UNSPECIFIED;
  if (text == "tier") return loyalty::v1::METRICS_GROUPING_TIER;
  if (text == "partner") return loyalty::v1::METRICS_GROUPING_PARTNER;
  if (text == "store") return loyalty::v1::METRICS_GROUPING_STORE;
  if (text == "segment") return loyalty::v1::METRICS_GROUPING_SEGMENT;
  return absl::InvalidArgumentError(absl::StrCat(
      "--by must be tier, partner, store or segment, got '", text, "'"));
}

absl::StatusOr<GetProgramMetricsRequest> BuildRequest(
    const ParsedFlags& flags) {
  GetProgramMetricsRequest request;
  if (flags.Has("from")) {
    absl::StatusOr<google::protobuf::Timestamp> from =
        ParseMonthFlag("from", flags.Get("from"), RangeEnd::kFrom);
    if (!from.ok()) return from.status();
    *request.mutable_from_time() = *from;
  }
  if (flags.Has("to")) {
    absl::StatusOr<google::protobuf::Timestamp> to =
        ParseMonthFlag("to", flags.Get("to"), RangeEnd::kTo);
    if (!to.ok()) return to.status();
    *request.mutable_to_time() = *to;
  }
  if (absl::Status status = CheckRange(request.from_time(), request.to_time(),
                                       flags.Get("from"), flags.Get("to"));
      !status.ok()) {
    return status;
  }
  absl::StatusOr<MetricsGrouping> grouping = ParseGrouping(flags.Get("by"));
  if (!grouping.ok()) return grouping.status();
  request.set_grouping(*grouping);
  return request;
}

// "12.34%", with a marker when the program is not working.
std::string RedemptionRate(const loyalty::v1::MetricsRow& row) {
  const std::string rate = FormatBasisPoints(row.redemption_rate_bp());
  return row.redemption_warning() ? absl::StrCat(rate, " LOW (<20%)") : rate;
}

void PrintRows(const GetProgramMetricsResponse& response) {
  const std::string& currency = response.currency();
  std::vector<Row> rows;
  for (const loyalty::v1::MetricsRow& row : response.rows()) {
    rows.push_back({row.group(), absl::StrCat(row.points_issued()),
                    absl::StrCat(row.points_redeemed()),
                    absl::StrCat(row.points_expired()), RedemptionRate(row),
                    absl::StrCat(row.purchases()),
                    FormatMoney(row.revenue_minor(), currency),
                    FormatMoney(row.average_basket_minor(), currency),
                    absl::StrCat(row.active_members()),
                    FormatBasisPoints(row.repeat_rate_bp()),
                    FormatCenti(row.purchase_frequency_centi())});
  }
  if (rows.empty()) {
    std::cout << "no activity in the period\n";
    return;
  }
  PrintTable(
      {"GROUP", "ISSUED", "REDEEMED", "EXPIRED", "REDEMPTION", "PURCHASES",
       "REVENUE", "AVG BASKET", "ACTIVE", "REPEAT", "FREQUENCY"},
      rows);
}

void PrintCohorts(const GetProgramMetricsResponse& response) {
  std::cout << "\npoints by month of issue:\n";
  if (response.cohorts().empty()) {
    std::cout << "none issued\n";
    return;
  }
  std::vector<Row> rows;
  for (const loyalty::v1::CohortRow& cohort : response.cohorts()) {
    rows.push_back({cohort.issue_month(), absl::StrCat(cohort.issued()),
                    absl::StrCat(cohort.redeemed()),
                    absl::StrCat(cohort.expired()),
                    absl::StrCat(cohort.outstanding())});
  }
  PrintTable({"ISSUE MONTH", "ISSUED", "REDEEMED", "EXPIRED", "OUTSTANDING"},
             rows);
}

KeyValues SurveyRows(const loyalty::v1::SurveyScores& surveys) {
  const std::string none = "no answers";
  KeyValues rows;
  rows.emplace_back(
      "NPS", surveys.nps_answers() == 0
                 ? none
                 : absl::StrCat(
                       FormatSigned(surveys.nps()), " (", surveys.nps_answers(),
                       " answers: ", surveys.promoters(), " promoters, ",
                       surveys.passives(), " passives, ", surveys.detractors(),
                       " detractors)"));
  rows.emplace_back(
      "CSAT",
      surveys.csat_answers() == 0
          ? none
          : absl::StrCat(FormatBasisPoints(surveys.csat_bp()), " satisfied (",
                         surveys.csat_satisfied(), " of ",
                         surveys.csat_answers(), " answers gave 4 or 5)"));
  rows.emplace_back("CES",
                    surveys.ces_answers() == 0
                        ? none
                        : absl::StrCat(FormatCenti(surveys.ces_mean_centi()),
                                       " mean effort, 1 easy .. 7 hard (",
                                       surveys.ces_answers(), " answers)"));
  return rows;
}

KeyValues ProgramRows(const GetProgramMetricsResponse& response) {
  const std::string& currency = response.currency();
  return {
      {"outstanding points", absl::StrCat(response.outstanding_points())},
      {"liability",
       FormatMoney(response.outstanding_liability_minor(), currency)},
      {"members", absl::StrCat(response.members())},
      {"churn rate", FormatBasisPoints(response.churn_rate_bp())},
      {"CLV", FormatMoney(response.clv_minor(), currency)},
  };
}

std::string PeriodText(const ParsedFlags& flags) {
  return absl::StrCat(
      flags.Get("from", "first month with data"), " .. ",
      flags.Get("to", "this month"),
      flags.Has("by") ? absl::StrCat(", by ", flags.Get("by")) : "");
}

int RunMetrics(const Invocation& invocation) {
  const absl::StatusOr<GetProgramMetricsRequest> request =
      BuildRequest(invocation.flags);
  if (!request.ok()) return UsageError(invocation, request.status());
  GetProgramMetricsResponse response;
  grpc::ClientContext context;
  // Distinct members are counted from the members' month records of the
  // period: seconds for a year of a million members.
  PrepareLongCall(invocation.global, kMetricsDeadlineSeconds, &context);
  const grpc::Status status =
      loyalty::v1::Audit::NewStub(MakeChannel(invocation.global))
          ->GetProgramMetrics(&context, *request, &response);
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  if (invocation.global.json) return PrintJson(response);
  std::cout << "period: " << PeriodText(invocation.flags) << "\n\n";
  PrintRows(response);
  PrintCohorts(response);
  PrintSection("surveys", SurveyRows(response.surveys()));
  PrintSection("program (not split by group)", ProgramRows(response));
  return 0;
}

}  // namespace

std::vector<CommandSpec> MetricsCommands() {
  return {
      {"metrics",
       "",
       "",
       "",
       "Show a period's loyalty measures: redemption, baskets, NPS, "
       "liability.",
       {{"from", "YYYY-MM",
         "First month of the period (UTC). Default: the first month with "
         "data.",
         "--from 2024-01"},
        {"to", "YYYY-MM",
         "Last month of the period, included. Default: this month.",
         "--to 2024-03"},
        {"by", "tier|partner|store|segment",
         "One row per tier, partner, store or segment. Default: one row for "
         "the whole program. ACTIVE, REPEAT and FREQUENCY count each member "
         "once over the whole period, in each row it bought in (default "
         "deadline 300 s).",
         "--by tier"}},
       "loyaltyctl metrics --from 2024-01 --to 2024-03 --by tier",
       RunMetrics},
  };
}

}  // namespace loyaltyctl
