#include "engine/server/calls_in_flight.h"

namespace loyalty::server {

// Made when gRPC starts a call, destroyed with the call's context once the
// call is over (after the reactor's OnDone).
class CallsInFlight::Counter : public grpc::experimental::Interceptor {
 public:
  explicit Counter(CallsInFlight *calls) : calls_(calls) { calls_->Add(1); }
  ~Counter() override { calls_->Add(-1); }
  void Intercept(grpc::experimental::InterceptorBatchMethods *methods) override {
    methods->Proceed();
  }

 private:
  CallsInFlight *const calls_;
};

class CallsInFlight::Factory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(CallsInFlight *calls) : calls_(calls) {}
  grpc::experimental::Interceptor *CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo * /*info*/) override {
    return new Counter(calls_);
  }

 private:
  CallsInFlight *const calls_;
};

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
CallsInFlight::NewFactory() {
  return std::make_unique<Factory>(this);
}

void CallsInFlight::Add(int64_t delta) {
  absl::MutexLock lock(&mu_);
  calls_ += delta;
}

bool CallsInFlight::AwaitNone(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(
                                  +[](int64_t *calls) { return *calls == 0; }, &calls_),
                              timeout);
}

}  // namespace loyalty::server
