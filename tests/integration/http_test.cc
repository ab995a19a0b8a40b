// The HTTP/JSON door through a real HTTP client (cpp-httplib's Client)
// against an in-process loyaltyd on loopback, a real ledger on disk: every
// route, the status of every refusal, idempotency shared with gRPC, API keys
// and partner scope, limits, malformed requests, the streams as JSON lines,
// HTTPS, and the OpenAPI description.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "engine/server/auth.h"
#include "engine/server/http_json.h"
#include "engine/server/http_routes.h"
#include "engine/server/server.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/support/exposition_check.h"
#include "tests/support/served_ledger.h"
#include "tests/support/tls_files.h"

namespace loyalty {
namespace {

using google::protobuf::Struct;

// A JSON object's string field ("" when missing).
std::string Field(const Struct& object, const std::string& name) {
  auto found = object.fields().find(name);
  return found == object.fields().end() ? "" : found->second.string_value();
}

Struct ParseObject(const std::string& json) {
  Struct object;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &object).ok())
      << json;
  return object;
}

template <typename Message>
Message ParseMessage(const std::string& json) {
  Message message;
  const auto parsed =
      google::protobuf::util::JsonStringToMessage(json, &message);
  EXPECT_TRUE(parsed.ok()) << parsed.ToString() << " in " << json;
  return message;
}

// Every route of the table with its RPC's request type.
struct TableRoute {
  server::HttpRoute http;
  const google::protobuf::Descriptor* request;
};
struct RouteList {
  std::vector<TableRoute> routes;
  template <typename Request>
  void Unary(server::HttpRoute route) {
    routes.push_back({route, Request::descriptor()});
  }
  template <typename Request>
  void Stream(server::HttpRoute route) {
    routes.push_back({route, Request::descriptor()});
  }
};
std::vector<TableRoute> AllRoutes() {
  RouteList list;
  server::ForEachHttpRoute(list);
  return list.routes;
}

// The RPC that takes `request`.
const google::protobuf::MethodDescriptor* MethodOf(
    const google::protobuf::Descriptor& request) {
  const auto* file = request.file();
  for (int s = 0; s < file->service_count(); ++s) {
    for (int m = 0; m < file->service(s)->method_count(); ++m) {
      const auto* method = file->service(s)->method(m);
      if (method->input_type() == &request) return method;
    }
  }
  return nullptr;
}

// A raw TCP connection to 127.0.0.1:`port`, for what no HTTP client sends.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address),
                         sizeof(address)) == 0;
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  ~RawConnection() { close(fd_); }

  bool connected() const { return connected_; }
  bool Send(const std::string& bytes) {
    return write(fd_, bytes.data(), bytes.size()) ==
           static_cast<ssize_t>(bytes.size());
  }
  // One answer: its headers, then Content-Length bytes of body.
  std::string ReadAnswer() {
    std::string text;
    char buffer[4096];
    for (ssize_t n; (n = read(fd_, buffer, sizeof(buffer))) > 0;) {
      text.append(buffer, n);
      const size_t end = text.find("\r\n\r\n");
      const size_t length = text.find("Content-Length: ");
      if (end == std::string::npos || length == std::string::npos) continue;
      const size_t body = std::strtoul(text.c_str() + length + 16, nullptr, 10);
      if (text.size() >= end + 4 + body) break;
    }
    return text;
  }
  // Everything until the server closes the connection.
  std::string ReadAll() {
    std::string text;
    char buffer[4096];
    for (ssize_t n; (n = read(fd_, buffer, sizeof(buffer))) > 0;)
      text.append(buffer, n);
    return text;
  }

 private:
  int fd_;
  bool connected_ = false;
};

// What an HTTP call answered.
struct Answer {
  int status = 0;
  std::string body;
  httplib::Headers headers;
  Struct error() const { return ParseObject(body); }
  std::string reason() const { return Field(error(), "reason"); }
  std::string code() const { return Field(error(), "code"); }
};

class HttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerOptions options = testing::ServedOptions();
    options.require_api_keys = true;
    options.http_listen_address = "127.0.0.1:0";
    ASSERT_NO_FATAL_FAILURE(served_.Start(options));
    admin_ = served_.server().created_admin_key();
    ASSERT_NE(served_.server().http_port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1",
                                                served_.server().http_port());
    client_->set_read_timeout(30, 0);
  }

  // `method` `path` with `body` (a JSON object, or "" for none), the key as
  // a bearer token, and `headers`.
  Answer Call(const std::string& method, const std::string& path,
              const std::string& body, const std::string& key,
              httplib::Headers headers = {}) {
    if (!key.empty()) headers.emplace("Authorization", "Bearer " + key);
    httplib::Request request;
    request.method = method;
    request.path = path;
    request.headers = std::move(headers);
    if (!body.empty()) {
      request.body = body;
      request.set_header("Content-Type", "application/json");
    }
    httplib::Result result = client_->send(request);
    Answer answer;
    EXPECT_TRUE(result) << method << " " << path << ": "
                        << httplib::to_string(result.error());
    if (!result) return answer;
    answer.status = result->status;
    answer.body = result->body;
    answer.headers = result->headers;
    return answer;
  }
  Answer Post(const std::string& path, const std::string& body,
              httplib::Headers headers = {}) {
    return Call("POST", path, body, admin_, std::move(headers));
  }
  Answer Get(const std::string& path) { return Call("GET", path, "", admin_); }

  std::unique_ptr<grpc::ClientContext> GrpcContext(const std::string& key) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(10));
    context->AddMetadata(server::kApiKeyHeader, key);
    return context;
  }

  // `bytes` as the request of the gRPC method at `path`; a stream's first
  // message is read as a unary answer.
  grpc::StatusCode GenericCall(const std::string& path,
                               const std::string& bytes,
                               const std::string& key) {
    grpc::GenericStub stub(served_.channel());
    auto context = GrpcContext(key);
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1), response;
    absl::Notification done;
    grpc::Status answer;
    stub.UnaryCall(context.get(), path, grpc::StubOptions(), &request,
                   &response, [&](grpc::Status status) {
                     answer = status;
                     done.Notify();
                   });
    done.WaitForNotification();
    return answer.error_code();
  }

  // `route` with an empty request (its path field "nobody") answers with
  // the HTTP status of the code the same request gets over gRPC.
  void ExpectTheDecisionOfGrpc(const TableRoute& route,
                               const std::string& key) {
    const google::protobuf::MethodDescriptor* method = MethodOf(*route.request);
    ASSERT_NE(method, nullptr);
    std::unique_ptr<google::protobuf::Message> request(
        google::protobuf::MessageFactory::generated_factory()
            ->GetPrototype(route.request)
            ->New());
    std::string path = route.http.path;
    for (const char* name : {"member_id", "partner_id", "key_id"}) {
      const std::string braces = absl::StrCat("{", name, "}");
      if (path.find(braces) == std::string::npos) continue;
      path = absl::StrReplaceAll(path, {{braces, "nobody"}});
      request->GetReflection()->SetString(
          request.get(), request->GetDescriptor()->FindFieldByName(name),
          "nobody");
    }
    const bool get = std::string(route.http.method) == "GET";
    const Answer over_http =
        Call(route.http.method, path, get ? "" : "{}", key);
    const grpc::StatusCode over_grpc = GenericCall(
        absl::StrCat("/", method->service()->full_name(), "/", method->name()),
        request->SerializeAsString(), key);
    EXPECT_EQ(over_http.status,
              server::HttpStatusOf(static_cast<absl::StatusCode>(over_grpc)))
        << over_http.body;
    EXPECT_NE(over_http.reason(), "UNKNOWN_ROUTE");
  }

  std::string CreateKey(const std::string& role,
                        const std::string& partner = "") {
    const Answer created = Post(
        "/v1/apiKeys",
        absl::StrCat(R"({"requestId":"key-)", ++keys_made_, R"(","role":")",
                     role, R"(","partnerId":")", partner, R"("})"));
    EXPECT_EQ(created.status, 200) << created.body;
    return ParseMessage<v1::CreateApiKeyResponse>(created.body).api_key();
  }

  void Enroll(const std::string& member) {
    const Answer enrolled =
        Post("/v1/members",
             absl::StrCat(R"({"requestId":"enroll-)", member,
                          R"(","profile":{"memberId":")", member, R"("}})"));
    ASSERT_EQ(enrolled.status, 200) << enrolled.body;
  }

  // A sale of 21.50 EUR (21 points at 1 per 1.00 EUR).
  static std::string SaleJson(const std::string& member,
                              const std::string& order,
                              const std::string& request_id,
                              const std::string& partner = "") {
    return absl::StrCat(
        "{",
        request_id.empty()
            ? ""
            : absl::StrCat(R"("request_id":")", request_id, R"(",)"),
        R"("purchase":{"member_id":")", member, R"(","order_id":")", order,
        R"(","partner_id":")", partner, R"(","currency":"EUR","lines":[)",
        R"({"sku":"coffee","quantity":"2","unit_price_minor":"350"},)",
        R"({"sku":"cake","quantity":1,"unitPriceMinor":1450}]}})");
  }

  testing::ServedLedger served_;
  std::string admin_;
  std::unique_ptr<httplib::Client> client_;
  int keys_made_ = 0;
};

