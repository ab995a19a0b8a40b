#include "webhook.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace loyaltyctl {

std::string WebhookSignature(const std::string& secret,
                             const std::string& body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest,
       &length);
  return absl::StrCat("sha256=",
                      absl::BytesToHexString(absl::string_view(
                          reinterpret_cast<const char*>(digest), length)));
}

absl::StatusOr<std::unique_ptr<Webhook>> Webhook::Create(
    WebhookOptions options) {
  const std::string& url = options.url;
  const bool known =
      absl::StartsWith(url, "http://") || absl::StartsWith(url, "https://");
  const size_t host = url.find("://") + 3;
  const size_t slash = known ? url.find('/', host) : std::string::npos;
  const std::string origin = url.substr(0, slash);
  if (!known || origin.size() <= host) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--url must be http://HOST[:PORT][/PATH] or https://..., got '", url,
        "'"));
  }
  std::string path = slash == std::string::npos ? "/" : url.substr(slash);
  return std::unique_ptr<Webhook>(
      new Webhook(std::move(options), origin, std::move(path)));
}

absl::Status Webhook::PostOnce(const std::string& event_id,
                               const std::string& body) {
  httplib::Client client(origin_);
  const int64_t seconds = absl::ToInt64Seconds(options_.timeout);
  client.set_connection_timeout(seconds, 0);
  client.set_read_timeout(seconds, 0);
  client.set_write_timeout(seconds, 0);
  if (absl::StartsWith(origin_, "https://")) {
    client.set_ca_cert_path("/etc/ssl/certs/ca-certificates.crt");
    client.enable_server_certificate_verification(true);
  }
  const httplib::Headers headers = {
      {kEventIdHeader, event_id},
      {kSignatureHeader, WebhookSignature(options_.secret, body)}};
  const httplib::Result result =
      client.Post(path_.c_str(), headers, body, "application/json");
  if (!result) {
    return absl::UnavailableError(absl::StrCat(
        "cannot reach ", origin_, ": ", httplib::to_string(result.error())));
  }
  if (result->status >= 200 && result->status < 300) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat(options_.url, " answered HTTP ", result->status));
}

absl::Status Webhook::Deliver(const std::string& event_id,
                              const std::string& body) {
  absl::Duration delay = options_.first_delay;
  absl::Status last;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    if (attempt > 1) {
      std::this_thread::sleep_for(absl::ToChronoMilliseconds(delay));
      delay = std::min(delay * 2, options_.max_delay);
    }
    last = PostOnce(event_id, body);
    if (last.ok()) return last;
  }
  return absl::UnavailableError(
      absl::StrCat("event ", event_id, " not delivered after ",
                   options_.max_attempts, " attempts: ", last.message()));
}

}  // namespace loyaltyctl
