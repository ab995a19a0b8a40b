#include "engine/program/time_bounds.h"

#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "engine/base/time_util.h"

namespace loyalty::program {
namespace {

// What google.protobuf.Timestamp allows: 0001-01-01 to 9999-12-31.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<absl::Time> CallerTime(const google::protobuf::Timestamp* time,
                                      absl::string_view field, absl::Time now,
                                      const TimeBounds& bounds,
                                      std::optional<absl::Time> not_before) {
  if (time == nullptr) return now;
  if (time->seconds() < kMinSeconds || time->seconds() > kMaxSeconds ||
      time->nanos() < 0 || time->nanos() > 999999999) {
    return InvalidArgument("INVALID_TIME", field,
                           "not a valid timestamp (years 1 to 9999)");
  }
  const absl::Time when = FromTimestamp(*time);
  if (when > now + bounds.clock_skew) {
    return InvalidArgument(
        "TIME_IN_FUTURE", field,
        absl::StrCat(Rfc3339(when), " is more than ",
                     absl::FormatDuration(bounds.clock_skew),
                     " after the server's clock (", Rfc3339(now), ")"));
  }
  if (when < now - bounds.max_backdate) {
    return InvalidArgument(
        "TIME_TOO_OLD", field,
        absl::StrCat(Rfc3339(when), " is more than ",
                     absl::FormatDuration(bounds.max_backdate),
                     " in the past; the back-dating horizon is loyaltyd --max-backdate"));
  }
  if (not_before.has_value() && when < *not_before) {
    return InvalidArgument(
        "TIME_BEFORE_ENROLLMENT", field,
        absl::StrCat(Rfc3339(when), " is before the member enrolled (",
                     Rfc3339(*not_before), ")"));
  }
  return when;
}

}  // namespace loyalty::program
