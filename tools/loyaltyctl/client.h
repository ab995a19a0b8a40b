// Connecting to loyaltyd: one channel per run, a deadline on every call, and
// request ids for the verbs that write.
#ifndef LOYALTY_TOOLS_LOYALTYCTL_CLIENT_H_
#define LOYALTY_TOOLS_LOYALTYCTL_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "args.h"

namespace loyaltyctl {

// A plain-text channel to global.server (loopback development setup).
std::shared_ptr<grpc::Channel> MakeChannel(const GlobalOptions& global);

// Sets the deadline of one call from --timeout. Call it on a fresh context
// right before each call, so that pages of a listing each get a full budget.
void SetDeadline(const GlobalOptions& global, grpc::ClientContext* context);

// --request-id when given; otherwise 16 random hex characters, announced on
// stdout (stderr in --json mode) so that the person can retry with the same id.
std::string RequestIdFor(const Invocation& invocation);

}  // namespace loyaltyctl

#endif  // LOYALTY_TOOLS_LOYALTYCTL_CLIENT_H_
