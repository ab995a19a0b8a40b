// Program.SimulateRules over gRPC: the what-if replay (simulation_runs.h)
// streamed to the caller. The call's reactor (progress_reactor.h) sends its
// progress; a client that cancels the call, or a stop of the server, ends
// it at its next page.
#include <utility>

#include "engine/server/progress_reactor.h"
#include "engine/server/services.h"

namespace loyalty::server {
namespace {

using SimulationReactor = ProgressReactor<v1::SimulateRulesResponse>;

}  // namespace

void ProgramService::Stop() {
  runs_->Stop();
  simulations_->Stop();
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* ProgramService::SimulateRules(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* bytes) {
  StreamCall stream = StartStream<v1::SimulateRulesRequest>(*path_, *bytes);
  const absl::StatusOr<v1::SimulateRulesRequest> request =
      ParseMessage<v1::SimulateRulesRequest>(*bytes);
  Admission call = path_->Admit(OriginOf(*context), request);
  if (!call.refusal.ok()) {
    call.log.Failure(call.refusal);
    return SimulationReactor::Refused(std::move(stream), call.refusal);
  }
  auto* reactor = new SimulationReactor(std::move(stream));
  const absl::Status started = simulations_->Start(
      *request, std::move(call.partner_id), std::move(call.log),
      reactor->stop(),
      [reactor](const v1::SimulateRulesResponse& progress) {
        reactor->Progress(progress);
      },
      [reactor](absl::Status status) { reactor->End(std::move(status)); });
  if (!started.ok()) reactor->End(started);
  return reactor;
}

}  // namespace loyalty::server
