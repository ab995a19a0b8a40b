// events tail | forward: the program's events (Events.WatchEvents) on the
// terminal, or posted to a webhook so that a CRM needs no gRPC.
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "args.h"
#include "checkpoint.h"
#include "commands.h"
#include "event_format.h"
#include "event_stream.h"
#include "output.h"
#include "webhook.h"

namespace loyaltyctl {
namespace {

using loyalty::v1::Event;
using loyalty::v1::WatchEventsResponse;

// What loyaltyctl reads from --secret-file: a line of at most this many bytes.
constexpr size_t kMaxSecretBytes = 4096;

int Finish(const StreamOutcome& outcome, bool json) {
  if (!outcome.local.ok()) return PrintStatusError(outcome.local, json);
  if (!outcome.call.ok()) return PrintRpcError(outcome.call, json);
  return 0;
}

int RunTail(const Invocation& invocation) {
  const absl::StatusOr<loyalty::v1::WatchEventsRequest> request =
      WatchRequestFrom(invocation.flags);
  if (!request.ok()) return UsageError(invocation, request.status());
  const bool json = invocation.global.json;
  const StreamOutcome outcome =
      WatchEach(invocation.global, *request,
                [json](const WatchEventsResponse& message) -> absl::Status {
                  for (const Event& event : message.events()) {
                    if (!json) {
                      std::cout << EventLine(event) << "\n";
                      continue;
                    }
                    absl::StatusOr<std::string> line = EventJson(event);
                    if (!line.ok()) return line.status();
                    std::cout << *line << "\n";
                  }
                  std::cout.flush();
                  return absl::OkStatus();
                });
  return Finish(outcome, json);
}

absl::StatusOr<std::string> ReadSecret(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(
        absl::StrCat("cannot read --secret-file ", path));
  }
  std::string secret(kMaxSecretBytes + 1, '\0');
  file.read(secret.data(), static_cast<std::streamsize>(secret.size()));
  secret.resize(static_cast<size_t>(file.gcount()));
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) {
    secret.pop_back();
  }
  if (secret.empty() || secret.size() > kMaxSecretBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--secret-file ", path, " must hold 1 to ", kMaxSecretBytes, " bytes"));
  }
  return secret;
}

absl::StatusOr<WebhookOptions> WebhookFrom(const ParsedFlags& flags) {
  WebhookOptions options;
  options.url = flags.Get("url");
  absl::StatusOr<std::string> secret = ReadSecret(flags.Get("secret-file"));
  if (!secret.ok()) return secret.status();
  options.secret = *std::move(secret);
  if (flags.Has("max-attempts") &&
      (!absl::SimpleAtoi(flags.Get("max-attempts"), &options.max_attempts) ||
       options.max_attempts < 1 || options.max_attempts > 1000)) {
    return absl::InvalidArgumentError("--max-attempts must be 1 to 1000");
  }
  return options;
}

// Posts each event not yet handled, moving the checkpoint after each one
// and to the page's end after the page.
class Forwarder {
 public:
  Forwarder(Webhook* webhook, std::string path, Checkpoint checkpoint)
      : webhook_(webhook), path_(std::move(path)), checkpoint_(checkpoint) {}

  absl::Status Page(const WatchEventsResponse& message) {
    for (const Event& event : message.events()) {
      if (checkpoint_.Handled(event.sequence(), event.index())) continue;
      absl::StatusOr<std::string> body = EventJson(event);
      if (!body.ok()) return body.status();
      absl::Status delivered = webhook_->Deliver(EventId(event), *body);
      if (!delivered.ok()) return delivered;
      ++delivered_;
      absl::Status kept = Keep({event.sequence(), event.index()});
      if (!kept.ok()) return kept;
    }
    if (message.scanned_sequence() > checkpoint_.sequence ||
        (message.scanned_sequence() == checkpoint_.sequence &&
         checkpoint_.index)) {
      return Keep({message.scanned_sequence(), std::nullopt});
    }
    return absl::OkStatus();
  }

  int64_t delivered() const { return delivered_; }
  const Checkpoint& checkpoint() const { return checkpoint_; }

 private:
  absl::Status Keep(Checkpoint checkpoint) {
    checkpoint_ = checkpoint;
    return WriteCheckpoint(path_, checkpoint_);
  }

  Webhook* const webhook_;
  const std::string path_;
  Checkpoint checkpoint_;
  int64_t delivered_ = 0;
};

