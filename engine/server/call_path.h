// The one path of every call, whichever door its request came through
// (gRPC's today, grpc_door.h; the HTTP/JSON door to come calls the very
// same Run with a request and a CallOrigin):
//   1. authorize: the caller's API key, then its role against the RPC
//      (auth.h); an unknown caller learns nothing more;
//   2. read the request: one that did not parse is refused here, then its
//      sizes are checked (engine/base/limits.h), before anything reads it;
//   3. scope: the RPC's PartnerScope (rpc_table.h) against a partner-bound
//      key, resolved into the partner the call is confined to;
//   4. deadline: the caller's, handed with the call to the handler, which
//      passes it with every write to the ledger;
//   5. call: the RPC's handler (handlers.h) asks the program and answers;
//   6. answer: the answer or the refusal goes back to the door, which maps
//      the status to its protocol (grpc_status.h for gRPC); a refusal or a
//      failure is logged on the way (call_log.h), and every call is counted
//      by RPC and code with its latency (rpc_metrics.h).
// Streams (ExportLedger, RunExpiry, SimulateRules, WatchEvents) take steps
// 1-4 through Admit and answer through their own reactors, which count
// them as they end (StartStream, stream_call.h).
//
// Thread-safe; Run never blocks on the ledger.
#ifndef LOYALTY_ENGINE_SERVER_CALL_PATH_H_
#define LOYALTY_ENGINE_SERVER_CALL_PATH_H_

#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "engine/base/limits.h"
#include "engine/base/log.h"
#include "engine/server/admission.h"
#include "engine/server/auth.h"
#include "engine/server/call_log.h"
#include "engine/server/handlers.h"
#include "engine/server/rpc_metrics.h"
#include "engine/server/rpc_table.h"
#include "engine/server/stream_call.h"

namespace loyalty::server {

// INVALID_ARGUMENT, reason MALFORMED_REQUEST, naming the request type: for
// bytes that are not a valid `type_name` message.
absl::Status MalformedRequest(absl::string_view type_name);

// The partner a call of `scope` that names `named` is confined to, or
// PERMISSION_DENIED (PARTNER_SCOPE, the field that names it) when `caller`
// may not act for that partner.
absl::StatusOr<std::string> ResolvePartnerScope(const Caller& caller,
                                                PartnerScope scope,
                                                const NamedPartner& named);

// Whether an RPC's row carries a list of another RPC's requests (a batch).
template <typename Row, typename = void>
struct HasItems : std::false_type {};
template <typename Row>
struct HasItems<Row, std::void_t<typename Row::Item>> : std::true_type {};

// Step 3 for a batch: each item against the key as its own RPC's request
// would be, a refusal naming the list's field, the item's index and its own
// field ("purchases[3].purchase.partner_id"); the
// call is confined to the key's partner ("" for an unbound key).
template <typename Row, typename Request>
absl::StatusOr<std::string> ResolveItemScopes(const Caller& caller,
                                              const Request& request) {
  using ItemRow = RpcOf<typename Row::Item>;
  const auto& items = Row::Items(request);
  for (int i = 0; i < items.size(); ++i) {
    const NamedPartner named = ItemRow::Named(items[i]);
    if (ResolvePartnerScope(caller, ItemRow::kScope, named).ok()) continue;
    const std::string field =
        absl::StrCat(Row::kItems, "[", i, "].", named.field);
    return ResolvePartnerScope(caller, ItemRow::kScope,
                               {named.partner_id, field});
  }
  return caller.partner_id;
}

// Step 3: the partner the call is confined to, or PARTNER_SCOPE.
template <typename Request>
absl::StatusOr<std::string> ScopeOf(const Caller& caller,
                                    const Request& request) {
  using Row = RpcOf<Request>;
  if constexpr (HasItems<Row>::value) {
    return ResolveItemScopes<Row>(caller, request);
  } else {
    return ResolvePartnerScope(caller, Row::kScope, Row::Named(request));
  }
}

class CallPath {
 public:
  // Nothing is owned; everything must outlive this object. `metrics`
  // (optional) counts every call and its latency.
  CallPath(const Authorizer* authorizer, const Logger* logger,
           RpcHandlers* handlers, RpcMetrics* metrics = nullptr)
      : authorizer_(authorizer),
        logger_(logger),
        handlers_(handlers),
        metrics_(metrics) {}

  // Steps 1-4 for a call of RpcOf<Request>: `request` is what the door
  // read (a status when it could not read one).
  template <typename Request>
  Admission Admit(const CallOrigin& origin,
                  const absl::StatusOr<Request>& request) const {
    using Row = RpcOf<Request>;
    Admission call =
        Authorize(origin, Row::kRpc, request.ok() ? RequestIdOf(*request) : "");
    if (call.refusal.ok()) call.refusal = request.status();
    if (call.refusal.ok()) call.refusal = CheckRequestLimits(*request);
    if (!call.refusal.ok()) return call;
    absl::StatusOr<std::string> partner = ScopeOf(call.caller, *request);
    if (partner.ok()) {
      call.partner_id = *std::move(partner);
    } else {
      call.refusal = partner.status();
    }
    return call;
  }

  // A server stream of RpcOf<Request> begins: taken before Admit, so that
  // a refusal counts too; its reactor counts it as it ends it.
  template <typename Request>
  StreamCall StartStream() const {
    return StreamCall(metrics_, RpcOf<Request>::kRpc);
  }

  // The whole path for a unary call: `done` gets the answer or the refusal,
  // once, on any thread.
  template <typename Request>
  void Run(const CallOrigin& origin, absl::StatusOr<Request> request,
           ReplyTo<Request> done) const {
    const absl::Time admitted = absl::Now();
    Admission call = Admit(origin, request);
    if (!call.refusal.ok()) {
      call.log.Failure(call.refusal);
      Count(metrics_, RpcOf<Request>::kRpc, call.refusal, admitted);
      done(call.refusal);
      return;
    }
    // Owned by the answer, so that it lives until the handler answers.
    auto owned = std::make_unique<Request>(*std::move(request));
    const Request& read = *owned;
    handlers_->Run(read, call,
                   [metrics = metrics_, owned = std::move(owned),
                    log = call.log, admitted, done = std::move(done)](
                       absl::StatusOr<ResponseOf<Request>> answer) mutable {
                     log.Failure(answer.status());
                     Count(metrics, RpcOf<Request>::kRpc, answer.status(),
                           admitted);
                     done(std::move(answer));
                   });
  }

 private:
  // Step 1, and the call's log.
  Admission Authorize(const CallOrigin& origin, Rpc rpc,
                      std::string request_id) const;

  // Step 6's figures: the call's code and its time since `admitted`.
  static void Count(RpcMetrics* metrics, Rpc rpc, const absl::Status& status,
                    absl::Time admitted) {
    if (metrics != nullptr) {
      metrics->Record(rpc, status.code(), absl::Now() - admitted);
    }
  }

  const Authorizer* const authorizer_;
  const Logger* const logger_;
  RpcHandlers* const handlers_;
  RpcMetrics* const metrics_;
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_CALL_PATH_H_
