// Helpers every write operation shares: the request fingerprint and the hand
// over to the ledger. Internal to engine/program.
#ifndef LOYALTY_ENGINE_PROGRAM_SUBMIT_H_
#define LOYALTY_ENGINE_PROGRAM_SUBMIT_H_

#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "engine/base/sha256.h"
#include "engine/ledger/ledger.h"
#include "engine/program/operations.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace loyalty::program::internal {

// A digest of what a request asks for, without its request_id: the same
// request sent again has the same fingerprint.
template <typename Request>
std::string Fingerprint(absl::string_view method, Request request) {
  request.clear_request_id();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&coded);
  }
  return Sha256Pair(method, bytes);
}

// Hands `operation` to the ledger (its decision runs on the writer thread)
// and turns its outcome into a Response for `reply`, which runs on the
// ledger's completer thread once the write is durable (operations.h). An
// operation still queued at its deadline (the caller's) is not decided.
template <typename Response>
void SubmitToLedger(ledger::Ledger* ledger, ledger::Operation operation,
                    Reply<Response> reply) {
  ledger->Submit(std::move(operation), [reply = std::move(reply)](
                                           ledger::Outcome outcome) mutable {
    if (!outcome.status.ok()) {
      reply(outcome.status);
      return;
    }
    Response response;
    if (!response.ParseFromString(outcome.response)) {
      reply(absl::InternalError("a stored response does not parse"));
      return;
    }
    reply(std::move(response));
  });
}

// The same, for an operation given by its parts.
template <typename Response>
void SubmitToLedger(ledger::Ledger* ledger, std::string request_id,
                    std::string fingerprint, ledger::Decide decide,
                    Reply<Response> reply,
                    absl::Time deadline = absl::InfiniteFuture()) {
  SubmitToLedger(
      ledger,
      ledger::Operation{std::move(request_id), std::move(fingerprint),
                        std::move(decide), deadline},
      std::move(reply));
}

}  // namespace loyalty::program::internal

#endif  // LOYALTY_ENGINE_PROGRAM_SUBMIT_H_
