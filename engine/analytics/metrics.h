// Program metrics from the counters kept beside the journal (O(groups x
// months)) and, for the distinct-member figures (active and repeat members,
// repeat rate, purchase frequency), from the members' month records of the
// period read from one snapshot (activity.h: linear in the records of the
// period, never a ledger scan). See counters.h and activity.h for what is
// counted and audit.proto for what each figure means.
#ifndef LOYALTY_ENGINE_ANALYTICS_METRICS_H_
#define LOYALTY_ENGINE_ANALYTICS_METRICS_H_

#include "absl/status/statusor.h"
#include "engine/ledger/ledger.h"
#include "loyalty/v1/audit.pb.h"
#include "loyalty/v1/rules.pb.h"

namespace loyalty::analytics {

// Redemption below this share of issued points (in basis points) is flagged.
inline constexpr int64_t kLowRedemptionBp = 2000;

absl::StatusOr<loyalty::v1::GetProgramMetricsResponse> ComputeMetrics(
    const ledger::Ledger& ledger, const loyalty::v1::RuleSet& rules,
    const loyalty::v1::GetProgramMetricsRequest& request, absl::Time now);

// NPS from the three counts: %promoters - %detractors, rounded half away
// from zero; 0 without answers.
int64_t NetPromoterScore(int64_t promoters, int64_t passives,
                         int64_t detractors);

}  // namespace loyalty::analytics

#endif  // LOYALTY_ENGINE_ANALYTICS_METRICS_H_
