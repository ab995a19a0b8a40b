// CallsInFlight counts the calls the server is running, from the moment gRPC
// hands one to a service until it is over, so that a stop knows when the
// calls in flight are done (LoyaltyServer::Shutdown). Thread-safe.
#ifndef LOYALTY_ENGINE_SERVER_CALLS_IN_FLIGHT_H_
#define LOYALTY_ENGINE_SERVER_CALLS_IN_FLIGHT_H_

#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/support/server_interceptor.h"

namespace loyalty::server {

class CallsInFlight {
 public:
  CallsInFlight() = default;
  CallsInFlight(const CallsInFlight &) = delete;
  CallsInFlight &operator=(const CallsInFlight &) = delete;

  // A factory for ServerBuilder::experimental().SetInterceptorCreators: its
  // interceptor lives as long as its call and counts it. `this` must outlive
  // the server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewFactory();

  // Waits at most `timeout` for no call to be in flight; true when none is.
  bool AwaitNone(absl::Duration timeout);

 private:
  class Counter;
  class Factory;

  void Add(int64_t delta);

  absl::Mutex mu_;
  int64_t calls_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_CALLS_IN_FLIGHT_H_
