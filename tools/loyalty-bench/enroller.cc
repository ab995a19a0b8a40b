#include "enroller.h"

#include <atomic>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "loyalty/v1/members.grpc.pb.h"
#include "recorder.h"
#include "workload.h"

namespace loyalty_bench {
namespace {

constexpr int kMaxAttempts = 5;
constexpr int64_t kMaxFailures = 100;

// One enrollment run. Each of `concurrency` slots enrolls one member at a
// time and, when the answer comes, takes the next index.
class Enroller {
 public:
  Enroller(Connection* connection, const EnrollOptions& options)
      : connection_(connection), options_(options) {}

  absl::StatusOr<EnrollReport> Run();

 private:
  void Send(int64_t index, int attempt);
  void OnAnswer(int64_t index, int attempt, int64_t start_ns,
                const grpc::Status& status);
  void TakeNext();
  void SlotDone();
  void WaitForSlots(absl::Time start);

  Connection* connection_;
  const EnrollOptions options_;
  LatencyHistogram latency_;
  std::atomic<int64_t> next_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<int64_t> failures_{0};

  // Slots still enrolling. Decrementing it is the last thing a completion
  // does with `this`, so Run may return once it reads 0.
  std::atomic<int> active_slots_{0};

  absl::Mutex mu_;
  std::string first_error_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<EnrollReport> Enroller::Run() {
  const absl::Time start = absl::Now();
  const int slots = static_cast<int>(
      std::min<int64_t>(options_.concurrency, options_.count));
  active_slots_.store(slots);
  for (int i = 0; i < slots; ++i) TakeNext();
  WaitForSlots(start);
  if (failures_.load() >= kMaxFailures || done_.load() < options_.count) {
    absl::MutexLock lock(&mu_);
    return absl::UnavailableError(absl::StrCat(
        "enrollment stopped after ", done_.load(), " of ", options_.count,
        " members; first error: ", first_error_));
  }
  EnrollReport report;
  report.members = done_.load();
  report.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  report.latency_p50_ns = latency_.PercentileNanos(0.50);
  report.latency_p99_ns = latency_.PercentileNanos(0.99);
  return report;
}

// Waits for every slot to finish, printing a line each second.
void Enroller::WaitForSlots(absl::Time start) {
  const bool print = options_.progress;
  for (int64_t tick = 1; active_slots_.load() > 0; ++tick) {
    absl::SleepFor(absl::Milliseconds(10));
    if (print && tick % 100 == 0) {
      const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
      std::fprintf(stderr, "\renrolling: %lld of %lld members (%.0f/s)  ",
                   static_cast<long long>(done_.load()),
                   static_cast<long long>(options_.count),
                   static_cast<double>(done_.load()) / seconds);
    }
  }
  if (print) std::fprintf(stderr, "\n");
}

void Enroller::TakeNext() {
  const int64_t index = next_.fetch_add(1);
  if (index >= options_.count || failures_.load() >= kMaxFailures) {
    SlotDone();
    return;
  }
  Send(index, 1);
}

void Enroller::SlotDone() { active_slots_.fetch_sub(1); }

void Enroller::Send(int64_t index, int attempt) {
  struct Call {
    grpc::ClientContext context;
    loyalty::v1::EnrollMemberRequest request;
    loyalty::v1::EnrollMemberResponse response;
  };
  auto* call = new Call;
  const std::string member_id = MemberId(options_.member_prefix, index);
  call->request.set_request_id(absl::StrCat("enroll-", member_id));
  call->request.mutable_profile()->set_member_id(member_id);
  call->request.mutable_profile()->set_display_name(
      absl::StrCat("Bench member ", index));
  connection_->Prepare(options_.deadline_seconds, &call->context);
  const int64_t start_ns = NowNanos();
  connection_->members().async()->EnrollMember(
      &call->context, &call->request, &call->response,
      [this, call, index, attempt, start_ns](grpc::Status status) {
        delete call;
        OnAnswer(index, attempt, start_ns, status);
      });
}

void Enroller::OnAnswer(int64_t index, int attempt, int64_t start_ns,
                        const grpc::Status& status) {
  // ALREADY_EXISTS: the member was enrolled before under another request id.
  if (status.ok() || status.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
    latency_.Record(NowNanos() - start_ns);
    done_.fetch_add(1);
    TakeNext();
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    if (first_error_.empty()) {
      first_error_ = absl::StrCat("code ", status.error_code(), ": ",
                                  status.error_message());
    }
  }
  if (Classify(status) == Outcome::kFailed && attempt < kMaxAttempts &&
      failures_.fetch_add(1) < kMaxFailures) {
    Send(index, attempt + 1);
    return;
  }
  failures_.store(kMaxFailures);  // a refusal or too many faults: give up
  SlotDone();
}

}  // namespace

absl::StatusOr<EnrollReport> EnrollMembers(Connection* connection,
                                           const EnrollOptions& options) {
  if (options.count <= 0) return EnrollReport{};
  Enroller enroller(connection, options);
  return enroller.Run();
}

}  // namespace loyalty_bench
