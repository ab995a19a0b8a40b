// The exactness check: for a sample of members (the hottest ones and random
// others), the balance the server reports after the run must equal the
// balance before the run plus what the commit answers the bench received
// add up to (BalanceBook). Uses blocking calls from a few threads: it runs
// outside the measured window.
#ifndef LOYALTY_TOOLS_LOYALTY_BENCH_VERIFY_H_
#define LOYALTY_TOOLS_LOYALTY_BENCH_VERIFY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "balance_book.h"
#include "connection.h"

namespace loyalty_bench {

// One member's balance as the server reported it.
struct MemberBalance {
  int64_t member = 0;  // index
  int64_t points = 0;  // available + pending
  int64_t cashback_minor = 0;  // in the program currency (EUR)
};

// Up to `size` distinct member indexes: the 10% hottest (lowest indexes),
// then random ones.
std::vector<int64_t> PickSample(int64_t members, int size);

// Reads the balances of `sample`, in the same order.
absl::StatusOr<std::vector<MemberBalance>> ReadBalances(
    Connection* connection, const std::string& member_prefix,
    const std::vector<int64_t>& sample);

// Sends again, with the same request_id, every commit whose outcome was
// unknown, and adds what each turned out to move to `book`. Returns how many
// were resolved; a commit that fails again makes its member unverifiable.
int64_t ResolveUnknownCommits(Connection* connection, BalanceBook* book);

struct VerifyReport {
  int64_t checked = 0;
  int64_t matched = 0;
  int64_t unverifiable = 0;  // members skipped: a commit stayed unknown
  int64_t resolved_unknown = 0;
  std::vector<std::string> mismatches;  // the first few, in words
  bool ok() const { return mismatches.empty() && checked == matched; }
};

VerifyReport CompareBalances(const std::vector<MemberBalance>& before,
                             const std::vector<MemberBalance>& after,
                             const BalanceBook& book,
                             const std::string& member_prefix);

}  // namespace loyalty_bench

#endif  // LOYALTY_TOOLS_LOYALTY_BENCH_VERIFY_H_