TEST_F(HttpTest, ASaleOverHttpEarnsAndShowsInTheBalanceAndHistory) {
  ASSERT_NO_FATAL_FAILURE(Enroll("ann"));
  const Answer sale =
      Post("/v1/checkout:commit", SaleJson("ann", "A-1", "sale-1"));
  ASSERT_EQ(sale.status, 200) << sale.body;
  EXPECT_EQ(sale.headers.find("Content-Type")->second, "application/json");
  const auto committed = ParseMessage<v1::CommitPurchaseResponse>(sale.body);
  EXPECT_FALSE(committed.transaction_id().empty());
  EXPECT_EQ(committed.balance().points_available(), 21);
  // Every field prints, zeros too, in lowerCamelCase.
  EXPECT_NE(sale.body.find(R"("pointsPending":"0")"), std::string::npos)
      << sale.body;
  // One object and a newline, so that curl's output ends its line.
  EXPECT_TRUE(absl::EndsWith(sale.body, "}\n")) << sale.body;

  const Answer balance = Get("/v1/members/ann/balance");
  ASSERT_EQ(balance.status, 200) << balance.body;
  EXPECT_EQ(ParseMessage<v1::GetBalanceResponse>(balance.body)
                .balance()
                .points_available(),
            21);
  const Answer history = Get("/v1/members/ann/entries?page_size=1");
  ASSERT_EQ(history.status, 200) << history.body;
  const auto page = ParseMessage<v1::ListEntriesResponse>(history.body);
  EXPECT_EQ(page.entries_size(), 1);
  EXPECT_FALSE(page.next_page_token().empty());  // the enrollment is older
  const Answer member = Get("/v1/members/ann");
  ASSERT_EQ(member.status, 200) << member.body;
  EXPECT_EQ(
      ParseMessage<v1::GetMemberResponse>(member.body).member().member_id(),
      "ann");
}

TEST_F(HttpTest, TheSameRequestIdOverHttpAndGrpcRecordsOneSale) {
  ASSERT_NO_FATAL_FAILURE(Enroll("ann"));
  const Answer over_http =
      Post("/v1/checkout:commit", SaleJson("ann", "A-1", "sale-both"));
  ASSERT_EQ(over_http.status, 200) << over_http.body;

  v1::CommitPurchaseRequest request;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  SaleJson("ann", "A-1", "sale-both"), &request)
                  .ok());
  v1::CommitPurchaseResponse over_grpc;
  const grpc::Status status = served_.checkout().CommitPurchase(
      GrpcContext(admin_).get(), request, &over_grpc);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(over_grpc.transaction_id(),
            ParseMessage<v1::CommitPurchaseResponse>(over_http.body)
                .transaction_id());

  // And the other way round, with the Idempotency-Key header.
  request.set_request_id("sale-grpc-first");
  request.mutable_purchase()->set_order_id("A-2");
  ASSERT_TRUE(
      served_.checkout()
          .CommitPurchase(GrpcContext(admin_).get(), request, &over_grpc)
          .ok());
  const Answer replayed =
      Post("/v1/checkout:commit", SaleJson("ann", "A-2", ""),
           {{"Idempotency-Key", "sale-grpc-first"}});
  ASSERT_EQ(replayed.status, 200) << replayed.body;
  EXPECT_EQ(
      ParseMessage<v1::CommitPurchaseResponse>(replayed.body).transaction_id(),
      over_grpc.transaction_id());

  // Two sales, 42 points: each recorded once.
  EXPECT_EQ(
      ParseMessage<v1::GetBalanceResponse>(Get("/v1/members/ann/balance").body)
          .balance()
          .points_available(),
      42);
  const auto history = ParseMessage<v1::ListEntriesResponse>(
      Get("/v1/members/ann/entries").body);
  EXPECT_EQ(history.entries_size(), 3);  // the enrollment and two sales
}

TEST_F(HttpTest, AnIdempotencyKeyThatDiffersFromTheBodyIsRefused) {
  ASSERT_NO_FATAL_FAILURE(Enroll("ann"));
  const Answer refused =
      Post("/v1/checkout:commit", SaleJson("ann", "A-1", "one"),
           {{"Idempotency-Key", "another"}});
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.reason(), "IDEMPOTENCY_KEY_MISMATCH");
  EXPECT_EQ(Field(refused.error(), "field"), "request_id");
  // The same key twice: one sale.
  for (int i = 0; i < 2; ++i) {
    const Answer sale = Post("/v1/checkout:commit", SaleJson("ann", "A-1", ""),
                             {{"Idempotency-Key", "sale-key"}});
    ASSERT_EQ(sale.status, 200) << sale.body;
  }
  EXPECT_EQ(
      ParseMessage<v1::GetBalanceResponse>(Get("/v1/members/ann/balance").body)
          .balance()
          .points_available(),
      21);
}

