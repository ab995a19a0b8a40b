#include "engine/server/simulation_runs.h"

#include <utility>

#include "engine/base/error.h"

namespace loyalty::server {
namespace {

absl::Status SimulationStopped() {
  return MakeError(absl::StatusCode::kUnavailable, "SERVER_STOPPING", "",
                   "the server is stopping; run the simulation again once it "
                   "is back");
}

}  // namespace

void SimulationRuns::Stop() {
  stopping_ = true;
  absl::MutexLock lock(&mu_);
  if (running_stop_ != nullptr) *running_stop_ = true;
}

// A slot on the reader pool and the one simulation's place, or why not.
absl::StatusOr<ReaderPool::Slot> SimulationRuns::Claim(
    std::shared_ptr<std::atomic<bool>> stop) {
  if (stopping_) return SimulationStopped();
  absl::MutexLock lock(&mu_);
  if (running_stop_ != nullptr) {
    return FailedPrecondition("SIMULATION_RUNNING", "",
                              "a simulation is in progress; try later");
  }
  absl::StatusOr<ReaderPool::Slot> slot = readers_->Take();
  if (slot.ok()) running_stop_ = std::move(stop);
  return slot;
}

absl::Status SimulationRuns::Start(const v1::SimulateRulesRequest& request,
                                   std::string partner_id, CallLog log,
                                   std::shared_ptr<std::atomic<bool>> stop,
                                   Progress progress, End end) {
  absl::StatusOr<ReaderPool::Slot> slot = Claim(stop);
  if (!slot.ok()) {
    log.Failure(slot.status());
    return slot.status();
  }
  auto held = std::make_shared<ReaderPool::Slot>(*std::move(slot));
  readers_->Post(*held, [this, held, request, stop,
                         partner_id = std::move(partner_id),
                         log = std::move(log), progress = std::move(progress),
                         end = std::move(end)] {
    absl::StatusOr<v1::SimulateRulesResponse> result =
        operations_->SimulateRules(request, partner_id, progress, stop.get());
    if (!result.ok()) log.Failure(result.status());
    {
      absl::MutexLock lock(&mu_);
      running_stop_ = nullptr;
    }
    const bool stopped =
        stopping_ && result.status().code() == absl::StatusCode::kCancelled;
    end(stopped ? SimulationStopped() : result.status());
  });
  return absl::OkStatus();
}

}  // namespace loyalty::server
