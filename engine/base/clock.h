// The injected clock (ledger rule 7): every layer asks a Clock for the time,
// so tests can walk a member through a year in microseconds.
#ifndef LOYALTY_ENGINE_BASE_CLOCK_H_
#define LOYALTY_ENGINE_BASE_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace loyalty {

// Thread-safe in every implementation.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The real wall clock. A process-wide instance; never deleted.
Clock& SystemClock();

// A clock that only moves when told to. Thread-safe.
class ManualClock : public Clock {
 public:
  explicit ManualClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override;
  void Set(absl::Time now);
  void Advance(absl::Duration step);

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace loyalty

#endif  // LOYALTY_ENGINE_BASE_CLOCK_H_
