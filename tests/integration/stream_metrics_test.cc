// The server streams in /metrics: ExportLedger, RunExpiry, SimulateRules and
// WatchEvents, each run over gRPC on a real in-process loyaltyd (real
// RocksDB, gRPC on loopback) to its end, refused for a bad argument, and
// cancelled by the client; /metrics, read over HTTP, then counts exactly
// those calls by RPC and code (loyalty_rpc_calls_total), and as many in the
// latency histogram.
//
// A cancel must reach the server before the stream could end by itself, or
// the server would rightly count the stream as it ended it. So a cancelled
// stream is held where the test chooses: a following event stream never
// ends by itself; an export's or a simulation's first read waits on the one
// reader thread, which a metrics read keeps waiting in the server's clock;
// a maintenance run waits in the clock itself. The test cancels, then makes
// one more call on the same connection and has its answer (HTTP/2 frames of
// one connection are read in order, so the server has read the cancel),
// and only then lets the server go on.
//
// Under ThreadSanitizer the page is built in the process by the very
// function /metrics answers with (MetricsPage), and no HTTP listener runs:
// Debian's cpp-httplib is not built with TSan (docs/CI.md).
#include <pthread.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "engine/base/clock.h"
#include "engine/base/time_util.h"
#include "engine/server/ops_pages.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "loyalty/v1/events.grpc.pb.h"
#include "tests/support/exposition_check.h"
#include "tests/support/served_ledger.h"
#include "tests/support/simulate_client.h"
#include "tests/support/test_rules.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LOYALTY_UNDER_TSAN 1
#endif
#endif

namespace loyalty {
namespace {

#ifdef LOYALTY_UNDER_TSAN
constexpr bool kOverHttp = false;
#else
constexpr bool kOverHttp = true;
#endif

using Counts = std::map<std::string, int>;  // calls by status code name

std::chrono::system_clock::time_point In(int seconds) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

std::string CurrentThreadName() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof(name));
  return name;
}

// The wall clock, except that, once armed, the first caller of Now() on a
// thread whose name starts with the armed prefix ("": any thread) waits
// there until released. Thread-safe.
class GateClock : public Clock {
 public:
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    if (armed_ && absl::StartsWith(CurrentThreadName(), prefix_)) {
      armed_ = false;
      holding_ = true;
      mu_.Await(absl::Condition(
          +[](bool* holding) { return !*holding; }, &holding_));
    }
    return absl::Now();
  }

  void Arm(const std::string& prefix) {
    absl::MutexLock lock(&mu_);
    prefix_ = prefix;
    armed_ = true;
  }
  // Waits until a caller is held.
  void AwaitHeld() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](bool* holding) { return *holding; }, &holding_));
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    holding_ = false;
  }

 private:
  mutable absl::Mutex mu_;
  mutable std::string prefix_ ABSL_GUARDED_BY(mu_);
  mutable bool armed_ ABSL_GUARDED_BY(mu_) = false;
  mutable bool holding_ ABSL_GUARDED_BY(mu_) = false;
};

// Reads a server stream to its end; its status.
template <typename Response, typename Reader>
grpc::Status ReadToEnd(Reader& reader) {
  Response message;
  while (reader->Read(&message)) {
  }
  return reader->Finish();
}

class StreamMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerOptions options = testing::ServedOptions();
    options.clock = &clock_;
    if (kOverHttp) options.http_listen_address = "127.0.0.1:0";
    // One reader thread: a read held in the clock holds every read after it.
    options.readers.threads = 1;
    ASSERT_NO_FATAL_FAILURE(served_.Start(options));
    ASSERT_TRUE(served_.Enroll("ann").ok());
    events_ = v1::Events::NewStub(served_.channel());
  }

  // Keeps the one reader thread waiting in the clock (a metrics read on a
  // thread of the test's) until Release.
  void HoldTheReader() {
    clock_.Arm("reader-");
    held_read_ = std::thread([this] {
      grpc::ClientContext context;
      context.set_deadline(In(300));
      v1::GetProgramMetricsRequest request;
      v1::GetProgramMetricsResponse response;
      EXPECT_TRUE(
          served_.audit().GetProgramMetrics(&context, request, &response).ok());
    });
    clock_.AwaitHeld();
  }

  // After a cancel: one more call on the same connection, answered, so the
  // server has read the cancel; then the held thread goes on.
  void ReleaseAfterTheCancel() {
    grpc::ClientContext context;
    context.set_deadline(In(60));
    v1::GetRulesRequest request;
    v1::GetRulesResponse response;
    EXPECT_TRUE(served_.program().GetRules(&context, request, &response).ok());
    clock_.Release();
    if (held_read_.joinable()) held_read_.join();
  }

  // The /metrics page.
  std::string MetricsPage() {
    if (!kOverHttp) {
      return server::MetricsPage(server::SourcesOf(served_.server())).body;
    }
    httplib::Client client("127.0.0.1", served_.server().http_port());
    client.set_read_timeout(60, 0);
    auto answer = client.Get("/metrics");
    EXPECT_TRUE(answer && answer->status == 200);
    return answer ? answer->body : "";
  }

  // The calls of `rpc` that /metrics counts, by code; and the count of its
  // latency histogram into *timed.
  Counts Counted(const std::string& rpc, double* timed) {
    std::vector<std::string> problems;
    const auto samples = testing::ReadPage(MetricsPage(), &problems);
    EXPECT_TRUE(problems.empty()) << problems.front();
    Counts counts;
    for (const testing::ReadSample& sample : samples) {
      if (sample.name != "loyalty_rpc_calls_total") continue;
      if (sample.labels.at("rpc") != rpc) continue;
      counts[sample.labels.at("code")] = static_cast<int>(sample.value);
    }
    *timed = testing::ValueOf(samples, "loyalty_rpc_duration_seconds_count",
                              {{"rpc", rpc}});
    return counts;
  }

  // /metrics counts exactly `expected` for `rpc`. A stream cancelled by the
  // client is counted once its reactor ends it, which may come just after
  // the client has its status: the page is read until the calls add up.
  void ExpectCounted(const std::string& rpc, const Counts& expected) {
    int calls = 0;
    for (const auto& [code, n] : expected) calls += n;
    Counts counts;
    double timed = 0;
    for (int attempt = 0; attempt < 3000; ++attempt) {
      counts = Counted(rpc, &timed);
      int counted = 0;
      for (const auto& [code, n] : counts) counted += n;
      // The counter and the histogram are two records: both, or wait.
      if (counted >= calls && timed >= calls) break;
      absl::SleepFor(absl::Milliseconds(10));
    }
    EXPECT_EQ(counts, expected) << rpc;
    EXPECT_EQ(timed, calls) << rpc;
  }

  GateClock clock_;
  testing::ServedLedger served_;
  std::unique_ptr<v1::Events::Stub> events_;
  std::thread held_read_;
};

