#include "time_flags.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace loyaltyctl {
namespace {

using google::protobuf::Timestamp;

Timestamp ToTimestamp(absl::Time time) {
  Timestamp timestamp;
  timestamp.set_seconds(absl::ToUnixSeconds(time));
  return timestamp;
}

bool IsSet(const Timestamp& time) {
  return time.seconds() != 0 || time.nanos() != 0;
}

}  // namespace

absl::StatusOr<Timestamp> ParseInstantFlag(const std::string& flag_name,
                                           const std::string& text,
                                           RangeEnd end) {
  absl::CivilDay day;
  if (absl::ParseCivilTime(text, &day)) {
    if (end == RangeEnd::kTo) day += 1;
    return ToTimestamp(absl::FromCivil(day, absl::UTCTimeZone()));
  }
  Timestamp instant;
  if (google::protobuf::util::TimeUtil::FromString(text, &instant)) {
    return instant;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag_name,
                   " must be a date YYYY-MM-DD or an RFC 3339 time such as "
                   "2024-05-01T10:30:00Z, got '",
                   text, "'"));
}

absl::StatusOr<Timestamp> ParseMonthFlag(const std::string& flag_name,
                                         const std::string& text,
                                         RangeEnd end) {
  absl::CivilMonth month;
  if (!absl::ParseCivilTime(text, &month)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag_name, " must be a month YYYY-MM, got '", text, "'"));
  }
  if (end == RangeEnd::kTo) month += 1;
  return ToTimestamp(absl::FromCivil(month, absl::UTCTimeZone()));
}

absl::Status CheckRange(const Timestamp& from, const Timestamp& to,
                        const std::string& from_text,
                        const std::string& to_text) {
  if (!IsSet(from) || !IsSet(to)) return absl::OkStatus();
  if (from.seconds() < to.seconds() ||
      (from.seconds() == to.seconds() && from.nanos() < to.nanos())) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "the period is empty: --from ", from_text, " is not before --to ",
      to_text, " (from ", google::protobuf::util::TimeUtil::ToString(from),
      " up to, not including, ", google::protobuf::util::TimeUtil::ToString(to),
      ")"));
}

}  // namespace loyaltyctl
