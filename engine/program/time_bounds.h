// Bounds on the times a caller chooses (a purchase's purchase_time, an
// enrollment's enroll_time). An offline till sends its sales late, with
// their own times; the engine accepts a time that is
//   - not after the server's clock by more than `clock_skew` (a till's clock
//     runs a little fast: TIME_IN_FUTURE beyond that),
//   - not older than `max_backdate` (TIME_TOO_OLD: how far back a till may
//     sync, loyaltyd --max-backdate, 30 days by default),
//   - for a purchase, not before the member's enrollment
//     (TIME_BEFORE_ENROLLMENT).
// Each refusal is INVALID_ARGUMENT naming the field. "Now" is always the
// injected clock's (the writer's transaction time for writes).
#ifndef LOYALTY_ENGINE_PROGRAM_TIME_BOUNDS_H_
#define LOYALTY_ENGINE_PROGRAM_TIME_BOUNDS_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace loyalty::program {

struct TimeBounds {
  absl::Duration clock_skew = absl::Minutes(5);
  absl::Duration max_backdate = absl::Hours(24 * 30);
};

// The longest back-dating horizon loyaltyd accepts: the tier history a
// member record keeps (tiers.h) covers it.
inline constexpr absl::Duration kMaxBackdateHorizon = absl::Hours(24 * 366);

// A caller's time: `time` itself when it is within the bounds at `now` (and
// not before `not_before`, when given), `now` when unset (`time` is null).
absl::StatusOr<absl::Time> CallerTime(
    const google::protobuf::Timestamp* time, absl::string_view field,
    absl::Time now, const TimeBounds& bounds,
    std::optional<absl::Time> not_before = std::nullopt);

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_TIME_BOUNDS_H_
