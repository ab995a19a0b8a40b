// /metrics, /healthz and /readyz of a real in-process loyaltyd (real RocksDB,
// real gRPC on loopback) on its own HTTP listener (engine/server/
// ops_endpoint.h), read with an HTTP client as Prometheus and a load
// balancer read them: the page is well formed (checked by a strict reader
// here and by promtool where installed) and its figures follow the traffic;
// health turns NOT_SERVING (gRPC) and 503 (HTTP) once a ledger write fails,
// and /readyz says "starting" and then "refused" for a start that is refused.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "engine/server/exposition.h"
#include "engine/server/ops_endpoint.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/support/exposition_check.h"
#include "tests/support/faulty_file_system.h"
#include "tests/support/served_ledger.h"

namespace loyalty {
namespace {

using server::OpsEndpoint;
using testing::ReadSample;

// An HTTP GET on the endpoint: status and body (status -1: no answer).
std::pair<int, std::string> Get(const OpsEndpoint& ops,
                                const std::string& path) {
  httplib::Client client("127.0.0.1", ops.port());
  client.set_read_timeout(60, 0);
  auto answer = client.Get(path.c_str());
  if (!answer) return {-1, ""};
  return {answer->status, answer->body};
}

grpc::Status Enroll(testing::ServedLedger& served, const std::string& id) {
  v1::EnrollMemberRequest request;
  request.set_request_id("enroll-" + id);
  request.mutable_profile()->set_member_id(id);
  request.mutable_profile()->set_display_name("Some One");
  v1::EnrollMemberResponse response;
  grpc::ClientContext context;
  return served.members().EnrollMember(&context, request, &response);
}

grpc::Status Commit(testing::ServedLedger& served,
                    const std::string& request_id, const std::string& member) {
  v1::CommitPurchaseRequest request;
  request.set_request_id(request_id);
  v1::Purchase* purchase = request.mutable_purchase();
  purchase->set_member_id(member);
  purchase->set_order_id("order-" + request_id);
  purchase->set_channel(v1::CHANNEL_POS);
  purchase->set_currency("EUR");
  v1::PurchaseLine* line = purchase->add_lines();
  line->set_sku("sku-1");
  line->set_quantity(1);
  line->set_unit_price_minor(2150);
  v1::CommitPurchaseResponse response;
  grpc::ClientContext context;
  return served.checkout().CommitPurchase(&context, request, &response);
}

// grpc.health.v1 Check for the whole server (""), called as raw bytes
// (Debian ships no generated health stubs): the answer's field 1, 1 for
// SERVING and 2 for NOT_SERVING; -1 when the call failed.
int GrpcHealth(testing::ServedLedger& served) {
  grpc::GenericStub stub(served.channel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(60));
  grpc::Slice empty("");  // HealthCheckRequest{service: ""} is zero bytes
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                 &request, &response, [&](grpc::Status answer) {
                   status = std::move(answer);
                   done.Notify();
                 });
  done.WaitForNotification();
  std::vector<grpc::Slice> slices;
  if (!status.ok() || !response.Dump(&slices).ok()) return -1;
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes.size() == 2 && bytes[0] == '\x08' ? bytes[1] : -1;
}
constexpr int kServing = 1;
constexpr int kNotServing = 2;

// The page's problems by the strict reader, then promtool's verdict.
void ExpectWellFormed(const std::string& page, const testing::TempDir& dir) {
  std::vector<std::string> problems;
  const std::vector<ReadSample> samples = testing::ReadPage(page, &problems);
  testing::CheckHistograms(samples, &problems);
  EXPECT_TRUE(problems.empty()) << absl::StrJoin(problems, "\n") << "\n"
                                << page;
  const std::string promtool = testing::PromtoolPath();
  if (promtool.empty()) {
    if (testing::OnCi())
      FAIL() << "promtool is missing (Debian package prometheus)";
    GTEST_SKIP() << "promtool not installed (Debian package prometheus): "
                    "checked by the strict reader only";
  }
  const std::string file = dir.Sub("metrics.txt");
  std::ofstream(file) << page;
  const std::string command = absl::StrCat(promtool, " check metrics < ", file,
                                           " > ", file, ".out 2>&1");
  const int exit_code = std::system(command.c_str());
  std::ifstream out(file + ".out");
  const std::string said((std::istreambuf_iterator<char>(out)), {});
  EXPECT_EQ(exit_code, 0) << said << "\n" << page;
}

TEST(ExpositionTest, EscapesLabelsAndHelpAndScalesExactly) {
  EXPECT_EQ(server::EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(server::EscapeHelp("a\\b\"c\nd"), "a\\\\b\"c\\nd");
  EXPECT_EQ(server::Scaled(50, 6), "0.00005");
  EXPECT_EQ(server::Scaled(2500000, 6), "2.5");
  EXPECT_EQ(server::Scaled(-1500, 3), "-1.5");
  EXPECT_EQ(server::Scaled(7, 0), "7");
  server::Exposition page;
  page.Family("x_seconds", "histogram", "Odd \"help\"\nline.");
  Histogram histogram({10, 100});
  histogram.Record(5);
  histogram.Record(50);
  histogram.Record(500);
  page.HistogramSamples("x_seconds", {{"rpc", "a\"b"}}, histogram.Read(), 3);
  EXPECT_EQ(page.text(),
            "# HELP x_seconds Odd \"help\"\\nline.\n"
            "# TYPE x_seconds histogram\n"
            "x_seconds_bucket{rpc=\"a\\\"b\",le=\"0.01\"} 1\n"
            "x_seconds_bucket{rpc=\"a\\\"b\",le=\"0.1\"} 2\n"
            "x_seconds_bucket{rpc=\"a\\\"b\",le=\"+Inf\"} 3\n"
            "x_seconds_sum{rpc=\"a\\\"b\"} 0.555\n"
            "x_seconds_count{rpc=\"a\\\"b\"} 3\n");
}

class OpsTest : public ::testing::Test {
 protected:
  void StartServer(rocksdb::Env* env = nullptr) {
    auto options = testing::ServedOptions();
    options.env = env;
    ASSERT_NO_FATAL_FAILURE(served_.Start(std::move(options)));
    auto ops = OpsEndpoint::Start("127.0.0.1:0");
    ASSERT_TRUE(ops.ok()) << ops.status();
    ops_ = *std::move(ops);
    ops_->Attach(&served_.server());
  }
  void TearDown() override {
    if (ops_ != nullptr) ops_->Detach();
    ops_.reset();
    served_.Stop();
  }

  testing::ServedLedger served_;
  std::unique_ptr<OpsEndpoint> ops_;
};

TEST_F(OpsTest, MetricsFollowTheTrafficAndAreWellFormed) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ASSERT_TRUE(Enroll(served_, "ann").ok());
  ASSERT_TRUE(Commit(served_, "s1", "ann").ok());
  ASSERT_TRUE(Commit(served_, "s2", "ann").ok());
  EXPECT_EQ(Commit(served_, "s3", "nobody").error_code(),
            grpc::StatusCode::NOT_FOUND);
  const auto [status, page] = Get(*ops_, "/metrics");
  ASSERT_EQ(status, 200);
  std::vector<std::string> problems;
  const auto samples = testing::ReadPage(page, &problems);
  EXPECT_EQ(testing::ValueOf(samples, "loyalty_rpc_calls_total",
                             {{"rpc", "CommitPurchase"}, {"code", "OK"}}),
            2);
  EXPECT_EQ(
      testing::ValueOf(samples, "loyalty_rpc_calls_total",
                       {{"rpc", "CommitPurchase"}, {"code", "NOT_FOUND"}}),
      1);
  EXPECT_EQ(testing::ValueOf(samples, "loyalty_rpc_calls_total",
                             {{"rpc", "EnrollMember"}, {"code", "OK"}}),
            1);
  EXPECT_EQ(testing::ValueOf(samples, "loyalty_rpc_duration_seconds_count",
                             {{"rpc", "CommitPurchase"}}),
            3);
  EXPECT_EQ(testing::ValueOf(samples, "loyalty_members"), 1);
  EXPECT_EQ(testing::ValueOf(samples, "loyalty_ready"), 1);
  EXPECT_EQ(testing::ValueOf(samples, "loyalty_ledger_write_failed"), 0);
  EXPECT_EQ(testing::ValueOf(samples, "loyalty_ledger_queue_limit"), 16384);
  // Enrollment, two sales, and the rule set and admin records at start: one
  // operation per batch, as nothing ran at once.
  const double batches =
      testing::ValueOf(samples, "loyalty_ledger_batches_total");
  EXPECT_GE(batches, 3);
  EXPECT_EQ(
      testing::ValueOf(samples, "loyalty_ledger_sync_duration_seconds_count"),
      batches);
  EXPECT_EQ(testing::ValueOf(samples, "loyalty_ledger_batch_operations_count"),
            batches);
  EXPECT_EQ(
      testing::ValueOf(
          samples, "loyalty_rules_active_info",
          {{"program", served_.server()
                           .operations()
                           .rules()
                           ->rule_set()
                           .program()
                           .program_id()},
           {"version", served_.server().operations().rules()->version()}}),
      1);
  EXPECT_GT(testing::ValueOf(samples, "process_resident_memory_bytes"), 0);
  EXPECT_GE(testing::ValueOf(samples, "loyalty_rocksdb_write_stopped"), 0);
  EXPECT_GE(testing::ValueOf(samples, "loyalty_rocksdb_compactions_total"), 0);
  ExpectWellFormed(page, served_.dir());
}

TEST_F(OpsTest, AFatalWriteTurnsHealthNotServingAndProbesUnhealthy) {
  testing::FaultSwitch faults;
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(
      std::make_shared<testing::FaultyFileSystem>(&faults));
  ASSERT_NO_FATAL_FAILURE(StartServer(env.get()));
  ASSERT_TRUE(Enroll(served_, "ann").ok());
  EXPECT_EQ(GrpcHealth(served_), kServing);
  EXPECT_EQ(Get(*ops_, "/healthz").first, 200);
  EXPECT_EQ(Get(*ops_, "/readyz"), std::make_pair(200, std::string("ready\n")));

  faults.fault = testing::Fault::kSyncNoSpace;
  EXPECT_EQ(Commit(served_, "s1", "ann").error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // The sale's answer may leave before the ledger reports the failure: wait
  // for health to follow (no time is asserted; ctest's timeout bounds it).
  while (served_.server().health().View().live()) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(GrpcHealth(served_), kNotServing);
  const auto [live, live_body] = Get(*ops_, "/healthz");
  EXPECT_EQ(live, 503);
  EXPECT_TRUE(absl::StartsWith(live_body, "fatal: ")) << live_body;
  EXPECT_EQ(Get(*ops_, "/readyz").first, 503);
  const auto [status, page] = Get(*ops_, "/metrics");
  ASSERT_EQ(status, 200);
  std::vector<std::string> problems;
  const auto samples = testing::ReadPage(page, &problems);
  EXPECT_EQ(testing::ValueOf(samples, "loyalty_ledger_write_failed"), 1);
  EXPECT_EQ(testing::ValueOf(samples, "loyalty_ready"), 0);
  faults.fault = testing::Fault::kNone;
  // Stopping a failed server keeps it failed.
  ops_->Detach();
  served_.Stop();
}

TEST_F(OpsTest, ReadyzSaysStartingThenRefusedBeforeAnyServer) {
  auto ops = OpsEndpoint::Start("127.0.0.1:0");
  ASSERT_TRUE(ops.ok()) << ops.status();
  EXPECT_EQ(Get(**ops, "/healthz"), std::make_pair(200, std::string("live\n")));
  EXPECT_EQ(Get(**ops, "/readyz"),
            std::make_pair(503, std::string("starting\n")));
  const auto [metrics_status, page] = Get(**ops, "/metrics");
  EXPECT_EQ(metrics_status, 200);
  std::vector<std::string> problems;
  EXPECT_EQ(
      testing::ValueOf(testing::ReadPage(page, &problems), "loyalty_ready"), 0);
  EXPECT_TRUE(problems.empty()) << absl::StrJoin(problems, "\n");
  (*ops)->Refused("shop.yaml:3: earn rate must be positive");
  EXPECT_EQ(Get(**ops, "/readyz"),
            std::make_pair(503, std::string("refused: shop.yaml:3: earn rate "
                                            "must be positive\n")));
  EXPECT_EQ(Get(**ops, "/healthz").first, 200);
}

TEST_F(OpsTest, ReadyzTurns503WhileTheServerStops) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  EXPECT_EQ(Get(*ops_, "/readyz").first, 200);
  served_.server().Shutdown(absl::Seconds(5));
  EXPECT_EQ(Get(*ops_, "/readyz"),
            std::make_pair(503, std::string("stopping\n")));
  EXPECT_EQ(Get(*ops_, "/healthz").first, 200);
}

TEST_F(OpsTest, AnAddressInUseOrMalformedIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  EXPECT_FALSE(
      OpsEndpoint::Start(absl::StrCat("127.0.0.1:", ops_->port())).ok());
  EXPECT_EQ(OpsEndpoint::Start("no-port").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace loyalty