TEST_F(HttpTest, RefusalsMapToTheirHttpStatusWithCodeReasonAndField) {
  ASSERT_NO_FATAL_FAILURE(Enroll("ann"));
  struct Case {
    std::string method, path, body;
    int status;
    std::string code, reason, field;
  };
  const std::string long_order(200, 'x');
  const std::vector<Case> cases = {
      {"GET", "/v1/members/nobody/balance", "", 404, "NOT_FOUND",
       "UNKNOWN_MEMBER", "member_id"},
      {"POST", "/v1/checkout:commit", SaleJson("ann", long_order, "long"), 400,
       "INVALID_ARGUMENT", "TEXT_TOO_LONG", "purchase.order_id"},
      {"POST", "/v1/checkout:commit",
       absl::StrReplaceAll(
           SaleJson("ann", "A-9", "burn"),
           {{R"("currency")", R"("redeem_points":"500","currency")"}}),
       422, "FAILED_PRECONDITION", "INSUFFICIENT_POINTS",
       "purchase.redeem_points"},
      {"POST", "/v1/checkout:commit", R"({"request_id": 12)", 400,
       "INVALID_ARGUMENT", "MALFORMED_REQUEST", ""},
      {"POST", "/v1/checkout:commit", R"({"requestId":"x","colour":"red"})",
       400, "INVALID_ARGUMENT", "MALFORMED_REQUEST", ""},
      {"GET", "/v1/members/ann/entries?page_sise=3", "", 400,
       "INVALID_ARGUMENT", "MALFORMED_REQUEST", ""},
      {"GET", "/v1/rules?include_rule_sets=yes", "", 400, "INVALID_ARGUMENT",
       "MALFORMED_REQUEST", ""},
      {"GET", "/v1/nothing/here", "", 404, "NOT_FOUND", "UNKNOWN_ROUTE", ""},
      {"DELETE", "/v1/members/ann", "", 405, "UNIMPLEMENTED",
       "METHOD_NOT_ALLOWED", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.method + " " + c.path);
    const Answer answer = Call(c.method, c.path, c.body, admin_);
    EXPECT_EQ(answer.status, c.status) << answer.body;
    EXPECT_EQ(answer.code(), c.code);
    EXPECT_EQ(answer.reason(), c.reason);
    EXPECT_EQ(Field(answer.error(), "field"), c.field);
    EXPECT_FALSE(Field(answer.error(), "message").empty());
    EXPECT_TRUE(absl::EndsWith(answer.body, "}\n")) << answer.body;
  }
  EXPECT_EQ(Call("DELETE", "/v1/members/ann", "", admin_)
                .headers.find("Allow")
                ->second,
            "GET");
  // A reused request id with another payload: 409.
  ASSERT_EQ(Post("/v1/checkout:commit", SaleJson("ann", "A-1", "twice")).status,
            200);
  const Answer reused =
      Post("/v1/checkout:commit", SaleJson("ann", "A-2", "twice"));
  EXPECT_EQ(reused.status, 409);
  EXPECT_EQ(reused.reason(), "REQUEST_ID_REUSED");
}

TEST(HttpStatusTest, EveryCodeHasItsHttpStatus) {
  const std::vector<std::pair<absl::StatusCode, int>> table = {
      {absl::StatusCode::kInvalidArgument, 400},
      {absl::StatusCode::kOutOfRange, 400},
      {absl::StatusCode::kUnauthenticated, 401},
      {absl::StatusCode::kPermissionDenied, 403},
      {absl::StatusCode::kNotFound, 404},
      {absl::StatusCode::kAlreadyExists, 409},
      {absl::StatusCode::kAborted, 409},
      {absl::StatusCode::kFailedPrecondition, 422},
      {absl::StatusCode::kResourceExhausted, 429},
      {absl::StatusCode::kCancelled, 499},
      {absl::StatusCode::kUnimplemented, 501},
      {absl::StatusCode::kUnavailable, 503},
      {absl::StatusCode::kDeadlineExceeded, 504},
      {absl::StatusCode::kInternal, 500},
      {absl::StatusCode::kDataLoss, 500},
      {absl::StatusCode::kUnknown, 500},
  };
  for (const auto& [code, status] : table) {
    EXPECT_EQ(server::HttpStatusOf(code), status)
        << absl::StatusCodeToString(code);
  }
}

