#include "engine/evaluator/time_zone.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

namespace loyalty::evaluator::internal {
namespace {

bool TwoDigits(absl::string_view text, int& value) {
  if (text.size() != 2 || !absl::ascii_isdigit(text[0]) ||
      !absl::ascii_isdigit(text[1])) {
    return false;
  }
  value = (text[0] - '0') * 10 + (text[1] - '0');
  return true;
}

// "+HH:MM" / "-HH:MM" (optionally after "UTC") -> seconds east of UTC.
std::optional<int> FixedOffsetSeconds(absl::string_view name) {
  absl::ConsumePrefix(&name, "UTC");
  int hours = 0;
  int minutes = 0;
  if (name.size() != 6 || (name[0] != '+' && name[0] != '-') ||
      name[3] != ':' || !TwoDigits(name.substr(1, 2), hours) ||
      !TwoDigits(name.substr(4, 2), minutes) || hours > 14 || minutes > 59) {
    return std::nullopt;
  }
  const int seconds = (hours * 60 + minutes) * 60;
  return name[0] == '-' ? -seconds : seconds;
}

}  // namespace

absl::StatusOr<absl::TimeZone> ResolveTimeZone(absl::string_view name) {
  if (name.empty() || name == "UTC") return absl::UTCTimeZone();
  if (std::optional<int> offset = FixedOffsetSeconds(name)) {
    return absl::FixedTimeZone(*offset);
  }
  const bool plain_name =
      std::all_of(name.begin(), name.end(),
                  [](char c) {
                    return absl::ascii_isalnum(c) || c == '/' || c == '_' ||
                           c == '-' || c == '+';
                  }) &&
      !absl::StrContains(name, "//") && name.front() != '/';
  absl::TimeZone zone;
  if (!plain_name || !absl::StrContains(name, "/") ||
      !absl::LoadTimeZone(std::string(name), &zone)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown time zone '", name,
        "'; use a tzdata name such as Europe/Berlin (the tzdata package must "
        "be installed), UTC, or a fixed offset such as +01:00"));
  }
  return zone;
}

PeriodKeys PeriodKeysAt(absl::Time time, absl::TimeZone zone) {
  const absl::CivilDay day = absl::ToCivilDay(time, zone);
  return PeriodKeys{
      absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day()),
      absl::StrFormat("%04d-%02d", day.year(), day.month()),
      absl::StrFormat("%04d", day.year())};
}

}  // namespace loyalty::evaluator::internal
