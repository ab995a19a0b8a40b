// TierIndexFor and TierIndexOf walk at most kMaxTierLevels (20) levels.
#include "engine/evaluator/tiers.h"

#include <cstdint>

namespace loyalty::evaluator {

int TierIndexFor(const loyalty::v1::TierSettings& tiers, int64_t qualifying) {
  // Thresholds ascend, so the last level reached is the highest.
  int index = 0;
  for (int i = 1; i < tiers.levels_size(); ++i) {
    if (tiers.levels(i).threshold() > qualifying) break;
    index = i;
  }
  return index;
}

int TierIndexOf(const loyalty::v1::TierSettings& tiers, absl::string_view id) {
  if (id.empty()) return -1;
  for (int i = 0; i < tiers.levels_size(); ++i) {
    if (tiers.levels(i).id() == id) return i;
  }
  return -1;
}

absl::string_view TierMeasureName(loyalty::v1::TierMeasure measure) {
  switch (measure) {
    case loyalty::v1::TIER_MEASURE_SPEND:
      return "spend";
    case loyalty::v1::TIER_MEASURE_POINTS_EARNED:
      return "points_earned";
    case loyalty::v1::TIER_MEASURE_VISITS:
      return "visits";
    default:
      return "";
  }
}

}  // namespace loyalty::evaluator
