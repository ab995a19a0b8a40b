// The setup phase: enrolls members 0..count-1 as "PREFIX-N" with request id
// "enroll-PREFIX-N", so that running it again enrolls nobody twice. At most
// `concurrency` calls are in flight (callback API); a failed call is retried
// up to kMaxAttempts times, and the phase gives up after kMaxFailures.
#ifndef LOYALTY_TOOLS_LOYALTY_BENCH_ENROLLER_H_
#define LOYALTY_TOOLS_LOYALTY_BENCH_ENROLLER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "connection.h"
#include "histogram.h"

namespace loyalty_bench {

struct EnrollOptions {
  int64_t count = 0;
  std::string member_prefix;
  int concurrency = 64;
  double deadline_seconds = 30;
  bool progress = false;  // print a progress line on stderr each second
};

struct EnrollReport {
  int64_t members = 0;  // enrolled now or found enrolled before
  double seconds = 0;
  int64_t latency_p50_ns = 0;
  int64_t latency_p99_ns = 0;
};

// Enrolls every member or returns why it could not.
absl::StatusOr<EnrollReport> EnrollMembers(Connection* connection,
                                           const EnrollOptions& options);

}  // namespace loyalty_bench

#endif  // LOYALTY_TOOLS_LOYALTY_BENCH_ENROLLER_H_