TEST_F(StreamMetricsTest, ExportLedgerIsCountedByCode) {
  {
    grpc::ClientContext context;
    context.set_deadline(In(60));
    auto reader = served_.audit().ExportLedger(&context, {});
    EXPECT_TRUE((ReadToEnd<v1::ExportLedgerResponse>(reader).ok()));
  }
  {
    grpc::ClientContext context;
    context.set_deadline(In(60));
    v1::ExportLedgerRequest backwards;
    backwards.mutable_from_time()->set_seconds(2000000000);
    backwards.mutable_to_time()->set_seconds(1000000000);
    auto reader = served_.audit().ExportLedger(&context, backwards);
    EXPECT_EQ(ReadToEnd<v1::ExportLedgerResponse>(reader).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  ASSERT_NO_FATAL_FAILURE(HoldTheReader());
  {
    grpc::ClientContext context;
    context.set_deadline(In(60));
    auto reader = served_.audit().ExportLedger(&context, {});
    context.TryCancel();
    EXPECT_EQ(ReadToEnd<v1::ExportLedgerResponse>(reader).error_code(),
              grpc::StatusCode::CANCELLED);
  }
  ReleaseAfterTheCancel();
  ExpectCounted("ExportLedger",
                {{"OK", 1}, {"INVALID_ARGUMENT", 1}, {"CANCELLED", 1}});
}

TEST_F(StreamMetricsTest, WatchEventsIsCountedByCode) {
  {
    grpc::ClientContext context;
    context.set_deadline(In(60));
    auto reader = events_->WatchEvents(&context, {});
    EXPECT_TRUE((ReadToEnd<v1::WatchEventsResponse>(reader).ok()));
  }
  {
    grpc::ClientContext context;
    context.set_deadline(In(60));
    v1::WatchEventsRequest before_the_first;
    before_the_first.set_after_sequence(-1);
    auto reader = events_->WatchEvents(&context, before_the_first);
    EXPECT_EQ(ReadToEnd<v1::WatchEventsResponse>(reader).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    // A following stream ends only when the client cancels it.
    grpc::ClientContext context;
    context.set_deadline(In(60));
    v1::WatchEventsRequest follow;
    follow.set_follow(true);
    auto reader = events_->WatchEvents(&context, follow);
    v1::WatchEventsResponse message;
    ASSERT_TRUE(reader->Read(&message));
    context.TryCancel();
    EXPECT_EQ(ReadToEnd<v1::WatchEventsResponse>(reader).error_code(),
              grpc::StatusCode::CANCELLED);
  }
  ExpectCounted("WatchEvents",
                {{"OK", 1}, {"INVALID_ARGUMENT", 1}, {"CANCELLED", 1}});
}

TEST_F(StreamMetricsTest, RunExpiryIsCountedByCode) {
  const auto run = [&](const std::string& request_id,
                       grpc::ClientContext& context) {
    v1::RunExpiryRequest request;
    request.set_request_id(request_id);
    return served_.program().RunExpiry(&context, request);
  };
  {
    grpc::ClientContext context;
    context.set_deadline(In(60));
    auto reader = run("run-1", context);
    EXPECT_TRUE((ReadToEnd<v1::RunExpiryResponse>(reader).ok()));
  }
  {
    grpc::ClientContext context;
    context.set_deadline(In(60));
    auto reader = run(std::string(200, 'r'), context);
    EXPECT_EQ(ReadToEnd<v1::RunExpiryResponse>(reader).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    // The run asks the clock first (its id), and waits there.
    clock_.Arm("");
    grpc::ClientContext context;
    context.set_deadline(In(60));
    auto reader = run("run-2", context);
    clock_.AwaitHeld();
    context.TryCancel();
    EXPECT_EQ(ReadToEnd<v1::RunExpiryResponse>(reader).error_code(),
              grpc::StatusCode::CANCELLED);
  }
  ReleaseAfterTheCancel();
  ExpectCounted("RunExpiry",
                {{"OK", 1}, {"INVALID_ARGUMENT", 1}, {"CANCELLED", 1}});
}

TEST_F(StreamMetricsTest, SimulateRulesIsCountedByCode) {
  const absl::Time from = absl::Now() - absl::Hours(24);
  const absl::Time to = absl::Now() + absl::Hours(24);
  const std::string yaml = testing::RulesYaml();
  EXPECT_TRUE(testing::Simulate(served_.program(),
                                testing::SimulationOf(yaml, from, to))
                  .status.ok());
  // The period is checked by the replay: refused before its first message.
  EXPECT_EQ(testing::Simulate(served_.program(),
                              testing::SimulationOf(yaml, to, from))
                .status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_NO_FATAL_FAILURE(HoldTheReader());
  {
    grpc::ClientContext context;
    context.set_deadline(In(60));
    auto reader = served_.program().SimulateRules(
        &context, testing::SimulationOf(yaml, from, to));
    context.TryCancel();
    EXPECT_EQ(ReadToEnd<v1::SimulateRulesResponse>(reader).error_code(),
              grpc::StatusCode::CANCELLED);
  }
  ReleaseAfterTheCancel();
  ExpectCounted("SimulateRules",
                {{"OK", 1}, {"INVALID_ARGUMENT", 1}, {"CANCELLED", 1}});
}

}  // namespace
}  // namespace loyalty