int RunForward(const Invocation& invocation) {
  const bool json = invocation.global.json;
  absl::StatusOr<loyalty::v1::WatchEventsRequest> request =
      WatchRequestFrom(invocation.flags);
  if (!request.ok()) return UsageError(invocation, request.status());
  absl::StatusOr<WebhookOptions> options = WebhookFrom(invocation.flags);
  if (!options.ok()) return UsageError(invocation, options.status());
  absl::StatusOr<std::unique_ptr<Webhook>> webhook =
      Webhook::Create(*std::move(options));
  if (!webhook.ok()) return UsageError(invocation, webhook.status());
  const std::string path = invocation.flags.Get("checkpoint");
  absl::StatusOr<std::optional<Checkpoint>> stored = ReadCheckpoint(path);
  if (!stored.ok()) return PrintStatusError(stored.status(), json);
  // Without a checkpoint yet: from --after.
  const Checkpoint start =
      stored->value_or(Checkpoint{request->after_sequence(), std::nullopt});
  request->set_after_sequence(start.after_sequence());
  Forwarder forwarder(webhook->get(), path, start);
  const StreamOutcome outcome =
      WatchEach(invocation.global, *request,
                [&forwarder](const WatchEventsResponse& message) {
                  return forwarder.Page(message);
                });
  std::ostream& out = json ? std::cout : std::cerr;
  if (json) {
    out << "{\"delivered\": " << forwarder.delivered()
        << ", \"checkpoint\": " << forwarder.checkpoint().sequence << "}\n";
  } else {
    out << "delivered " << forwarder.delivered() << " events; checkpoint at "
        << forwarder.checkpoint().sequence << "\n";
  }
  return Finish(outcome, json);
}

std::vector<FlagSpec> FilterFlags() {
  return {
      {"after", "SEQUENCE",
       "Only entries after this sequence (default 0: from the first entry).",
       "--after 1200"},
      {"kind", "KIND",
       "Only events of this kind; repeat for more. Kinds: member_enrolled, "
       "purchase_committed, refund, reward_redeemed, tier_changed, "
       "points_released, points_expired, referral_rewarded, "
       "adjustment_made, birthday_gift, referral_reversed, "
       "points_expiring.",
       "--kind tier_changed --kind purchase_committed", false, true},
      {"member", "ID", "Only this member's events.", "--member card-0042"},
      {"partner", "P",
       "Only events of entries made at this partner (sales, refunds). A "
       "partner-bound key sees only its own partner's anyway.",
       "--partner fuelco"},
      {"follow", "",
       "Keep going: print each new event as soon as it is durable, until "
       "interrupted. Without it, stop after the events there are now.",
       "--follow"},
  };
}

}  // namespace

std::vector<CommandSpec> EventsCommands() {
  std::vector<FlagSpec> forward_flags = {
      {"url", "URL", "The webhook: http://HOST[:PORT]/PATH or https://...",
       "--url https://crm.example.com/hooks/loyalty", true},
      {"secret-file", "FILE",
       "The shared secret that signs each POST (HMAC-SHA256), one line.",
       "--secret-file /etc/loyalty/webhook.secret", true},
      {"checkpoint", "FILE",
       "Where the forwarder keeps its place; created on the first event, "
       "read on every start, so a restart resumes right after the last "
       "event the webhook acknowledged. --after applies only while it does "
       "not exist.",
       "--checkpoint /var/lib/loyalty/crm.checkpoint", true},
      {"max-attempts", "N",
       "POSTs per event before giving up (default 10; the delay doubles "
       "from 0.5 s up to 30 s). Giving up exits 1 with the checkpoint at "
       "the last event delivered.",
       "--max-attempts 20"},
  };
  for (FlagSpec& flag : FilterFlags()) forward_flags.push_back(flag);
  return {
      {"events", "tail", "", "",
       "Print the program's events (sales, refunds, rewards, tier changes, "
       "points released, expired and expiring soon, referrals, "
       "adjustments) in sequence "
       "order.",
       FilterFlags(),
       "loyaltyctl events tail --after 1200 --kind tier_changed --follow",
       RunTail, false,
       "One line per event: SEQUENCE.INDEX, the time it was committed, the "
       "kind, the member, points moved, then order, partner, tier and "
       "reason. With --json, one JSON object per line (protobuf's JSON of "
       "loyalty.v1.Event). Needs an auditor or admin key."},
      {"events", "forward", "", "",
       "POST each event as JSON to a webhook, signed, with retries and a "
       "checkpoint file.",
       forward_flags,
       "loyaltyctl events forward --url http://127.0.0.1:8080/hook "
       "--secret-file webhook.secret --checkpoint crm.checkpoint --follow",
       RunForward, false,
       "Each POST carries the event's JSON (as `events tail --json` prints "
       "it) and the headers X-Loyalty-Event-Id: SEQUENCE.INDEX and "
       "X-Loyalty-Signature: sha256=HEX, the HMAC-SHA256 of the body under "
       "the secret; a receiver checks the signature and ignores an id it "
       "has seen (a stop between its answer and the checkpoint may post one "
       "event twice). An answer other than 2xx, or none, is retried. Without "
       "--follow it stops once the events there are now are delivered; run "
       "it with --follow under systemd for a live feed. Needs an auditor or "
       "admin key."},
  };
}

}  // namespace loyaltyctl
