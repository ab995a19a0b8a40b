// What a door (gRPC today; the HTTP/JSON door to come)
// tells the call path about a call, and what the path hands to the RPC's
// handler once the call is admitted (call_path.h).
#ifndef LOYALTY_ENGINE_SERVER_ADMISSION_H_
#define LOYALTY_ENGINE_SERVER_ADMISSION_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/server/auth.h"
#include "engine/server/call_log.h"

namespace loyalty::server {

// Who calls and until when, as the door learned it.
struct CallOrigin {
  // The API key as sent (x-api-key); nullopt when the call sent none.
  std::optional<std::string> api_key;
  // The caller's deadline; writes still queued in the ledger then are left
  // undecided (DEADLINE_EXCEEDED).
  absl::Time deadline = absl::InfiniteFuture();
};

// A call at the door: refused, or admitted with who calls and for what.
struct Admission {
  // Why the call was refused; OK when it was admitted.
  absl::Status refusal;
  // The call's log, a refused call's too.
  CallLog log;
  // The rest is set for an admitted call only.
  Caller caller;
  // The partner the call is confined to (PartnerScope, rpc_table.h): the
  // partner a kActsFor request acts for, the partner a kNarrows read is
  // narrowed to ("" = every partner); "" for kNone.
  std::string partner_id;
  absl::Time deadline = absl::InfiniteFuture();
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_ADMISSION_H_
