// The program time zone: where weekdays, hours, dates and the calendar
// periods of caps are counted.
#ifndef LOYALTY_ENGINE_EVALUATOR_TIME_ZONE_H_
#define LOYALTY_ENGINE_EVALUATOR_TIME_ZONE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace loyalty::evaluator::internal {

// "" and "UTC" give UTC; "+02:00", "-05:30", "UTC+01:00" give a fixed
// offset (no daylight saving, no tzdata needed); any other name is looked up
// in the system's tzdata (e.g. "Europe/Berlin"). When tzdata is missing or
// does not know the name, the result is INVALID_ARGUMENT naming the fixed
// offset option: a rule set never silently falls back to UTC.
absl::StatusOr<absl::TimeZone> ResolveTimeZone(absl::string_view name);

// Day, month and year keys of `time` in `zone`: "2024-06-15", "2024-06",
// "2024", as used in member usage keys.
struct PeriodKeys {
  std::string day;
  std::string month;
  std::string year;
};
PeriodKeys PeriodKeysAt(absl::Time time, absl::TimeZone zone);

}  // namespace loyalty::evaluator::internal

#endif  // LOYALTY_ENGINE_EVALUATOR_TIME_ZONE_H_