TEST_F(HttpTest, KeysRolesAndPartnerScopeAreThoseOfGrpc) {
  ASSERT_NO_FATAL_FAILURE(Enroll("ann"));
  // No key, a malformed key, a revoked key: 401 with a Bearer challenge.
  const Answer none = Call("GET", "/v1/members/ann/balance", "", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.code(), "UNAUTHENTICATED");
  EXPECT_EQ(none.headers.find("WWW-Authenticate")->second, "Bearer");
  EXPECT_EQ(Call("GET", "/v1/members/ann/balance", "", "lk_nothing").status,
            401);

  const std::string pos = CreateKey("ROLE_POS");
  // x-api-key works as well as a bearer token.
  EXPECT_EQ(Call("GET", "/v1/members/ann/balance", "", "", {{"x-api-key", pos}})
                .status,
            200);
  const Answer denied = Call("GET", "/v1/rules", "", pos);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.code(), "PERMISSION_DENIED");

  // A key bound to a partner sells only for it.
  ASSERT_EQ(
      Call("PUT", "/v1/partners/fuelco",
           R"({"requestId":"p1","name":"Fuel Co","fundedShareBp":"10000"})",
           admin_)
          .status,
      200);
  const std::string fuelco = CreateKey("ROLE_POS", "fuelco");
  const Answer other = Call("POST", "/v1/checkout:commit",
                            SaleJson("ann", "F-1", "f1", "grocer"), fuelco);
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(other.reason(), "PARTNER_SCOPE");
  EXPECT_EQ(Field(other.error(), "field"), "purchase.partner_id");
  EXPECT_EQ(Call("POST", "/v1/checkout:commit",
                 SaleJson("ann", "F-1", "f1", "fuelco"), fuelco)
                .status,
            200);
  // Its partner list holds its own partner only.
  const Answer partners = Call("GET", "/v1/partners", "", fuelco);
  EXPECT_EQ(partners.status, 403);  // pos may not list partners at all

  // A revoked key is refused from then on.
  const auto keys =
      ParseMessage<v1::ListApiKeysResponse>(Get("/v1/apiKeys").body);
  std::string pos_id;
  for (const auto& key : keys.keys()) {
    if (absl::StartsWith(pos, absl::StrCat("lk_", key.key_id(), "_")))
      pos_id = key.key_id();
  }
  ASSERT_FALSE(pos_id.empty());
  ASSERT_EQ(Post(absl::StrCat("/v1/apiKeys/", pos_id, ":revoke"),
                 R"({"requestId":"rv"})")
                .status,
            200);
  EXPECT_EQ(Call("GET", "/v1/members/ann/balance", "", pos).status, 401);
}

TEST_F(HttpTest, OversizedBodiesAndHeadersAreRefusedBeforeAnyRoute) {
  const std::string big(5 << 20, ' ');
  const Answer body = Post("/v1/checkout:commit", big);
  EXPECT_EQ(body.status, 413);
  EXPECT_EQ(body.reason(), "BODY_TOO_LARGE");
  httplib::Headers many;
  for (int i = 0; i < 80; ++i) many.emplace(absl::StrCat("x-filler-", i), "1");
  const Answer headers = Call("GET", "/v1/members/ann", "", admin_, many);
  EXPECT_EQ(headers.status, 431);
  EXPECT_EQ(headers.reason(), "HEADERS_TOO_LARGE");
  // The door still serves.
  EXPECT_EQ(Get("/v1/members/nobody").status, 404);
}

TEST_F(HttpTest, RequestsNoHttpClientSendsAreAnsweredAtOnce) {
  // A POST without Content-Length has no body (HTTP/1.1), and is served.
  RawConnection no_length(served_.server().http_port());
  ASSERT_TRUE(no_length.connected());
  ASSERT_TRUE(no_length.Send(absl::StrCat(
      "POST /v1/ledger:verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ",
      admin_, "\r\nConnection: close\r\n\r\n")));
  const std::string verified = no_length.ReadAll();
  EXPECT_TRUE(absl::StartsWith(verified, "HTTP/1.1 200")) << verified;
  EXPECT_NE(verified.find(R"("ok":true)"), std::string::npos) << verified;
  // Bytes that are not HTTP: 400 with the JSON error body.
  RawConnection garbage(served_.server().http_port());
  ASSERT_TRUE(garbage.Send("\x01\x02 hello\r\n\r\n"));
  const std::string refused = garbage.ReadAnswer();
  EXPECT_TRUE(absl::StartsWith(refused, "HTTP/1.1 400")) << refused;
  EXPECT_NE(refused.find("MALFORMED_HTTP"), std::string::npos) << refused;
}

// Clients that open connections and send half a request hold the HTTP
// door's threads, never a sale over gRPC.
TEST(HttpLimitsTest, SlowClientsHoldOnlyTheDoorsOwnThreads) {
  testing::ServedLedger served;
  server::ServerOptions options = testing::ServedOptions();
  options.http_listen_address = "127.0.0.1:0";
  options.http.threads = 2;
  options.http.queued_connections = 2;
  ASSERT_NO_FATAL_FAILURE(served.Start(options));
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 6; ++i) {  // every thread and queue place, and more
    slow.push_back(
        std::make_unique<RawConnection>(served.server().http_port()));
    ASSERT_TRUE(
        slow.back()->Send("POST /v1/checkout:commit HTTP/1.1\r\nHost:"));
  }
  v1::EnrollMemberRequest enroll;
  enroll.set_request_id("enroll-ann");
  enroll.mutable_profile()->set_member_id("ann");
  v1::EnrollMemberResponse enrolled;
  grpc::ClientContext enroll_context;
  ASSERT_TRUE(
      served.members().EnrollMember(&enroll_context, enroll, &enrolled).ok());
  v1::CommitPurchaseRequest sale;
  sale.set_request_id("sale-1");
  sale.mutable_purchase()->set_member_id("ann");
  sale.mutable_purchase()->set_order_id("A-1");
  sale.mutable_purchase()->set_currency("EUR");
  auto* line = sale.mutable_purchase()->add_lines();
  line->set_sku("coffee");
  line->set_quantity(1);
  line->set_unit_price_minor(350);
  v1::CommitPurchaseResponse committed;
  grpc::ClientContext sale_context;
  const grpc::Status status =
      served.checkout().CommitPurchase(&sale_context, sale, &committed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(committed.balance().points_available(), 3);
  slow.clear();  // the door serves again once they are gone
  httplib::Client client("127.0.0.1", served.server().http_port());
  client.set_read_timeout(30, 0);
  httplib::Result balance = client.Get("/v1/members/ann/balance");
  ASSERT_TRUE(balance);
  EXPECT_EQ(balance->status, 200);
}

