// A real loyaltyd in the test's process: the ledger on RocksDB in a temporary
// directory, gRPC on a free loopback port, and a plain-text channel with the
// generated stubs, as a POS terminal or an operator's tool would use them.
//
// The test chooses the server's options (rules, clock, time bounds, TLS);
// ServedLedger chooses where the data lives (<temp dir>/data, kept across
// restarts) and the address (127.0.0.1:0). Declare a ServedLedger after
// anything its options point to (a clock), so that it stops first.
// Not thread-safe to start or stop; the stubs may be shared by threads.
#ifndef LOYALTY_TESTS_SUPPORT_SERVED_LEDGER_H_
#define LOYALTY_TESTS_SUPPORT_SERVED_LEDGER_H_

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/server/server.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "loyalty/v1/audit.grpc.pb.h"
#include "loyalty/v1/checkout.grpc.pb.h"
#include "loyalty/v1/members.grpc.pb.h"
#include "loyalty/v1/program.grpc.pb.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_rules.h"

namespace loyalty::testing {

// Options that price with `rules_yaml` (rule-file format); the rest default.
inline server::ServerOptions ServedOptions(const std::string& rules_yaml = RulesYaml()) {
  server::ServerOptions options;
  options.rules = CompileRules(rules_yaml);
  return options;
}

// The reason and field a refusal carries in grpc-status-details-bin; empty
// when it carries none.
inline v1::ErrorDetail DetailOf(const grpc::Status& status) {
  v1::RpcStatus rpc_status;
  v1::ErrorDetail detail;
  if (rpc_status.ParseFromString(status.error_details()) &&
      rpc_status.details_size() == 1) {
    detail.ParseFromString(rpc_status.details(0).value());
  }
  return detail;
}

class ServedLedger {
 public:
  ServedLedger() = default;
  ServedLedger(const ServedLedger&) = delete;
  ServedLedger& operator=(const ServedLedger&) = delete;

  // Starts a server with `options` (data_dir and listen_address are set
  // here) and, when it speaks plain text, a channel and stubs to it. A
  // refused start fails the test: call it under ASSERT_NO_FATAL_FAILURE.
  void Start(server::ServerOptions options) {
    const absl::Status started = TryStart(std::move(options));
    ASSERT_TRUE(started.ok()) << started;
  }

  // The same, returning why the server refused to start.
  absl::Status TryStart(server::ServerOptions options) {
    options.data_dir = data_dir();
    options.listen_address = "127.0.0.1:0";
    const bool plain_text = !options.tls.has_value();
    auto started = server::LoyaltyServer::Start(std::move(options));
    if (!started.ok()) return started.status();
    server_ = *std::move(started);
    if (!plain_text) return absl::OkStatus();  // the test makes its own channel
    channel_ = grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
    checkout_ = v1::Checkout::NewStub(channel_);
    members_ = v1::Members::NewStub(channel_);
    program_ = v1::Program::NewStub(channel_);
    audit_ = v1::Audit::NewStub(channel_);
    return absl::OkStatus();
  }

  // Shuts the server down (5 s for calls in flight) and drops it; its data
  // stays. Nothing when none runs.
  void Stop() {
    if (server_ == nullptr) return;
    server_->Shutdown(absl::Seconds(5));
    server_.reset();
  }

  // Drops the server without a graceful shutdown first (its destructor
  // stops it); its data stays.
  void Drop() { server_.reset(); }

  bool running() const { return server_ != nullptr; }
  server::LoyaltyServer& server() { return *server_; }
  int port() const { return server_->port(); }
  std::string address() const { return absl::StrCat("127.0.0.1:", port()); }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  v1::Checkout::Stub& checkout() { return *checkout_; }
  v1::Members::Stub& members() { return *members_; }
  v1::Program::Stub& program() { return *program_; }
  v1::Audit::Stub& audit() { return *audit_; }

  // Enrolls `member_id` (request id "enroll-<member_id>"), within 30 s.
  grpc::Status Enroll(const std::string& member_id) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    v1::EnrollMemberRequest request;
    request.set_request_id("enroll-" + member_id);
    request.mutable_profile()->set_member_id(member_id);
    v1::EnrollMemberResponse response;
    return members_->EnrollMember(&context, request, &response);
  }

  // The temporary directory: data/ is the server's, the rest the test's.
  const TempDir& dir() const { return dir_; }
  std::string data_dir() const { return dir_.Sub("data"); }

 private:
  TempDir dir_;  // declared first: removed after the server has stopped
  std::unique_ptr<server::LoyaltyServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Checkout::Stub> checkout_;
  std::unique_ptr<v1::Members::Stub> members_;
  std::unique_ptr<v1::Program::Stub> program_;
  std::unique_ptr<v1::Audit::Stub> audit_;
};

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SUPPORT_SERVED_LEDGER_H_
