#include "recorder.h"

#include <chrono>

#include "absl/strings/str_cat.h"

namespace loyalty_bench {
namespace {

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "CODE_OUT_OF_RANGE";
  }
}

}  // namespace

Outcome Classify(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return Outcome::kOk;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::OUT_OF_RANGE:
      return Outcome::kRefused;
    default:
      return Outcome::kFailed;
  }
}

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Recorder::Record(Kind kind, int64_t latency_ns, Outcome outcome,
                      const grpc::Status& status) {
  KindStats& stats = stats_[static_cast<int>(kind)];
  stats.answered_total.fetch_add(1, std::memory_order_relaxed);
  if (outcome != Outcome::kOk) {
    const std::string key =
        absl::StrCat(CodeName(status.error_code()), " ", KindName(kind));
    absl::MutexLock lock(&mu_);
    auto it = errors_.find(key);
    if (it != errors_.end()) {
      ++it->second.count;
    } else if (errors_.size() < kMaxErrorKinds) {
      errors_[key] = ErrorCount{1, status.error_message()};
    }
  }
  if (!measuring()) return;
  switch (outcome) {
    case Outcome::kOk:
      stats.ok.fetch_add(1, std::memory_order_relaxed);
      stats.latency.Record(latency_ns);
      break;
    case Outcome::kRefused:
      stats.refused.fetch_add(1, std::memory_order_relaxed);
      stats.latency.Record(latency_ns);
      break;
    case Outcome::kFailed:
      stats.failed.fetch_add(1, std::memory_order_relaxed);
      break;
  }
}

void Recorder::StartMeasuring() {
  start_ns_.store(NowNanos());
  measuring_.store(true);
}

void Recorder::StopMeasuring() {
  measuring_.store(false);
  stop_ns_.store(NowNanos());
}

double Recorder::MeasuredSeconds() const {
  const int64_t stop = measuring() ? NowNanos() : stop_ns_.load();
  return static_cast<double>(stop - start_ns_.load()) / 1e9;
}

std::map<std::string, Recorder::ErrorCount> Recorder::ErrorSummary() const {
  absl::MutexLock lock(&mu_);
  return errors_;
}

}  // namespace loyalty_bench
