// Connecting to loyaltyd: one channel per run (plain text, TLS or mutual
// TLS), and on every call a deadline and the API key; request ids for the
// verbs that write.
#ifndef LOYALTY_TOOLS_LOYALTYCTL_CLIENT_H_
#define LOYALTY_TOOLS_LOYALTYCTL_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "args.h"

namespace loyaltyctl {

// Reads --api-key-file into global->api_key (trailing newline stripped) and
// the TLS files into the *_pem fields. Fails when a file cannot be read, is
// empty or too large, or the key holds characters metadata cannot carry.
// Call it once, before MakeChannel.
absl::Status LoadCredentials(GlobalOptions* global);

// A channel to global.server: TLS checked against global.tls_ca_pem (with a
// client certificate when one was given) when --tls-ca is set, else plain
// text (loopback development setup).
std::shared_ptr<grpc::Channel> MakeChannel(const GlobalOptions& global);

// Prepares one call: the deadline from --timeout, and the API key (when
// there is one) in the x-api-key metadata. Call it on a fresh context right
// before each call, so that pages of a listing each get a full budget.
void PrepareCall(const GlobalOptions& global, grpc::ClientContext* context);
// The same for a call whose work grows with the ledger (an export, a
// verification, a backup): `default_seconds` unless --timeout was given.
void PrepareLongCall(const GlobalOptions& global, double default_seconds,
                     grpc::ClientContext* context);

// --request-id when given; otherwise 16 random hex characters, announced on
// stdout (stderr in --json mode) so that the person can retry with the same id.
std::string RequestIdFor(const Invocation& invocation);

}  // namespace loyaltyctl

#endif  // LOYALTY_TOOLS_LOYALTYCTL_CLIENT_H_
