#include "engine/base/clock.h"

namespace loyalty {
namespace {
class WallClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};
}  // namespace

Clock& SystemClock() {
  static WallClock* clock = new WallClock();
  return *clock;
}

absl::Time ManualClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

void ManualClock::Set(absl::Time now) {
  absl::MutexLock lock(&mu_);
  now_ = now;
}

void ManualClock::Advance(absl::Duration step) {
  absl::MutexLock lock(&mu_);
  now_ += step;
}

}  // namespace loyalty
