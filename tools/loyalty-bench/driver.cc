#include "driver.h"

#include <unistd.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace loyalty_bench {
namespace {

using loyalty::v1::CommitPurchaseRequest;
using loyalty::v1::CommitPurchaseResponse;
using loyalty::v1::CommitPurchasesRequest;
using loyalty::v1::CommitPurchasesResponse;
using loyalty::v1::GetBalanceRequest;
using loyalty::v1::GetBalanceResponse;
using loyalty::v1::QuotePurchaseRequest;
using loyalty::v1::QuotePurchaseResponse;

constexpr absl::Duration kMonitorTick = absl::Milliseconds(10);
constexpr int kTicksPerProgressLine = 100;

// What gRPC needs alive from the start of one call to its completion.
template <typename Request, typename Response>
struct Exchange {
  grpc::ClientContext context;
  Request request;
  Response response;
};

// The answer of grpc.health.v1.Health/Check for SERVING: field 1 = 1.
bool IsServing(const grpc::ByteBuffer& response) {
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return false;
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes == std::string("\x08\x01", 2);
}

// How the i-th sale of a CommitPurchases call ended: the call's status when
// it failed, else the sale's own outcome.
grpc::Status SaleStatus(const grpc::Status& call, bool answered,
                        const CommitPurchasesResponse& response, int i) {
  if (!call.ok()) return call;
  if (!answered) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        "the answer has not one outcome per sale");
  }
  const loyalty::v1::PurchaseOutcome& outcome = response.outcomes(i);
  if (!outcome.has_refused()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(outcome.refused().code()),
                      outcome.refused().message());
}

}  // namespace

LoadDriver::LoadDriver(const BenchOptions& options, Connection* connection,
                       const MemberPicker* members, BalanceBook* book,
                       Recorder* recorder)
    : options_(options),
      connection_(connection),
      members_(members),
      book_(book),
      recorder_(recorder),
      kinds_(options.mix),
      closed_loop_(options.rate <= 0),
      show_progress_(options.progress && isatty(STDERR_FILENO)) {}

LoadDriver::~LoadDriver() {
  Stop();
  if (pacer_.joinable()) pacer_.join();
  if (monitor_.joinable()) monitor_.join();
}

void LoadDriver::Start() {
  running_ = true;
  if (closed_loop_) {
    for (int i = 0; i < options_.concurrency; ++i) Issue(NowNanos());
  } else {
    pacer_ = std::thread([this] { PaceLoop(); });
  }
  monitor_ = std::thread([this] { MonitorLoop(); });
}

void LoadDriver::Stop() { running_ = false; }

bool LoadDriver::WaitIdle(absl::Duration timeout) {
  if (pacer_.joinable()) pacer_.join();
  const absl::Time deadline = absl::Now() + timeout;
  while (in_flight_.load() > 0) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

void LoadDriver::Issue(int64_t due_ns) {
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  switch (kinds_.Next()) {
    case Kind::kCommit:
      return options_.batch > 0 ? IssueCommitBatch(due_ns)
                                : IssueCommit(due_ns);
    case Kind::kQuote: return IssueQuote(due_ns);
    case Kind::kBalance: return IssueBalance(due_ns);
    case Kind::kHealth: return IssueHealth(due_ns);
  }
}

void LoadDriver::FillPurchase(int64_t member,
                              loyalty::v1::Purchase* purchase) const {
  purchase->set_member_id(MemberId(options_.member_prefix, member));
  purchase->set_store_id("store-1");
  purchase->set_terminal_id("bench");
  purchase->set_channel(loyalty::v1::CHANNEL_POS);
  purchase->set_currency("EUR");
  FillBasket(options_.basket_min_lines, options_.basket_max_lines, purchase);
}

void LoadDriver::FillSale(int64_t member, CommitPurchaseRequest* sale) {
  sale->set_request_id(request_ids_.Next());
  loyalty::v1::Purchase* purchase = sale->mutable_purchase();
  FillPurchase(member, purchase);
  purchase->set_order_id(sale->request_id());
  if (Chance(options_.redeem_percent)) {
    // At most a quarter of the points seen last and of the basket, so that
    // the request stays within the balance and the basket-share limit.
    const int64_t points =
        std::min(book_->LastSeenPoints(member) / 4, Subtotal(*purchase) / 4);
    if (points > 0) purchase->set_redeem_points(points);
  }
}

void LoadDriver::IssueCommit(int64_t due_ns) {
  auto* call = new Exchange<CommitPurchaseRequest, CommitPurchaseResponse>;
  const int64_t member = members_->Next();
  FillSale(member, &call->request);
  connection_->Prepare(options_.deadline_seconds, &call->context);
  connection_->checkout().async()->CommitPurchase(
      &call->context, &call->request, &call->response,
      [this, call, member, due_ns](grpc::Status status) {
        const Outcome outcome = Classify(status);
        if (outcome == Outcome::kOk) book_->ApplyCommit(member, call->response);
        if (outcome == Outcome::kFailed) {
          book_->AddUnknown(member, std::move(call->request));
        }
        delete call;
        Finish(Kind::kCommit, due_ns, status);
      });
}

// A CommitPurchases of options_.batch sales: each is recorded as a commit
// of its own, with the call's latency, and kept in the balance book.
void LoadDriver::IssueCommitBatch(int64_t due_ns) {
  auto* call = new Exchange<CommitPurchasesRequest, CommitPurchasesResponse>;
  std::vector<int64_t> members(options_.batch);
  for (int64_t& member : members) {
    member = members_->Next();
    FillSale(member, call->request.add_purchases());
  }
  connection_->Prepare(options_.deadline_seconds, &call->context);
  connection_->checkout().async()->CommitPurchases(
      &call->context, &call->request, &call->response,
      [this, call, members = std::move(members), due_ns](grpc::Status status) {
        const int64_t latency_ns = NowNanos() - due_ns;
        const bool answered =
            status.ok() && call->response.outcomes_size() == options_.batch;
        for (int i = 0; i < options_.batch; ++i) {
          const grpc::Status sale =
              SaleStatus(status, answered, call->response, i);
          const Outcome result = Classify(sale);
          if (result == Outcome::kOk) {
            book_->ApplyCommit(members[i],
                               call->response.outcomes(i).committed());
          } else if (result == Outcome::kFailed) {
            book_->AddUnknown(members[i],
                              std::move(*call->request.mutable_purchases(i)));
          }
          recorder_->Record(Kind::kCommit, latency_ns, result, sale);
        }
        delete call;
        Continue(Classify(status));
      });
}

void LoadDriver::IssueQuote(int64_t due_ns) {
  auto* call = new Exchange<QuotePurchaseRequest, QuotePurchaseResponse>;
  loyalty::v1::Purchase* purchase = call->request.mutable_purchase();
  FillPurchase(members_->Next(), purchase);
  purchase->set_order_id("quote");  // a quote records nothing: any id will do
  connection_->Prepare(options_.deadline_seconds, &call->context);
  connection_->checkout().async()->QuotePurchase(
      &call->context, &call->request, &call->response,
      [this, call, due_ns](grpc::Status status) {
        delete call;
        Finish(Kind::kQuote, due_ns, status);
      });
}

void LoadDriver::IssueBalance(int64_t due_ns) {
  auto* call = new Exchange<GetBalanceRequest, GetBalanceResponse>;
  call->request.set_member_id(MemberId(options_.member_prefix, members_->Next()));
  connection_->Prepare(options_.deadline_seconds, &call->context);
  connection_->members().async()->GetBalance(
      &call->context, &call->request, &call->response,
      [this, call, due_ns](grpc::Status status) {
        delete call;
        Finish(Kind::kBalance, due_ns, status);
      });
}

void LoadDriver::IssueHealth(int64_t due_ns) {
  auto* call = new Exchange<grpc::ByteBuffer, grpc::ByteBuffer>;
  grpc::Slice empty("");  // HealthCheckRequest{service: ""} is zero bytes
  call->request = grpc::ByteBuffer(&empty, 1);
  connection_->Prepare(options_.deadline_seconds, &call->context);
  connection_->generic().UnaryCall(
      &call->context, kHealthCheckMethod, grpc::StubOptions(), &call->request,
      &call->response, [this, call, due_ns](grpc::Status status) {
        if (status.ok() && !IsServing(call->response)) {
          status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "NOT_SERVING");
        }
        delete call;
        Finish(Kind::kHealth, due_ns, status);
      });
}

