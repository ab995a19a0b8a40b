#include "balance_book.h"

namespace loyalty_bench {

BalanceBook::BalanceBook(int64_t members)
    : points_(new std::atomic<int64_t>[static_cast<size_t>(members)]()),
      cashback_(new std::atomic<int64_t>[static_cast<size_t>(members)]()),
      last_seen_points_(new std::atomic<int64_t>[static_cast<size_t>(members)]()),
      unverifiable_(new std::atomic<bool>[static_cast<size_t>(members)]()) {}

void BalanceBook::ApplyCommit(
    int64_t member, const loyalty::v1::CommitPurchaseResponse& response) {
  const auto& priced = response.priced();
  points_[member].fetch_add(priced.points_earned() - priced.redeemed_points(),
                            std::memory_order_relaxed);
  cashback_[member].fetch_add(
      priced.cashback_earned_minor() - priced.cashback_used_minor(),
      std::memory_order_relaxed);
  last_seen_points_[member].store(response.balance().points_available(),
                                  std::memory_order_relaxed);
  commits_applied_.fetch_add(1, std::memory_order_relaxed);
}

int64_t BalanceBook::PointsDelta(int64_t member) const {
  return points_[member].load(std::memory_order_relaxed);
}

int64_t BalanceBook::CashbackDelta(int64_t member) const {
  return cashback_[member].load(std::memory_order_relaxed);
}

int64_t BalanceBook::LastSeenPoints(int64_t member) const {
  return last_seen_points_[member].load(std::memory_order_relaxed);
}

void BalanceBook::AddUnknown(int64_t member,
                             loyalty::v1::CommitPurchaseRequest request) {
  {
    absl::MutexLock lock(&mu_);
    if (unknown_.size() < kMaxUnknown) {
      unknown_.emplace_back(member, std::move(request));
      return;
    }
  }
  MarkUnverifiable(member);
}

std::vector<std::pair<int64_t, loyalty::v1::CommitPurchaseRequest>>
BalanceBook::TakeUnknown() {
  std::vector<std::pair<int64_t, loyalty::v1::CommitPurchaseRequest>> taken;
  absl::MutexLock lock(&mu_);
  taken.swap(unknown_);
  return taken;
}

void BalanceBook::MarkUnverifiable(int64_t member) {
  unverifiable_[member].store(true, std::memory_order_relaxed);
}

bool BalanceBook::Unverifiable(int64_t member) const {
  return unverifiable_[member].load(std::memory_order_relaxed);
}

}  // namespace loyalty_bench
