// What the bench knows of every member's balance from the CommitPurchase
// answers it received: points earned minus points redeemed, cashback earned
// minus cashback used. After the run, the server's balance of a member must
// equal its balance before the run plus these sums.
//
// A commit whose outcome the bench does not know (deadline exceeded,
// connection lost) is kept, up to kMaxUnknown, to be sent again with the same
// request_id after the run: the server answers it exactly once either way.
// Beyond that bound the member is marked unverifiable.
//
// Thread-safe; fixed size (about 25 bytes per member).
#ifndef LOYALTY_TOOLS_LOYALTY_BENCH_BALANCE_BOOK_H_
#define LOYALTY_TOOLS_LOYALTY_BENCH_BALANCE_BOOK_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "loyalty/v1/checkout.pb.h"

namespace loyalty_bench {

class BalanceBook {
 public:
  static constexpr size_t kMaxUnknown = 100000;

  explicit BalanceBook(int64_t members);
  BalanceBook(const BalanceBook&) = delete;
  BalanceBook& operator=(const BalanceBook&) = delete;

  // Adds what one successful commit of member `member` moved.
  void ApplyCommit(int64_t member,
                   const loyalty::v1::CommitPurchaseResponse& response);
  int64_t PointsDelta(int64_t member) const;
  int64_t CashbackDelta(int64_t member) const;
  // points_available in the newest answer seen for the member (0 if none):
  // a hint for how many points a basket may try to redeem.
  int64_t LastSeenPoints(int64_t member) const;

  // Keeps a commit whose outcome is unknown.
  void AddUnknown(int64_t member, loyalty::v1::CommitPurchaseRequest request);
  std::vector<std::pair<int64_t, loyalty::v1::CommitPurchaseRequest>>
  TakeUnknown();
  void MarkUnverifiable(int64_t member);
  bool Unverifiable(int64_t member) const;
  int64_t commits_applied() const { return commits_applied_.load(); }

 private:
  std::unique_ptr<std::atomic<int64_t>[]> points_;
  std::unique_ptr<std::atomic<int64_t>[]> cashback_;
  std::unique_ptr<std::atomic<int64_t>[]> last_seen_points_;
  std::unique_ptr<std::atomic<bool>[]> unverifiable_;
  std::atomic<int64_t> commits_applied_{0};

  absl::Mutex mu_;
  std::vector<std::pair<int64_t, loyalty::v1::CommitPurchaseRequest>> unknown_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace loyalty_bench

#endif  // LOYALTY_TOOLS_LOYALTY_BENCH_BALANCE_BOOK_H_