void LoadDriver::Finish(Kind kind, int64_t due_ns, const grpc::Status& status) {
  const Outcome outcome = Classify(status);
  recorder_->Record(kind, NowNanos() - due_ns, outcome, status);
  Continue(outcome);
}

void LoadDriver::Continue(Outcome outcome) {
  if (closed_loop_ && running_.load(std::memory_order_relaxed)) {
    if (outcome == Outcome::kFailed) {
      parked_.fetch_add(1, std::memory_order_relaxed);
    } else {
      Issue(NowNanos());  // before the decrement: in_flight_ stays above 0
    }
  }
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
}

void LoadDriver::PaceLoop() {
  const double interval_ns = 1e9 / options_.rate;
  const int64_t start_ns = NowNanos();
  for (int64_t sent = 0; running_.load(std::memory_order_relaxed); ++sent) {
    const int64_t due_ns =
        start_ns + static_cast<int64_t>(static_cast<double>(sent) * interval_ns);
    const int64_t wait_ns = due_ns - NowNanos();
    if (wait_ns > 0) absl::SleepFor(absl::Nanoseconds(wait_ns));
    if (in_flight_.load(std::memory_order_relaxed) >= options_.max_in_flight) {
      skipped_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    Issue(due_ns);
  }
}

void LoadDriver::MonitorLoop() {
  std::array<int64_t, kKindCount> last{};
  for (int64_t tick = 1; running_.load(); ++tick) {
    absl::SleepFor(kMonitorTick);
    for (int64_t n = parked_.exchange(0); n > 0 && running_.load(); --n) {
      Issue(NowNanos());
    }
    if (show_progress_ && tick % kTicksPerProgressLine == 0) {
      PrintProgress(tick / kTicksPerProgressLine, &last);
    }
  }
  if (show_progress_) std::fprintf(stderr, "\n");
}

void LoadDriver::PrintProgress(int64_t elapsed_s,
                               std::array<int64_t, kKindCount>* last) {
  std::string line = absl::StrFormat(
      "\r%4ds %-7s", elapsed_s, recorder_->measuring() ? "measure" : "warmup");
  int64_t failed = 0;
  for (int i = 0; i < kKindCount; ++i) {
    const Kind kind = static_cast<Kind>(i);
    const int64_t total = recorder_->stats(kind).answered_total.load();
    failed += recorder_->stats(kind).failed.load();
    if (options_.mix.weights[i] > 0) {
      absl::StrAppend(&line, absl::StrFormat(" | %s %6d/s", KindName(kind),
                                             total - (*last)[i]));
    }
    (*last)[i] = total;
  }
  absl::StrAppend(&line, absl::StrFormat(" | in flight %d | failed %d ",
                                         in_flight_.load(), failed));
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace loyalty_bench
