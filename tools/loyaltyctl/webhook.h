// The webhook `events forward` posts to: one HTTP(S) POST per event, its
// JSON as the body, signed with HMAC-SHA256 under a shared secret, retried
// with a doubling delay until the receiver answers 2xx.
//
// Headers of each POST:
//   Content-Type: application/json
//   X-Loyalty-Event-Id: 42.1          (sequence.index: deduplicate by it)
//   X-Loyalty-Signature: sha256=<hex of HMAC-SHA256(secret, body)>
#ifndef LOYALTY_TOOLS_LOYALTYCTL_WEBHOOK_H_
#define LOYALTY_TOOLS_LOYALTYCTL_WEBHOOK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace loyaltyctl {

inline constexpr char kEventIdHeader[] = "X-Loyalty-Event-Id";
inline constexpr char kSignatureHeader[] = "X-Loyalty-Signature";

struct WebhookOptions {
  std::string url;        // http://host[:port]/path or https://...
  std::string secret;     // the HMAC key, as read from --secret-file
  int max_attempts = 10;  // per event; then Deliver fails
  absl::Duration first_delay = absl::Milliseconds(500);  // doubles per retry
  absl::Duration max_delay = absl::Seconds(30);
  absl::Duration timeout = absl::Seconds(10);  // per POST
};

// "sha256=" and the lower-case hex of HMAC-SHA256(secret, body).
std::string WebhookSignature(const std::string& secret,
                             const std::string& body);

class Webhook {
 public:
  // INVALID_ARGUMENT for a URL that is not http(s)://host[:port][/path].
  static absl::StatusOr<std::unique_ptr<Webhook>> Create(
      WebhookOptions options);
  Webhook(const Webhook&) = delete;
  Webhook& operator=(const Webhook&) = delete;

  // POSTs `body` until a 2xx answer; UNAVAILABLE naming the last answer (or
  // connection error) after max_attempts. Blocks through the delays.
  absl::Status Deliver(const std::string& event_id, const std::string& body);

 private:
  Webhook(WebhookOptions options, std::string origin, std::string path)
      : options_(std::move(options)),
        origin_(std::move(origin)),
        path_(std::move(path)) {}
  // One POST: OK for 2xx, else what went wrong.
  absl::Status PostOnce(const std::string& event_id, const std::string& body);

  const WebhookOptions options_;
  const std::string origin_;  // scheme://host[:port]
  const std::string path_;    // "/..." ("/" when the URL has none)
};

}  // namespace loyaltyctl

#endif  // LOYALTY_TOOLS_LOYALTYCTL_WEBHOOK_H_
