#include "verify.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <set>
#include <thread>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "loyalty/v1/checkout.grpc.pb.h"
#include "loyalty/v1/members.grpc.pb.h"
#include "recorder.h"
#include "workload.h"

namespace loyalty_bench {
namespace {

constexpr int kThreads = 16;
constexpr double kReadDeadlineSeconds = 10;
constexpr double kResendDeadlineSeconds = 30;
constexpr int kResendAttempts = 3;
constexpr size_t kMaxMismatchesShown = 5;

// Runs body(i) for i in 0..count-1 on kThreads threads.
void ParallelFor(int64_t count, const std::function<void(int64_t)>& body) {
  std::atomic<int64_t> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int64_t i = next++; i < count; i = next++) body(i);
    });
  }
  for (std::thread& thread : threads) thread.join();
}

int64_t CashbackIn(const loyalty::v1::Balance& balance,
                   absl::string_view currency) {
  for (const auto& wallet : balance.cashback_minor()) {
    if (wallet.currency() == currency) return wallet.amount_minor();
  }
  return 0;
}

}  // namespace

std::vector<int64_t> PickSample(int64_t members, int size) {
  std::vector<int64_t> sample;
  if (size <= 0) return sample;
  const int64_t wanted = std::min<int64_t>(size, members);
  const int64_t hottest = std::max<int64_t>(1, wanted / 10);
  std::set<int64_t> chosen;
  for (int64_t i = 0; i < hottest; ++i) chosen.insert(i);
  absl::BitGen random;
  while (static_cast<int64_t>(chosen.size()) < wanted) {
    chosen.insert(absl::Uniform<int64_t>(random, 0, members));
  }
  sample.assign(chosen.begin(), chosen.end());
  return sample;
}

absl::StatusOr<std::vector<MemberBalance>> ReadBalances(
    Connection* connection, const std::string& member_prefix,
    const std::vector<int64_t>& sample) {
  std::vector<MemberBalance> balances(sample.size());
  std::atomic<int64_t> failures{0};
  ParallelFor(static_cast<int64_t>(sample.size()), [&](int64_t i) {
    grpc::ClientContext context;
    connection->Prepare(kReadDeadlineSeconds, &context);
    loyalty::v1::GetBalanceRequest request;
    request.set_member_id(MemberId(member_prefix, sample[i]));
    loyalty::v1::GetBalanceResponse response;
    if (!connection->members().GetBalance(&context, request, &response).ok()) {
      ++failures;
      return;
    }
    const auto& balance = response.balance();
    balances[i] = MemberBalance{
        sample[i], balance.points_available() + balance.points_pending(),
        CashbackIn(balance, "EUR")};
  });
  if (failures.load() > 0) {
    return absl::UnavailableError(absl::StrCat(
        failures.load(), " of ", sample.size(), " GetBalance calls failed"));
  }
  return balances;
}

int64_t ResolveUnknownCommits(Connection* connection, BalanceBook* book) {
  const auto unknown = book->TakeUnknown();
  std::atomic<int64_t> resolved{0};
  ParallelFor(static_cast<int64_t>(unknown.size()), [&](int64_t i) {
    const auto& [member, request] = unknown[static_cast<size_t>(i)];
    for (int attempt = 1; attempt <= kResendAttempts; ++attempt) {
      grpc::ClientContext context;
      connection->Prepare(kResendDeadlineSeconds, &context);
      loyalty::v1::CommitPurchaseResponse response;
      const grpc::Status status =
          connection->checkout().CommitPurchase(&context, request, &response);
      const Outcome outcome = Classify(status);
      if (outcome == Outcome::kFailed) continue;
      if (outcome == Outcome::kOk) book->ApplyCommit(member, response);
      ++resolved;
      return;
    }
    book->MarkUnverifiable(member);
  });
  return resolved.load();
}

VerifyReport CompareBalances(const std::vector<MemberBalance>& before,
                             const std::vector<MemberBalance>& after,
                             const BalanceBook& book,
                             const std::string& member_prefix) {
  VerifyReport report;
  for (size_t i = 0; i < before.size() && i < after.size(); ++i) {
    const int64_t member = before[i].member;
    if (book.Unverifiable(member)) {
      ++report.unverifiable;
      continue;
    }
    ++report.checked;
    const int64_t points = before[i].points + book.PointsDelta(member);
    const int64_t cashback =
        before[i].cashback_minor + book.CashbackDelta(member);
    if (after[i].points == points && after[i].cashback_minor == cashback) {
      ++report.matched;
    } else if (report.mismatches.size() < kMaxMismatchesShown) {
      report.mismatches.push_back(absl::StrCat(
          MemberId(member_prefix, member), ": server has ", after[i].points,
          " points and ", after[i].cashback_minor, " cashback; answers add up to ",
          points, " and ", cashback));
    }
  }
  return report;
}

}  // namespace loyalty_bench
