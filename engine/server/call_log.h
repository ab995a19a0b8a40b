// What loyaltyd logs about calls (the log itself: engine/base/log.h). Every
// line about a call starts with the RPC, the caller's key id and the
// request id; the rest are fields the handler names one by one (a version,
// a key id, a count), never the request itself, so a member's name, e-mail
// or birthday never reach the log.
//
// Levels: info for what changes how the program runs (rule loads, API keys,
// backups, maintenance runs); error for the server's own trouble (INTERNAL,
// DATA_LOSS, UNKNOWN, and UNAVAILABLE from the ledger); warn for a ledger
// too busy to take a write or readers too busy to take a long read; debug
// for every other refusal.
#ifndef LOYALTY_ENGINE_SERVER_CALL_LOG_H_
#define LOYALTY_ENGINE_SERVER_CALL_LOG_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/base/log.h"
#include "engine/server/auth.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty::server {

// The key id a call claims in its API key ("lk_{key_id}_{secret}", sent in
// x-api-key), for the lines of a call refused before its key was accepted;
// "" when there is none. Never any part of the secret.
std::string ClaimedKeyId(const std::optional<std::string>& api_key);

// The request's request_id, or "" for a request without one (the reads).
template <typename Request, typename = void>
struct HasRequestId : std::false_type {};
template <typename Request>
struct HasRequestId<Request, std::void_t<decltype(std::declval<const Request&>().request_id())>>
    : std::true_type {};
template <typename Request>
std::string RequestIdOf(const Request& request) {
  if constexpr (HasRequestId<Request>::value) {
    return std::string(request.request_id());
  } else {
    return "";
  }
}

// The log of one call. Cheap to copy; safe to use from any thread.
class CallLog {
 public:
  CallLog(const Logger* logger, Rpc rpc, std::string key_id, std::string request_id)
      : logger_(logger != nullptr ? logger : &Logger::Discard()), rpc_(rpc), key_id_(std::move(key_id)),
        request_id_(std::move(request_id)) {}
  // The log of a call that `caller` makes (or claims to, when refused).
  static CallLog Of(const Logger* logger, Rpc rpc,
                    const std::optional<std::string>& api_key,
                    const absl::StatusOr<Caller>& caller,
                    std::string request_id) {
    return CallLog(logger, rpc,
                   caller.ok() ? caller->key_id : ClaimedKeyId(api_key),
                   std::move(request_id));
  }

  // One line: event, rpc, request_id, key_id, then `fields`.
  void Event(LogLevel level, absl::string_view event,
             std::initializer_list<LogField> fields = {}) const;
  // A line about how the call ended, when it failed (levels: above). A
  // refusal's line holds its code, reason and field but not its message,
  // which may quote what the caller sent; the server's own errors keep
  // their message, which speaks of storage.
  void Failure(const absl::Status& status) const;

  const std::string& key_id() const { return key_id_; }
  // The log of one item of a batch (CommitPurchases): the same call, the
  // item's own request_id.
  CallLog ForItem(std::string request_id) const {
    return CallLog(logger_, rpc_, key_id_, std::move(request_id));
  }

  // The lines of a maintenance run (Program.RunExpiry or loyaltyd's
  // schedule): its start and end at info, each page's figures at debug.
  void RunStarted() const;
  void RunPage(const loyalty::v1::RunExpiryResponse& figures) const;
  void RunEnded(const absl::StatusOr<loyalty::v1::RunExpiryResponse>& result,
                absl::Duration took) const;

 private:
  const Logger* logger_;
  Rpc rpc_;
  std::string key_id_;
  std::string request_id_;
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_CALL_LOG_H_
