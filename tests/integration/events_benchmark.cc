// Commit throughput with and without event consumers, on one in-process
// loyaltyd (a real ledger on disk, every sale synced):
//   build/release/tests/integration/events_benchmark [CLIENTS]
//   [SALES_PER_CLIENT]
// (default 16 clients, 300 sales each). Five rounds on the same ledger,
// the same clients each time: no consumer; a consumer that reads its first
// message and then nothing (its connection takes 16 KiB, as a slow consumer's
// over a real network would); no consumer; a consumer that follows the stream
// and keeps up; no consumer again. Prints one row per round: sales per second,
// latency percentiles, and the most page bytes the event streams held at once.
// Not a test: numbers only, run by hand; no assertion on time.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/evaluator/rule_file.h"
#include "engine/server/server.h"
#include "grpcpp/create_channel.h"
#include "loyalty/v1/checkout.grpc.pb.h"
#include "loyalty/v1/events.grpc.pb.h"
#include "loyalty/v1/members.grpc.pb.h"
#include "tests/support/benchmark.h"
#include "tests/support/temp_dir.h"

namespace loyalty {
namespace {

struct Row {
  std::string consumer;
  testing::SalesRound round;
};

bool Sell(v1::Checkout::Stub& checkout, const std::string& round, int client,
          int sale) {
  v1::CommitPurchaseRequest request;
  request.set_request_id(
      absl::StrCat(round, "-", client, "-", sale));  // new each round
  v1::Purchase& purchase = *request.mutable_purchase();
  purchase.set_member_id(absl::StrCat("member-", client));
  purchase.set_order_id(request.request_id());
  purchase.set_currency("EUR");
  v1::PurchaseLine& line = *purchase.add_lines();
  line.set_sku("coffee");
  line.set_quantity(2);
  line.set_unit_price_minor(350);
  v1::CommitPurchaseResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(60));
  return checkout.CommitPurchase(&context, request, &response).ok();
}

Row Round(const std::string& consumer,
          const std::shared_ptr<grpc::Channel>& channel, int clients,
          int sales_per_client) {
  static int rounds = 0;
  const std::string round = absl::StrCat(consumer, "-", ++rounds);
  auto checkout = v1::Checkout::NewStub(channel);
  return Row{consumer,
             testing::RunSales(clients, sales_per_client, [&](int c, int s) {
               return Sell(*checkout, round, c, s);
             })};
}

void Print(const Row& row, int64_t held_bytes) {
  const testing::SalesRound& round = row.round;
  std::printf("%-10s %8d %7d %10.0f %8.2f %8.2f %12lld\n", row.consumer.c_str(),
              round.sales, round.failed, round.sales / round.seconds,
              testing::Percentile(round.latency_ms, 0.50),
              testing::Percentile(round.latency_ms, 0.99),
              static_cast<long long>(held_bytes));
}

// A consumer on its own channel: follows the stream from the head, reading
// every message (`stall` false) or only the first.
class Consumer {
 public:
  Consumer(const std::string& address, int64_t after, bool stall) {
    grpc::ChannelArguments arguments;
    arguments.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    arguments.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 * 1024);
    stub_ = v1::Events::NewStub(grpc::CreateCustomChannel(
        address, grpc::InsecureChannelCredentials(), arguments));
    v1::WatchEventsRequest request;
    request.set_after_sequence(after);
    request.set_follow(true);
    reader_ = stub_->WatchEvents(&context_, request);
    thread_ = std::thread([this, stall] {
      v1::WatchEventsResponse message;
      while (reader_->Read(&message)) {
        events_ += message.events_size();
        if (stall) return;
      }
    });
  }
  ~Consumer() {
    context_.TryCancel();
    thread_.join();
    reader_->Finish();
  }
  int64_t events() const { return events_; }

 private:
  std::unique_ptr<v1::Events::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::WatchEventsResponse>> reader_;
  std::atomic<int64_t> events_{0};
  std::thread thread_;
};

int Main(int argc, char** argv) {
  const int clients = argc > 1 ? std::atoi(argv[1]) : 16;
  const int sales = argc > 2 ? std::atoi(argv[2]) : 300;
  if (clients < 1 || clients > 256 || sales < 1 || sales > 100000) {
    std::fprintf(
        stderr, "usage: events_benchmark [CLIENTS 1..256] [SALES 1..100000]\n");
    return 2;
  }
  testing::TempDir dir;
  server::ServerOptions options;
  options.data_dir = dir.Sub("data");
  options.listen_address = "127.0.0.1:0";
  auto rule_set =
      evaluator::ParseRuleFile("bench.yaml", testing::kBenchmarkRulesYaml);
  if (!rule_set.ok()) return 1;
  auto rules = evaluator::CompiledRules::Compile(*std::move(rule_set));
  if (!rules.ok()) return 1;
  options.rules = *std::move(rules);
  auto started = server::LoyaltyServer::Start(options);
  if (!started.ok()) {
    std::fprintf(stderr, "%s\n", started.status().ToString().c_str());
    return 1;
  }
  server::LoyaltyServer& loyaltyd = **started;
  const std::string address = absl::StrCat("127.0.0.1:", loyaltyd.port());
  auto channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto members = v1::Members::NewStub(channel);
  for (int c = 0; c < clients; ++c) {
    v1::EnrollMemberRequest enroll;
    enroll.set_request_id(absl::StrCat("enroll-", c));
    enroll.mutable_profile()->set_member_id(absl::StrCat("member-", c));
    v1::EnrollMemberResponse enrolled;
    grpc::ClientContext context;
    if (!members->EnrollMember(&context, enroll, &enrolled).ok()) return 1;
  }
  std::printf("commits, %d clients x %d sales each, every sale synced\n",
              clients, sales);
  std::printf("%-10s %8s %7s %10s %8s %8s %12s\n", "consumer", "sales",
              "failed", "sales/s", "p50 ms", "p99 ms", "held bytes");
  // Each consumer's round between two without one, so that the ledger's
  // growth (flushes, compactions) shows as drift between the "none" rows.
  const auto round = [&](const std::string& consumer) {
    const Row row = Round(consumer, channel, clients, sales);
    Print(row, loyaltyd.events_hub().max_held_bytes());
  };
  round("none");
  {
    Consumer stalled(address, loyaltyd.ledger().Head().sequence(), true);
    round("stalled");
  }
  round("none");
  {
    Consumer following(address, loyaltyd.ledger().Head().sequence(), false);
    round("following");
  }
  round("none");
  loyaltyd.Shutdown(absl::Seconds(5));
  return 0;
}

}  // namespace
}  // namespace loyalty

int main(int argc, char** argv) { return loyalty::Main(argc, argv); }
