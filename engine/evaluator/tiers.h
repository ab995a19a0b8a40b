// Where a member stands on a program's tier ladder (rules.proto TierSettings),
// for the program layer: which level a qualifying amount reaches, and the
// position of a level by id. Pure functions over a checked rule set
// (CheckRuleSet: levels[0].threshold == 0, thresholds strictly ascending,
// ids unique); thread-safe.
#ifndef LOYALTY_ENGINE_EVALUATOR_TIERS_H_
#define LOYALTY_ENGINE_EVALUATOR_TIERS_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "loyalty/v1/rules.pb.h"

namespace loyalty::evaluator {

// The index in tiers.levels() of the highest level whose threshold is at
// most `qualifying` (spend in minor units, points earned or visits, as
// tiers.measure() says). 0 when there are no levels, and for a qualifying
// amount below every threshold (a refund can make it negative): every
// member is at least in the first level.
int TierIndexFor(const loyalty::v1::TierSettings& tiers, int64_t qualifying);

// The index in tiers.levels() of the level with id `id`; -1 when no level
// has it (an empty id included). The caller turns -1 into "no tier" (a
// level removed by a newer rule set), never into an index.
int TierIndexOf(const loyalty::v1::TierSettings& tiers, absl::string_view id);

// How rule files spell a measure, for TierProgress.measure: "spend",
// "points_earned" or "visits"; "" for TIER_MEASURE_UNSPECIFIED (no tiers).
absl::string_view TierMeasureName(loyalty::v1::TierMeasure measure);

}  // namespace loyalty::evaluator

#endif  // LOYALTY_ENGINE_EVALUATOR_TIERS_H_
