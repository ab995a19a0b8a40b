// Dates, instants and months given on the command line, always in UTC.
#ifndef LOYALTY_TOOLS_LOYALTYCTL_TIME_FLAGS_H_
#define LOYALTY_TOOLS_LOYALTYCTL_TIME_FLAGS_H_

#include <google/protobuf/timestamp.pb.h>

#include <string>

#include "absl/status/statusor.h"

namespace loyaltyctl {

// Which end of a half-open range [from, to) a flag gives.
enum class RangeEnd { kFrom, kTo };

// --from / --to of an export: an RFC 3339 instant taken as is, or a date
// YYYY-MM-DD that means its whole day: midnight UTC for kFrom, midnight of
// the next day for kTo (so "--to 2024-05-31" includes May 31st).
absl::StatusOr<google::protobuf::Timestamp> ParseInstantFlag(
    const std::string& flag_name, const std::string& text, RangeEnd end);

// --from / --to of metrics: a month YYYY-MM that means the whole month: its
// first day for kFrom, the first day of the month after for kTo.
absl::StatusOr<google::protobuf::Timestamp> ParseMonthFlag(
    const std::string& flag_name, const std::string& text, RangeEnd end);

// INVALID_ARGUMENT unless from < to (when both are set); `from_text` and
// `to_text` are what was typed, for the message.
absl::Status CheckRange(const google::protobuf::Timestamp& from,
                        const google::protobuf::Timestamp& to,
                        const std::string& from_text,
                        const std::string& to_text);

}  // namespace loyaltyctl

#endif  // LOYALTY_TOOLS_LOYALTYCTL_TIME_FLAGS_H_