// Every route of the table answers as the same request over gRPC does: an
// empty request (the path's field set to "nobody"), by a key of each role
// and by a partner-bound key.
TEST_F(HttpTest, EveryRouteGivesTheDecisionGrpcGivesForEveryRole) {
  const std::vector<TableRoute> routes = AllRoutes();
  // Every RPC of the four services has one route.
  std::set<std::string> rpcs;
  for (const TableRoute& route : routes) {
    EXPECT_TRUE(rpcs.insert(MethodOf(*route.request)->full_name()).second);
  }
  for (const auto* file : {v1::CommitPurchaseRequest::descriptor()->file(),
                           v1::GetBalanceRequest::descriptor()->file(),
                           v1::LoadRulesRequest::descriptor()->file(),
                           v1::VerifyLedgerRequest::descriptor()->file()}) {
    for (int m = 0; m < file->service(0)->method_count(); ++m) {
      const std::string rpc = file->service(0)->method(m)->full_name();
      EXPECT_EQ(rpcs.count(rpc), 1u)
          << rpc << ": one line in engine/server/http_routes.h";
    }
  }
  ASSERT_EQ(Call("PUT", "/v1/partners/fuelco", R"({"requestId":"p1"})", admin_)
                .status,
            200);
  const std::vector<std::string> keys = {admin_,
                                         CreateKey("ROLE_POS"),
                                         CreateKey("ROLE_ESHOP"),
                                         CreateKey("ROLE_MARKETING"),
                                         CreateKey("ROLE_AUDITOR"),
                                         CreateKey("ROLE_POS", "fuelco")};
  for (size_t k = 0; k < keys.size(); ++k) {
    for (const TableRoute& route : routes) {
      SCOPED_TRACE(absl::StrCat("key ", k, ": ", route.http.method, " ",
                                route.http.path));
      ExpectTheDecisionOfGrpc(route, keys[k]);
    }
  }
}

TEST_F(HttpTest, StreamsAnswerOneJsonObjectPerLine) {
  ASSERT_NO_FATAL_FAILURE(Enroll("ann"));
  ASSERT_EQ(Post("/v1/checkout:commit", SaleJson("ann", "A-1", "s1")).status,
            200);
  const Answer exported = Get("/v1/ledger:export?member_id=ann");
  ASSERT_EQ(exported.status, 200) << exported.body;
  EXPECT_EQ(exported.headers.find("Content-Type")->second,
            "application/x-ndjson");
  std::vector<std::string> lines =
      absl::StrSplit(exported.body, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u) << exported.body;  // one page
  const auto page = ParseMessage<v1::ExportLedgerResponse>(lines[0]);
  EXPECT_EQ(page.entries_size(), 2);  // the enrollment and the sale
  EXPECT_EQ(page.entries(1).sequence(), page.snapshot_sequence());

  const Answer run = Post("/v1/program:runExpiry", R"({"requestId":"run-1"})");
  ASSERT_EQ(run.status, 200) << run.body;
  lines = absl::StrSplit(run.body, '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  const auto last = ParseMessage<v1::RunExpiryResponse>(lines.back());
  EXPECT_TRUE(last.done());
  EXPECT_EQ(last.members_scanned(), 1);

  // A refusal before the stream starts is an ordinary error answer.
  const Answer bad =
      Get("/v1/ledger:export?from_time=2026-02-01T00:00:00Z"
          "&to_time=2026-01-01T00:00:00Z");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.reason(), "INVALID_RANGE");
}

