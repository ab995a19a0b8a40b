// Program.RunExpiry: the maintenance run streamed to the caller. The run
// goes on a thread of its own (maintenance_runs.h); the call's reactor
// sends its progress, the newest figures whenever the last write is done,
// so a slow client never holds the run back.
#include <optional>
#include <utility>

#include "engine/base/error.h"
#include "engine/server/call_log.h"
#include "engine/server/grpc_status.h"
#include "engine/server/progress_reactor.h"
#include "engine/server/services.h"

namespace loyalty::server {
namespace {

using loyalty::v1::RunExpiryResponse;

using RunExpiryReactor = ProgressReactor<RunExpiryResponse>;

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* ProgramService::RunExpiry(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* bytes) {
  StreamCall stream = StartStream<v1::RunExpiryRequest>(*path_, *bytes);
  const absl::StatusOr<v1::RunExpiryRequest> request =
      ParseMessage<v1::RunExpiryRequest>(*bytes);
  Admission call = path_->Admit(OriginOf(*context), request);
  if (!call.refusal.ok()) {
    call.log.Failure(call.refusal);
    return RunExpiryReactor::Refused(std::move(stream), call.refusal);
  }
  auto* reactor = new RunExpiryReactor(std::move(stream));
  const absl::Status started = runs_->Start(
      *request, std::move(call.log),
      [reactor](const RunExpiryResponse& figures) {
        reactor->Progress(figures);
      },
      [reactor](absl::Status status) { reactor->End(std::move(status)); });
  if (!started.ok()) reactor->End(started);
  return reactor;
}

}  // namespace loyalty::server
