#include "client.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <random>

#include "absl/strings/str_cat.h"

namespace loyaltyctl {

std::shared_ptr<grpc::Channel> MakeChannel(const GlobalOptions& global) {
  return grpc::CreateChannel(global.server, grpc::InsecureChannelCredentials());
}

void SetDeadline(const GlobalOptions& global, grpc::ClientContext* context) {
  const auto budget =
      std::chrono::milliseconds(std::llround(global.timeout_seconds * 1000.0));
  context->set_deadline(std::chrono::system_clock::now() + budget);
}

std::string RequestIdFor(const Invocation& invocation) {
  if (invocation.flags.Has("request-id")) {
    return invocation.flags.Get("request-id");
  }
  std::random_device random;
  const uint64_t bits = (static_cast<uint64_t>(random()) << 32) | random();
  const std::string id = absl::StrCat(absl::Hex(bits, absl::kZeroPad16));
  std::ostream& out = invocation.global.json ? std::cerr : std::cout;
  out << "request id: " << id << " (generated; retry with --request-id " << id
      << ")\n";
  return id;
}

}  // namespace loyaltyctl
