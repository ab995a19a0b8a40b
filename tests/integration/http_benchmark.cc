// Commits over HTTP/JSON against commits over gRPC, at the same concurrency,
// on one in-process loyaltyd (a real ledger on disk, every sale synced):
//   build/release/tests/integration/http_benchmark [CLIENTS] [SALES_PER_CLIENT]
// (default 16 clients, 200 sales each). Each client is a thread with its own
// member and its own connection (a gRPC channel shared by all, as a POS
// backend would; one keep-alive HTTP connection per client), sending one
// sale after another. Prints one row per door: sales per second and the
// latency percentiles. Not a test: numbers only, run by hand.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/server/server.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "httplib.h"
#include "loyalty/v1/checkout.grpc.pb.h"
#include "loyalty/v1/members.grpc.pb.h"
#include "tests/support/benchmark.h"
#include "tests/support/temp_dir.h"

namespace loyalty {
namespace {

v1::CommitPurchaseRequest Sale(int client, int sale) {
  v1::CommitPurchaseRequest request;
  request.set_request_id(absl::StrCat("bench-", client, "-", sale));
  v1::Purchase& purchase = *request.mutable_purchase();
  purchase.set_member_id(absl::StrCat("member-", client));
  purchase.set_order_id(request.request_id());
  purchase.set_currency("EUR");
  v1::PurchaseLine& line = *purchase.add_lines();
  line.set_sku("coffee");
  line.set_quantity(2);
  line.set_unit_price_minor(350);
  return request;
}

struct Row {
  std::string door;
  testing::SalesRound round;
};

Row Run(const std::string& door, int clients, int sales_per_client,
        const testing::SendSale& send) {
  return Row{door, testing::RunSales(clients, sales_per_client, send)};
}

void Print(const Row& row, int clients) {
  const testing::SalesRound& round = row.round;
  std::printf("%-10s %8d %8d %7d %10.0f %8.2f %8.2f %8.2f\n", row.door.c_str(),
              clients, round.sales, round.failed, round.sales / round.seconds,
              testing::Percentile(round.latency_ms, 0.50),
              testing::Percentile(round.latency_ms, 0.99),
              round.latency_ms.empty() ? 0 : round.latency_ms.back());
}

// loyaltyd in `dir`, gRPC and HTTP on free loopback ports, with a thread
// of the HTTP door for each client.
absl::StatusOr<std::unique_ptr<server::LoyaltyServer>> StartServer(
    const testing::TempDir& dir, int clients) {
  std::FILE* file = std::fopen(dir.Sub("rules.yaml").c_str(), "w");
  if (file == nullptr) return absl::UnavailableError("cannot write the rules");
  std::fputs(testing::kBenchmarkRulesYaml, file);
  std::fclose(file);
  auto rules = server::LoadRuleFile(dir.Sub("rules.yaml"));
  if (!rules.ok()) return rules.status();
  server::ServerOptions options;
  options.data_dir = dir.Sub("data");
  options.listen_address = "127.0.0.1:0";
  options.http_listen_address = "127.0.0.1:0";
  // No client waits for a thread (64 by default).
  options.http.threads = std::max(options.http.threads, clients);
  options.rules = *rules;
  return server::LoyaltyServer::Start(options);
}

// member-0 ... one per client.
bool Enroll(const std::shared_ptr<grpc::Channel>& channel, int clients) {
  auto members = v1::Members::NewStub(channel);
  for (int c = 0; c < clients; ++c) {
    v1::EnrollMemberRequest enroll;
    enroll.set_request_id(absl::StrCat("enroll-", c));
    enroll.mutable_profile()->set_member_id(absl::StrCat("member-", c));
    v1::EnrollMemberResponse enrolled;
    grpc::ClientContext context;
    if (!members->EnrollMember(&context, enroll, &enrolled).ok()) return false;
  }
  return true;
}

int Main(int argc, char** argv) {
  const int clients = argc > 1 ? std::atoi(argv[1]) : 16;
  const int sales = argc > 2 ? std::atoi(argv[2]) : 200;
  if (clients < 1 || clients > 256 || sales < 1 || sales > 100000) {
    std::fprintf(stderr,
                 "usage: http_benchmark [CLIENTS 1..256] [SALES 1..100000]\n");
    return 2;
  }
  testing::TempDir dir;
  auto started = StartServer(dir, clients);
  if (!started.ok()) {
    std::fprintf(stderr, "%s\n", started.status().ToString().c_str());
    return 1;
  }
  server::LoyaltyServer& loyaltyd = **started;
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", loyaltyd.port()),
                          grpc::InsecureChannelCredentials());
  if (!Enroll(channel, clients)) return 1;
  auto checkout = v1::Checkout::NewStub(channel);
  const Row grpc_row = Run("gRPC", clients, sales, [&](int c, int s) {
    v1::CommitPurchaseRequest request = Sale(c, s);
    request.set_request_id(absl::StrCat("grpc-", request.request_id()));
    request.mutable_purchase()->set_order_id(request.request_id());
    v1::CommitPurchaseResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    return checkout->CommitPurchase(&context, request, &response).ok();
  });
  std::vector<std::unique_ptr<httplib::Client>> http(clients);
  for (auto& client : http) {
    client =
        std::make_unique<httplib::Client>("127.0.0.1", loyaltyd.http_port());
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);  // headers and body: no Nagle wait between
    client->set_read_timeout(30, 0);
  }
  const Row http_row = Run("HTTP/JSON", clients, sales, [&](int c, int s) {
    v1::CommitPurchaseRequest request = Sale(c, s);
    request.set_request_id(absl::StrCat("http-", request.request_id()));
    request.mutable_purchase()->set_order_id(request.request_id());
    std::string body;
    if (!google::protobuf::util::MessageToJsonString(request, &body).ok())
      return false;
    httplib::Result result =
        http[c]->Post("/v1/checkout:commit", body, "application/json");
    if (result && result->status == 200) return true;
    if (s == 0 && c == 0) {
      std::fprintf(stderr, "HTTP: %s\n",
                   result ? result->body.c_str()
                          : httplib::to_string(result.error()).c_str());
    }
    return false;
  });
  std::printf("commits, %d clients x %d sales each, every sale synced\n",
              clients, sales);
  std::printf("%-10s %8s %8s %7s %10s %8s %8s %8s\n", "door", "clients",
              "sales", "failed", "sales/s", "p50 ms", "p99 ms", "max ms");
  Print(grpc_row, clients);
  Print(http_row, clients);
  loyaltyd.Shutdown(absl::Seconds(5));
  return grpc_row.round.failed + http_row.round.failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace loyalty

int main(int argc, char** argv) { return loyalty::Main(argc, argv); }