// SimulateRules as JSON lines: progress, the last line done with the
// report; a bad file is refused before the stream starts, as over gRPC.
TEST_F(HttpTest, TheSimulationStreamsItsProgressAndReportAsJsonLines) {
  ASSERT_NO_FATAL_FAILURE(Enroll("ann"));
  ASSERT_EQ(Post("/v1/checkout:commit", SaleJson("ann", "A-1", "s1")).status,
            200);
  const std::string period =
      R"("fromTime":"2000-01-01T00:00:00Z","toTime":"2100-01-01T00:00:00Z")";
  const std::string doubled =
      "program: {id: default, currency: EUR, point_value_minor: 1}\\n"
      "earn: {points: 2, per_minor: 100, rounding: down}\\n"
      "burn: {max_basket_share_percent: 50, earned_points_pay_same_order: "
      "false}\\n";
  const Answer run = Post("/v1/rules:simulate",
                          absl::StrCat(R"({"fileName":"double.yaml","yaml":")",
                                       doubled, R"(",)", period, "}"));
  ASSERT_EQ(run.status, 200) << run.body;
  EXPECT_EQ(run.headers.find("Content-Type")->second, "application/x-ndjson");
  const std::vector<std::string> lines =
      absl::StrSplit(run.body, '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  const auto last = ParseMessage<v1::SimulateRulesResponse>(lines.back());
  ASSERT_TRUE(last.done()) << run.body;
  EXPECT_EQ(last.report().recorded().sales(), 1);
  EXPECT_EQ(last.report().recorded().points_issued(), 21);
  EXPECT_EQ(last.report().candidate().points_issued(), 43);

  const Answer bad = Post(
      "/v1/rules:simulate",
      absl::StrCat(R"({"fileName":"bad.yaml","yaml":"earn: [",)", period, "}"));
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.reason(), "INVALID_RULES");
}

// The web console: its page and files as compiled in, under a policy that
// lets only its own files run; the session names a key's role and exactly
// the RPCs auth.cc's table lets that role call.
// /metrics, /healthz and /readyz answer on the HTTP listener too, without
// a key, and /metrics counts the calls that came through the door.
TEST_F(HttpTest, TheOpsPagesAreServedOnTheHttpListener) {
  ASSERT_NO_FATAL_FAILURE(Enroll("ann"));
  ASSERT_EQ(
      Post("/v1/checkout:commit", SaleJson("ann", "A-1", "ops-sale")).status,
      200);
  const Answer metrics = Call("GET", "/metrics", "", "");
  ASSERT_EQ(metrics.status, 200) << metrics.body;
  EXPECT_TRUE(absl::StartsWith(metrics.headers.find("Content-Type")->second,
                               "text/plain"));
  std::vector<std::string> problems;
  const auto samples = testing::ReadPage(metrics.body, &problems);
  EXPECT_TRUE(problems.empty()) << absl::StrJoin(problems, "\n");
  EXPECT_EQ(testing::ValueOf(samples, "loyalty_rpc_calls_total",
                             {{"rpc", "CommitPurchase"}, {"code", "OK"}}),
            1);
  EXPECT_EQ(testing::ValueOf(samples, "loyalty_members"), 1);
  EXPECT_EQ(Call("GET", "/healthz", "", "").status, 200);
  const Answer ready = Call("GET", "/readyz", "", "");
  EXPECT_EQ(ready.status, 200) << ready.body;
}

TEST_F(HttpTest, TheConsoleServesItsFilesAndNamesEachKeysRole) {
  const Answer page = Call("GET", "/", "", "");  // no key needed for the page
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.headers.find("Content-Type")->second,
            "text/html; charset=utf-8");
  EXPECT_TRUE(absl::StrContains(page.body, "<title>Loyalty console</title>"));
  EXPECT_TRUE(
      absl::StrContains(page.headers.find("Content-Security-Policy")->second,
                        "default-src 'self'"));
  const Answer chart = Call("GET", "/console/chart.min.js", "", "");
  ASSERT_EQ(chart.status, 200);
  EXPECT_EQ(chart.headers.find("Content-Type")->second,
            "text/javascript; charset=utf-8");
  EXPECT_GT(chart.body.size(), 100000u);  // Debian's Chart.js, whole
  EXPECT_EQ(Call("GET", "/console/nothing.js", "", "").status, 404);

  for (const std::string role : {"ROLE_MARKETING", "ROLE_AUDITOR"}) {
    SCOPED_TRACE(role);
    const Answer session = Call("GET", "/console/session", "", CreateKey(role));
    ASSERT_EQ(session.status, 200) << session.body;
    const Struct object = ParseObject(session.body);
    EXPECT_EQ(Field(object, "role"), role);
    std::set<std::string> rpcs;
    for (const auto& rpc : object.fields().at("rpcs").list_value().values()) {
      rpcs.insert(rpc.string_value());
    }
    const v1::Role parsed =
        role == "ROLE_AUDITOR" ? v1::ROLE_AUDITOR : v1::ROLE_MARKETING;
    for (int i = 0; i <= static_cast<int>(server::kLastRpc); ++i) {
      const auto rpc = static_cast<server::Rpc>(i);
      EXPECT_EQ(rpcs.count(server::RpcName(rpc)),
                server::RoleMayCall(parsed, rpc) ? 1u : 0u)
          << server::RpcName(rpc);
    }
  }
  const Answer stranger = Call("GET", "/console/session", "", "lk_a_b");
  EXPECT_EQ(stranger.status, 401);
  EXPECT_EQ(stranger.reason(), "INVALID_API_KEY");
}

