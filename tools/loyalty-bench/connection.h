// The bench's connections to loyaltyd: a few plain-text channels, each its
// own HTTP/2 connection, with the stubs of every service the bench calls.
// Calls are spread over the channels round-robin. Thread-safe.
#ifndef LOYALTY_TOOLS_LOYALTY_BENCH_CONNECTION_H_
#define LOYALTY_TOOLS_LOYALTY_BENCH_CONNECTION_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "loyalty/v1/checkout.grpc.pb.h"
#include "loyalty/v1/members.grpc.pb.h"

namespace loyalty_bench {

// Full method name of the standard health check (grpc.health.v1), called
// through the generic stub: Debian ships no header for its messages.
inline constexpr char kHealthCheckMethod[] = "/grpc.health.v1.Health/Check";

class Connection {
 public:
  // `channels` separate connections to `target` (HOST:PORT); `metadata`
  // goes with every call.
  Connection(const std::string& target, int channels,
             std::vector<std::pair<std::string, std::string>> metadata);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Waits until every channel is connected; false after `timeout`.
  bool WaitConnected(absl::Duration timeout);

  // The stubs of the next channel in turn.
  loyalty::v1::Checkout::Stub& checkout();
  loyalty::v1::Members::Stub& members();
  grpc::GenericStub& generic();

  // Readies a fresh context: a deadline `seconds` from now, and the metadata.
  void Prepare(double seconds, grpc::ClientContext* context) const;

 private:
  struct Lane {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<loyalty::v1::Checkout::Stub> checkout;
    std::unique_ptr<loyalty::v1::Members::Stub> members;
    std::unique_ptr<grpc::GenericStub> generic;
  };
  Lane& NextLane();

  const std::vector<std::pair<std::string, std::string>> metadata_;
  std::vector<Lane> lanes_;
  std::atomic<uint64_t> next_{0};
};

}  // namespace loyalty_bench

#endif  // LOYALTY_TOOLS_LOYALTY_BENCH_CONNECTION_H_
