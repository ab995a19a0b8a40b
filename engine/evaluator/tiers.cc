// TierIndexFor and TierIndexOf: a walk over at most kMaxTierLevels levels.
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

}  // namespace loyalty::evaluator