TEST_F(HttpTest, TheOpenApiDescriptionHoldsEveryRouteAndItsSchemas) {
  const Answer answer =
      Call("GET", "/v1/openapi.json", "", "");  // no key needed
  ASSERT_EQ(answer.status, 200);
  const Struct document = ParseObject(answer.body);  // valid JSON
  EXPECT_EQ(Field(document, "openapi"), "3.0.3");
  const Struct& paths = document.fields().at("paths").struct_value();
  const Struct& schemas = document.fields()
                              .at("components")
                              .struct_value()
                              .fields()
                              .at("schemas")
                              .struct_value();
  const std::vector<TableRoute> routes = AllRoutes();
  for (const TableRoute& route : routes) {
    SCOPED_TRACE(route.http.path);
    auto path = paths.fields().find(route.http.path);
    ASSERT_NE(path, paths.fields().end());
    auto operation = path->second.struct_value().fields().find(
        absl::AsciiStrToLower(route.http.method));
    ASSERT_NE(operation, path->second.struct_value().fields().end());
    std::string json;
    ASSERT_TRUE(
        google::protobuf::util::MessageToJsonString(operation->second, &json)
            .ok());
    const std::string ref = "#/components/schemas/";
    const std::string answer_type =
        MethodOf(*route.request)->output_type()->full_name();
    EXPECT_NE(json.find(ref + answer_type), std::string::npos) << json;
    EXPECT_TRUE(schemas.fields().count(answer_type));
    if (std::string(route.http.method) != "GET") {
      EXPECT_NE(json.find(ref + route.request->full_name()), std::string::npos)
          << json;
      EXPECT_TRUE(schemas.fields().count(route.request->full_name()));
    }
  }
  std::set<std::string> distinct_paths;
  for (const TableRoute& route : routes) distinct_paths.insert(route.http.path);
  EXPECT_EQ(paths.fields().size(), distinct_paths.size());  // nothing else
  // Every reference names a schema the document holds.
  std::vector<std::string> parts =
      absl::StrSplit(answer.body, "#/components/schemas/");
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string name = parts[i].substr(0, parts[i].find('"'));
    EXPECT_TRUE(schemas.fields().count(name)) << name;
  }
  EXPECT_TRUE(schemas.fields().count("loyalty.v1.CommitPurchaseResponse"));
  EXPECT_TRUE(schemas.fields().count("loyalty.v1.Purchase"));
  EXPECT_TRUE(schemas.fields().count("Error"));
}

// With loyaltyd's TLS files the door speaks HTTPS only, mutual TLS too.
TEST(HttpsTest, TheDoorSpeaksTlsWithTheGrpcPortsFiles) {
  testing::TlsFiles tls;
  ASSERT_TRUE(tls.Make()) << "the openssl command is needed";
  testing::ServedLedger served;
  server::ServerOptions options = testing::ServedOptions();
  options.tls = server::TlsFiles{tls.Path("server.pem"), tls.Path("server.key"),
                                 tls.Path("ca.pem")};
  options.require_api_keys = true;
  options.http_listen_address = "127.0.0.1:0";
  ASSERT_NO_FATAL_FAILURE(served.Start(options));
  const int port = served.server().http_port();
  const httplib::Headers key = {
      {"Authorization", "Bearer " + served.server().created_admin_key()}};

  httplib::SSLClient with_cert("127.0.0.1", port, tls.Path("client.pem"),
                               tls.Path("client.key"));
  with_cert.set_ca_cert_path(tls.Path("ca.pem").c_str());
  with_cert.enable_server_certificate_verification(true);
  httplib::Result answer = with_cert.Get("/v1/members/nobody", key);
  ASSERT_TRUE(answer) << httplib::to_string(answer.error());
  EXPECT_EQ(answer->status, 404);
  EXPECT_EQ(Field(ParseObject(answer->body), "reason"), "UNKNOWN_MEMBER");

  httplib::SSLClient without_cert("127.0.0.1", port);
  without_cert.set_ca_cert_path(tls.Path("ca.pem").c_str());
  without_cert.enable_server_certificate_verification(true);
  EXPECT_FALSE(without_cert.Get("/v1/members/nobody", key));  // mutual TLS
  httplib::Client plain("127.0.0.1", port);
  httplib::Result refused = plain.Get("/v1/members/nobody", key);
  EXPECT_TRUE(!refused || refused->status != 404);  // no HTTP without TLS
}

}  // namespace
}  // namespace loyalty
