// Program.SimulateRules from a test: sends the request and reads the stream
// to its end. Shared by the simulation's integration test and benchmark.
#ifndef LOYALTY_TESTS_SUPPORT_SIMULATE_CLIENT_H_
#define LOYALTY_TESTS_SUPPORT_SIMULATE_CLIENT_H_

#include <chrono>
#include <string>

#include "absl/time/time.h"
#include "engine/base/time_util.h"
#include "grpcpp/grpcpp.h"
#include "loyalty/v1/program.grpc.pb.h"

namespace loyalty::testing {

struct Simulated {
  grpc::Status status;
  v1::SimulateRulesResponse last;  // the last message (done, the report)
  int messages = 0;
};

inline v1::SimulateRulesRequest SimulationOf(const std::string& yaml,
                                             absl::Time from, absl::Time to) {
  v1::SimulateRulesRequest request;
  request.set_file_name("candidate.yaml");
  request.set_yaml(yaml);
  *request.mutable_from_time() = ToTimestamp(from);
  *request.mutable_to_time() = ToTimestamp(to);
  return request;
}

inline Simulated Simulate(v1::Program::Stub& program,
                          const v1::SimulateRulesRequest& request) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::minutes(10));
  Simulated simulated;
  auto reader = program.SimulateRules(&context, request);
  v1::SimulateRulesResponse message;
  while (reader->Read(&message)) {
    simulated.last = message;
    ++simulated.messages;
  }
  simulated.status = reader->Finish();
  return simulated;
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SUPPORT_SIMULATE_CLIENT_H_
