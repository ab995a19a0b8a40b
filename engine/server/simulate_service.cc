// Program.SimulateRules: the what-if replay (engine/program/simulation.h)
// streamed to the caller. It runs on a reader thread (reader_pool.h), never
// on the ledger's writer, one at a time; the call's reactor
// (progress_reactor.h) sends its progress, and a client that cancels the
// call, or a stop of the server, ends it at its next page.
#include <utility>

#include "engine/base/error.h"
#include "engine/server/call_log.h"
#include "engine/server/progress_reactor.h"
#include "engine/server/services.h"

namespace loyalty::server {
namespace {

using loyalty::v1::SimulateRulesResponse;
using SimulationReactor = ProgressReactor<SimulateRulesResponse>;

absl::Status SimulationStopped() {
  return MakeError(absl::StatusCode::kUnavailable, "SERVER_STOPPING", "",
                   "the server is stopping; run the simulation again once it "
                   "is back");
}

}  // namespace

void ProgramService::Stop() {
  runs_->Stop();
  stopping_ = true;
  absl::MutexLock lock(&mu_);
  if (simulation_stop_ != nullptr) *simulation_stop_ = true;
}

// A slot on the reader pool and the one simulation's place, or why not.
absl::StatusOr<ReaderPool::Slot> ProgramService::StartSimulation(
    std::shared_ptr<std::atomic<bool>> stop) {
  if (stopping_) return SimulationStopped();
  absl::MutexLock lock(&mu_);
  if (simulation_stop_ != nullptr) {
    return FailedPrecondition("SIMULATION_RUNNING", "",
                              "a simulation is in progress; try later");
  }
  absl::StatusOr<ReaderPool::Slot> slot = readers_->Take();
  if (slot.ok()) simulation_stop_ = std::move(stop);
  return slot;
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* ProgramService::SimulateRules(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* bytes) {
  const absl::StatusOr<v1::SimulateRulesRequest> request =
      ParseMessage<v1::SimulateRulesRequest>(*bytes);
  Admission call = path_->Admit(OriginOf(*context), request);
  auto* reactor = new SimulationReactor();
  absl::StatusOr<ReaderPool::Slot> slot =
      call.refusal.ok() ? StartSimulation(reactor->stop())
                        : absl::StatusOr<ReaderPool::Slot>(call.refusal);
  if (!slot.ok()) {
    call.log.Failure(slot.status());
    reactor->End(slot.status());
    return reactor;
  }
  auto held = std::make_shared<ReaderPool::Slot>(*std::move(slot));
  readers_->Post(*held, [this, reactor, held, request = *request,
                         partner_id = call.partner_id,
                         log = std::move(call.log)] {
    const std::shared_ptr<std::atomic<bool>> stop = reactor->stop();
    absl::StatusOr<SimulateRulesResponse> result = operations_->SimulateRules(
        request, partner_id,
        [reactor](const SimulateRulesResponse& progress) {
          reactor->Progress(progress);
        },
        stop.get());
    if (!result.ok()) log.Failure(result.status());
    {
      absl::MutexLock lock(&mu_);
      simulation_stop_ = nullptr;
    }
    const bool stopped =
        stopping_ && result.status().code() == absl::StatusCode::kCancelled;
    reactor->End(stopped ? SimulationStopped() : result.status());
  });
  return reactor;
}

}  // namespace loyalty::server
