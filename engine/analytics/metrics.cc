#include "engine/analytics/metrics.h"

#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/analytics/activity.h"
#include "engine/analytics/counters.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"
#include "engine/ledger/accounts.h"

namespace loyalty::analytics {
namespace {

using loyalty::v1::GetProgramMetricsRequest;
using loyalty::v1::GetProgramMetricsResponse;
using Counters = std::map<std::string, std::vector<int64_t>>;

int64_t At(const std::vector<int64_t>& values, int index) {
  return static_cast<size_t>(index) < values.size() ? values[index] : 0;
}

// a * 10000 / b, or 0 when b is 0.
int64_t BasisPoints(int64_t a, int64_t b) {
  return b == 0 ? 0 : static_cast<int64_t>((__int128)a * 10000 / b);
}

const char* GroupPrefix(loyalty::v1::MetricsGrouping grouping) {
  switch (grouping) {
    case loyalty::v1::METRICS_GROUPING_TIER: return "tier:";
    case loyalty::v1::METRICS_GROUPING_PARTNER: return "partner:";
    case loyalty::v1::METRICS_GROUPING_STORE: return "store:";
    case loyalty::v1::METRICS_GROUPING_SEGMENT: return "segment:";
    default: return "all";
  }
}

// The months [first, end) the request covers, as YYYY-MM strings.
struct Period {
  std::string first = "0000-00";
  std::string end = "9999-99";  // exclusive
};

Period PeriodOf(const GetProgramMetricsRequest& request, absl::Time now) {
  Period period;
  if (request.has_from_time()) period.first = MonthOf(FromTimestamp(request.from_time()));
  period.end = request.has_to_time()
                   ? MonthOf(FromTimestamp(request.to_time()))
                   : MonthOf(now) + "~";  // "~" sorts after any day: this month counts
  return period;
}

void FillRow(const std::vector<int64_t>& sum, loyalty::v1::MetricsRow* row) {
  row->set_points_issued(At(sum, kPointsIssued));
  row->set_points_redeemed(At(sum, kPointsRedeemed));
  row->set_points_expired(At(sum, kPointsExpired));
  row->set_breakage_points(At(sum, kPointsExpired));
  row->set_redemption_rate_bp(BasisPoints(row->points_redeemed(), row->points_issued()));
  row->set_redemption_warning(row->points_issued() > 0 &&
                              row->redemption_rate_bp() < kLowRedemptionBp);
  row->set_cashback_issued_minor(At(sum, kCashbackIssued));
  row->set_cashback_redeemed_minor(At(sum, kCashbackRedeemed));
  row->set_purchases(At(sum, kPurchases));
  row->set_revenue_minor(At(sum, kRevenueMinor));
  row->set_average_basket_minor(
      row->purchases() == 0 ? 0 : row->revenue_minor() / row->purchases());
}

// Active and repeat members, repeat rate and purchase frequency: distinct
// members over the whole period (activity.h), never sums of months.
void FillMembers(const DistinctMembers& members, loyalty::v1::MetricsRow* row) {
  row->set_active_members(members.active);
  row->set_repeat_members(members.repeat);
  row->set_repeat_rate_bp(BasisPoints(members.repeat, members.active));
  row->set_purchase_frequency_centi(BasisPoints(members.purchases, members.active) / 100);
}

void AddInto(const std::vector<int64_t>& values, std::vector<int64_t>* sum) {
  if (sum->size() < values.size()) sum->resize(values.size());
  for (size_t i = 0; i < values.size(); ++i) (*sum)[i] += values[i];
}

void FillRows(const Counters& groups, const Period& period, const char* prefix,
              const std::map<std::string, DistinctMembers>& members,
              GetProgramMetricsResponse* response) {
  std::map<std::string, std::vector<int64_t>> sums;
  for (const auto& [key, values] : groups) {
    // key: g/YYYY-MM/group
    const std::string month = key.substr(2, 7);
    const std::string group = key.substr(10);
    if (month < period.first || month >= period.end) continue;
    if (!absl::StartsWith(group, prefix)) continue;
    AddInto(values, &sums[group]);
  }
  for (const auto& [group, counted] : members) sums[group];  // a row each
  for (const auto& [group, sum] : sums) {
    auto* row = response->add_rows();
    row->set_group(group);
    FillRow(sum, row);
    if (auto it = members.find(group); it != members.end()) {
      FillMembers(it->second, row);
    }
  }
}

void FillCohorts(const Counters& cohorts, const Period& period,
                 GetProgramMetricsResponse* response) {
  for (const auto& [key, values] : cohorts) {
    const std::string month = key.substr(2);
    if (month >= period.end) continue;
    auto* row = response->add_cohorts();
    row->set_issue_month(month);
    row->set_issued(At(values, kCohortIssued));
    row->set_redeemed(At(values, kCohortRedeemed));
    row->set_expired(At(values, kCohortExpired));
    row->set_outstanding(row->issued() - row->redeemed() - row->expired());
  }
}

void FillSurveys(const Counters& surveys, const Period& period,
                 loyalty::v1::SurveyScores* scores) {
  std::vector<int64_t> sum;
  for (const auto& [key, values] : surveys) {
    const std::string month = key.substr(2);
    if (month >= period.first && month < period.end) AddInto(values, &sum);
  }
  scores->set_promoters(At(sum, kNpsPromoters));
  scores->set_passives(At(sum, kNpsPassives));
  scores->set_detractors(At(sum, kNpsDetractors));
  scores->set_nps_answers(scores->promoters() + scores->passives() +
                          scores->detractors());
  scores->set_nps(NetPromoterScore(scores->promoters(), scores->passives(),
                                   scores->detractors()));
  scores->set_csat_answers(At(sum, kCsatAnswers));
  scores->set_csat_satisfied(At(sum, kCsatSatisfied));
  scores->set_csat_bp(BasisPoints(scores->csat_satisfied(), scores->csat_answers()));
  scores->set_ces_answers(At(sum, kCesAnswers));
  scores->set_ces_mean_centi(scores->ces_answers() == 0
                                 ? 0
                                 : At(sum, kCesScoreSum) * 100 / scores->ces_answers());
}

// Churn over the last year of the period, and CLV = t x c x f.
void FillLifetime(const Counters& years, const Period& period,
                  const Counters& groups, GetProgramMetricsResponse* response) {
  // The year of the period's last month (the month before `end`).
  int year = std::stoi(period.end.substr(0, 4));
  if (period.end.size() == 7 && period.end.substr(5, 2) == "01") --year;
  auto value = [&](int y, int index) {
    auto it = years.find(YearKey(y));
    return it == years.end() ? 0 : At(it->second, index);
  };
  const int64_t active_before = value(year - 1, kYearActive);
  const int64_t churn_bp =
      active_before == 0
          ? 0
          : 10000 - BasisPoints(value(year, kYearRetained), active_before);
  response->set_churn_rate_bp(churn_bp);
  std::vector<int64_t> year_sum;
  const std::string year_prefix = absl::StrCat(year);
  for (const auto& [key, values] : groups) {
    if (key.substr(2, 4) == year_prefix && key.substr(10) == "all") {
      AddInto(values, &year_sum);
    }
  }
  const int64_t active = value(year, kYearActive);
  const int64_t purchases = At(year_sum, kPurchases);
  if (active == 0 || purchases == 0) return;
  const int64_t basket = At(year_sum, kRevenueMinor) / purchases;
  // t in years = 1 / churn, at most 10: t = 10000 / churn_bp.
  const int64_t lifetime_bp_inverse = churn_bp < 1000 ? 1000 : churn_bp;
  response->set_clv_minor(static_cast<int64_t>(
      (__int128)basket * purchases * 10000 / active / lifetime_bp_inverse));
}

// The months of `period` that hold a group counter or a survey answer.
std::set<std::string> MonthsWithFigures(const Counters& groups,
                                        const Counters& surveys,
                                        const Period& period) {
  std::set<std::string> months;
  for (const auto& [key, values] : groups) months.insert(key.substr(2, 7));
  for (const auto& [key, values] : surveys) months.insert(key.substr(2, 7));
  months.erase(months.begin(), months.lower_bound(period.first));
  months.erase(months.lower_bound(period.end), months.end());
  return months;
}

// by_month: each month's rows and scores, as a one-month period of its own.
absl::Status FillMonths(const ledger::Ledger& ledger, const Counters& groups,
                        const Counters& surveys, const Period& period,
                        const char* prefix,
                        GetProgramMetricsResponse* response) {
  for (const std::string& month : MonthsWithFigures(groups, surveys, period)) {
    // "~" sorts after any day of the month: the month alone.
    const Period one{month, month + "~"};
    ASSIGN_OR_RETURN(auto members,
                     CountDistinctMembers(ledger, one.first, one.end, prefix));
    auto* figures = response->add_months();
    figures->set_month(month);
    GetProgramMetricsResponse rows;
    FillRows(groups, one, prefix, members, &rows);
    *figures->mutable_rows() = std::move(*rows.mutable_rows());
    FillSurveys(surveys, one, figures->mutable_surveys());
  }
  return absl::OkStatus();
}

absl::Status FillOutstanding(const ledger::Ledger& ledger,
                             const loyalty::v1::RuleSet& rules,
                             GetProgramMetricsResponse* response) {
  ASSIGN_OR_RETURN(auto balances, ledger.ReadProgramBalances());
  int64_t points = 0, cashback = 0;
  for (const auto& [key, amount] : balances) {
    // Every posting sums to zero, so what members hold is minus what the
    // program accounts hold.
    if (key.second == ledger::kPointsAsset) points -= amount;
    if (key.second == rules.program().currency()) cashback -= amount;
  }
  response->set_outstanding_points(points);
  response->set_outstanding_liability_minor(
      points * rules.program().point_value_minor() + cashback);
  response->set_members(ledger.Head().member_count());
  return absl::OkStatus();
}

}  // namespace

int64_t NetPromoterScore(int64_t promoters, int64_t passives,
                         int64_t detractors) {
  const int64_t answers = promoters + passives + detractors;
  if (answers == 0) return 0;
  const int64_t difference = (promoters - detractors) * 100;
  const int64_t half = answers / 2;
  return difference >= 0 ? (difference + half) / answers
                         : -((-difference + half) / answers);
}

absl::StatusOr<GetProgramMetricsResponse> ComputeMetrics(
    const ledger::Ledger& ledger, const loyalty::v1::RuleSet& rules,
    const GetProgramMetricsRequest& request, absl::Time now) {
  const Period period = PeriodOf(request, now);
  GetProgramMetricsResponse response;
  response.set_currency(rules.program().currency());
  ASSIGN_OR_RETURN(Counters groups, ledger.ReadCounters("g/"));
  ASSIGN_OR_RETURN(Counters cohorts, ledger.ReadCounters("c/"));
  ASSIGN_OR_RETURN(Counters surveys, ledger.ReadCounters("s/"));
  ASSIGN_OR_RETURN(Counters years, ledger.ReadCounters("y/"));
  const char* prefix = GroupPrefix(request.grouping());
  ASSIGN_OR_RETURN(auto members,
                   CountDistinctMembers(ledger, period.first, period.end, prefix));
  FillRows(groups, period, prefix, members, &response);
  FillCohorts(cohorts, period, &response);
  FillSurveys(surveys, period, response.mutable_surveys());
  FillLifetime(years, period, groups, &response);
  if (request.by_month()) {
    RETURN_IF_ERROR(
        FillMonths(ledger, groups, surveys, period, prefix, &response));
  }
  RETURN_IF_ERROR(FillOutstanding(ledger, rules, &response));
  return response;
}

}  // namespace loyalty::analytics
