// The load phase: sends the mix of calls with gRPC's callback API, so that a
// few gRPC threads serve any number of callers. With --batch N, a commit is
// a CommitPurchases call of N sales, each counted as a commit.
//
// Closed loop (rate == 0): `concurrency` callers each keep one call in
// flight; when an answer arrives the caller sends its next call from the
// completion. A caller whose call failed (deadline, connection) waits for the
// monitor's next tick (10 ms) before sending again, so that a server that is
// down does not turn the loop into a busy spin.
//
// Open loop (rate > 0): a pacer thread starts calls at fixed intervals,
// whatever the answers; latency runs from the moment a call was due, so a
// stalled server is not hidden (no coordinated omission). Calls due while
// max_in_flight are outstanding are skipped and counted.
//
// A monitor thread prints a progress line on stderr once per second when
// stderr is a terminal. Start() once, Stop() once, then WaitIdle().
#ifndef LOYALTY_TOOLS_LOYALTY_BENCH_DRIVER_H_
#define LOYALTY_TOOLS_LOYALTY_BENCH_DRIVER_H_

#include <atomic>
#include <cstdint>
#include <thread>

#include "absl/time/time.h"
#include "balance_book.h"
#include "connection.h"
#include "options.h"
#include "recorder.h"
#include "workload.h"

namespace loyalty_bench {

class LoadDriver {
 public:
  // Every pointer must outlive the driver.
  LoadDriver(const BenchOptions& options, Connection* connection,
             const MemberPicker* members, BalanceBook* book, Recorder* recorder);
  LoadDriver(const LoadDriver&) = delete;
  LoadDriver& operator=(const LoadDriver&) = delete;
  ~LoadDriver();

  void Start();
  // Sends nothing more; calls in flight run to their end.
  void Stop();
  // Waits until no call is in flight; false after `timeout`.
  bool WaitIdle(absl::Duration timeout);

  int64_t skipped() const { return skipped_.load(); }

 private:
  void Issue(int64_t due_ns);
  void IssueCommit(int64_t due_ns);
  void IssueCommitBatch(int64_t due_ns);
  // A sale for `member`, with a fresh request id (and order id).
  void FillSale(int64_t member, loyalty::v1::CommitPurchaseRequest* sale);
  void IssueQuote(int64_t due_ns);
  void IssueBalance(int64_t due_ns);
  void IssueHealth(int64_t due_ns);
  // Records the answer and, in the closed loop, sends the caller's next call.
  void Finish(Kind kind, int64_t due_ns, const grpc::Status& status);
  // In the closed loop, the caller's next call (or a wait after a failure).
  void Continue(Outcome outcome);
  void FillPurchase(int64_t member, loyalty::v1::Purchase* purchase) const;
  void PaceLoop();
  void MonitorLoop();
  void PrintProgress(int64_t elapsed_s, std::array<int64_t, kKindCount>* last);

  const BenchOptions options_;
  Connection* connection_;
  const MemberPicker* members_;
  BalanceBook* book_;
  Recorder* recorder_;
  const KindPicker kinds_;
  RequestIds request_ids_;
  const bool closed_loop_;
  const bool show_progress_;

  std::atomic<bool> running_{false};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> parked_{0};  // closed-loop callers waiting to resend
  std::atomic<int64_t> skipped_{0};
  std::thread pacer_;
  std::thread monitor_;
};

}  // namespace loyalty_bench

#endif  // LOYALTY_TOOLS_LOYALTY_BENCH_DRIVER_H_
