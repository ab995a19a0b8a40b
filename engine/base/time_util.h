// Conversions between absl::Time and google.protobuf.Timestamp.
#ifndef LOYALTY_ENGINE_BASE_TIME_UTIL_H_
#define LOYALTY_ENGINE_BASE_TIME_UTIL_H_

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace loyalty {

inline google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  google::protobuf::Timestamp timestamp;
  const int64_t nanos = absl::ToUnixNanos(time);
  int64_t seconds = nanos / 1000000000;
  int64_t remainder = nanos % 1000000000;
  if (remainder < 0) {  // Timestamp wants nanos in [0, 1e9).
    remainder += 1000000000;
    --seconds;
  }
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(static_cast<int32_t>(remainder));
  return timestamp;
}

inline absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) +
         absl::Nanoseconds(timestamp.nanos());
}

}  // namespace loyalty

#endif  // LOYALTY_ENGINE_BASE_TIME_UTIL_H_
