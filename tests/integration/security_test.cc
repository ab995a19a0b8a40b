// Security over a real TLS connection: every role against every RPC, the
// partner scope of every RPC, missing and revoked keys, and mutual TLS.
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "engine/server/auth.h"
#include "engine/server/server.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "loyalty/v1/checkout.grpc.pb.h"
#include "loyalty/v1/events.grpc.pb.h"
#include "loyalty/v1/members.grpc.pb.h"
#include "loyalty/v1/program.grpc.pb.h"
#include "tests/support/served_ledger.h"
#include "tests/support/tls_files.h"

namespace loyalty {
namespace {

using server::Rpc;

// How an RPC meets a key bound to a partner (engine/server/rpc_table.h):
// kNone, the role decides alone; kActsFor, the request's `field` must name
// the key's partner; kNarrows, the answer shows only the key's partner (and
// a partner the request's `field`, if any, names must be the key's);
// kProgram, the call is the whole program's and a bound key is refused.
enum class Scope { kNone, kActsFor, kNarrows, kProgram };

struct Method {
  Rpc rpc;
  const char* path;
  Scope scope;
  const char* field = "";    // the request field that names a partner
  const char* request = "";  // kNarrows: a request it answers (text format)
};

// A simulation of every sale so far at two points per euro (the server's
// rules give one): every sale is priced differently, so each is shown.
constexpr char kSimulateRequest[] =
    "from_time {seconds: 0} to_time {seconds: 4102444800} yaml: "
    "'program: {id: test, currency: EUR, point_value_minor: 1}\\n"
    "earn: {points: 2, per_minor: 100, rounding: down}\\n"
    "burn: {max_basket_share_percent: 50, earned_points_pay_same_order: "
    "false}\\n'";

// Every RPC of the contract, by its full gRPC path, with its partner scope.
const Method kMethods[] = {
    {Rpc::kQuotePurchase, "/loyalty.v1.Checkout/QuotePurchase", Scope::kActsFor,
     "purchase.partner_id"},
    {Rpc::kCommitPurchase, "/loyalty.v1.Checkout/CommitPurchase",
     Scope::kActsFor, "purchase.partner_id"},
    // Each purchase of a batch is scoped as its own CommitPurchase.
    {Rpc::kCommitPurchases, "/loyalty.v1.Checkout/CommitPurchases",
     Scope::kActsFor, "purchases[1].purchase.partner_id",
     "purchases { request_id: 'p0' purchase { partner_id: 'fuelco' } } "
     "purchases { request_id: 'p1' }"},
    {Rpc::kRefundPurchase, "/loyalty.v1.Checkout/RefundPurchase",
     Scope::kActsFor, "partner_id"},
    {Rpc::kRedeemReward, "/loyalty.v1.Checkout/RedeemReward", Scope::kNone},
    {Rpc::kEnrollMember, "/loyalty.v1.Members/EnrollMember", Scope::kNone},
    {Rpc::kGetMember, "/loyalty.v1.Members/GetMember", Scope::kNone},
    {Rpc::kGetBalance, "/loyalty.v1.Members/GetBalance", Scope::kNone},
    {Rpc::kListEntries, "/loyalty.v1.Members/ListEntries", Scope::kNarrows, "",
     "member_id: 'kim'"},
    {Rpc::kValidateRules, "/loyalty.v1.Program/ValidateRules", Scope::kNone},
    {Rpc::kLoadRules, "/loyalty.v1.Program/LoadRules", Scope::kProgram},
    {Rpc::kGetRules, "/loyalty.v1.Program/GetRules", Scope::kNone},
    {Rpc::kSimulateRules, "/loyalty.v1.Program/SimulateRules", Scope::kNarrows,
     "", kSimulateRequest},
    {Rpc::kUpsertPartner, "/loyalty.v1.Program/UpsertPartner", Scope::kActsFor,
     "partner_id"},
    {Rpc::kAdjustBalance, "/loyalty.v1.Program/AdjustBalance", Scope::kProgram},
    {Rpc::kRecordFeedback, "/loyalty.v1.Program/RecordFeedback",
     Scope::kActsFor, "feedback.partner_id"},
    {Rpc::kRunExpiry, "/loyalty.v1.Program/RunExpiry", Scope::kProgram},
    {Rpc::kCreateApiKey, "/loyalty.v1.Program/CreateApiKey", Scope::kActsFor,
     "partner_id"},
    {Rpc::kListApiKeys, "/loyalty.v1.Program/ListApiKeys", Scope::kNarrows},
    {Rpc::kRevokeApiKey, "/loyalty.v1.Program/RevokeApiKey", Scope::kNone},
    {Rpc::kExportLedger, "/loyalty.v1.Audit/ExportLedger", Scope::kNarrows,
     "partner_id"},
    {Rpc::kVerifyLedger, "/loyalty.v1.Audit/VerifyLedger", Scope::kNone},
    {Rpc::kGetProgramMetrics, "/loyalty.v1.Audit/GetProgramMetrics",
     Scope::kProgram},
    {Rpc::kSettlePartners, "/loyalty.v1.Audit/SettlePartners", Scope::kNarrows},
    {Rpc::kCreateBackup, "/loyalty.v1.Audit/CreateBackup", Scope::kProgram},
    {Rpc::kListPartners, "/loyalty.v1.Program/ListPartners", Scope::kNarrows},
    // Without follow the stream ends after the backlog (one message here).
    {Rpc::kWatchEvents, "/loyalty.v1.Events/WatchEvents", Scope::kNarrows,
     "partner_id"},
    {Rpc::kUpdateMember, "/loyalty.v1.Members/UpdateMember", Scope::kNone},
    {Rpc::kSearchMembers, "/loyalty.v1.Members/SearchMembers", Scope::kNone},
    {Rpc::kExportMemberData, "/loyalty.v1.Members/ExportMemberData",
     Scope::kProgram},
    {Rpc::kEraseMember, "/loyalty.v1.Members/EraseMember", Scope::kProgram},
};

// RPCs whose work has not landed: the generated base class answers
// UNIMPLEMENTED before any check. Remove each as it lands.
const std::set<Rpc> kNotServedYet = {};

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tls_.Make()) << "the openssl command is needed";
    server::ServerOptions options = testing::ServedOptions();
    options.tls = server::TlsFiles{tls_.Path("server.pem"), tls_.Path("server.key"),
                                   mutual_ ? tls_.Path("ca.pem") : ""};
    options.require_api_keys = true;
    ASSERT_NO_FATAL_FAILURE(served_.Start(options));
    admin_key_ = served_.server().created_admin_key();
    ASSERT_FALSE(admin_key_.empty());
    channel_ = Channel(/*with_client_cert=*/mutual_);
  }

  std::shared_ptr<grpc::Channel> Channel(bool with_client_cert) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = tls_.Read("ca.pem");
    if (with_client_cert) {
      ssl.pem_private_key = tls_.Read("client.key");
      ssl.pem_cert_chain = tls_.Read("client.pem");
    }
    return grpc::CreateChannel(served_.address(), grpc::SslCredentials(ssl));
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& key) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!key.empty()) context->AddMetadata(server::kApiKeyHeader, key);
    return context;
  }

  std::string CreateKey(v1::Role role, const std::string& partner = "") {
    auto program = v1::Program::NewStub(channel_);
    v1::CreateApiKeyRequest request;
    request.set_request_id(absl::StrCat("key-", ++keys_made_));
    request.set_role(role);
    request.set_partner_id(partner);
    v1::CreateApiKeyResponse response;
    grpc::Status status = program->CreateApiKey(Context(admin_key_).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.api_key();
  }

  // Calls `path` with an empty request; the status code says whether the
  // caller got past the door (anything but UNAUTHENTICATED/PERMISSION_DENIED).
  grpc::StatusCode Call(const std::string& path, const std::string& key) {
    // An empty message: every field at its default.
    return CallBytes(path, key, "").status.error_code();
  }

  struct Answer {
    grpc::Status status;
    std::string bytes;  // the (first) response message
  };
  // Calls `path` with `bytes` as its request. A stream's one message is
  // read as a unary answer (the answers here fit in one).
  Answer CallBytes(const std::string& path, const std::string& key,
                   const std::string& bytes) {
    grpc::GenericStub stub(channel_);
    auto context = Context(key);
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1), response;
    absl::Notification done;
    Answer answer;
    stub.UnaryCall(context.get(), path, grpc::StubOptions(), &request,
                   &response, [&](grpc::Status status) {
                     answer.status = status;
                     done.Notify();
                   });
    done.WaitForNotification();
    std::vector<grpc::Slice> slices;
    if (answer.status.ok() && response.Dump(&slices).ok()) {
      for (const grpc::Slice& part : slices) {
        answer.bytes.append(reinterpret_cast<const char*>(part.begin()),
                            part.size());
      }
    }
    return answer;
  }

  // Partners fuelco and grocer, each funding all its points; member kim
  // with a sale at each, and a sale at grocer paid with points fuelco funded
  // (a claim between them).
  void MakeCoalition() {
    auto program = v1::Program::NewStub(channel_);
    for (const char* partner : {"fuelco", "grocer"}) {
      v1::UpsertPartnerRequest upsert;
      upsert.set_request_id(absl::StrCat("partner-", partner));
      upsert.set_partner_id(partner);
      upsert.set_name(partner);
      upsert.set_funded_share_bp(10000);
      v1::UpsertPartnerResponse upserted;
      grpc::Status status =
          program->UpsertPartner(Context(admin_key_).get(), upsert, &upserted);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
    auto members = v1::Members::NewStub(channel_);
    v1::EnrollMemberRequest enroll;
    enroll.set_request_id("enroll-kim");
    enroll.mutable_profile()->set_member_id("kim");
    v1::EnrollMemberResponse enrolled;
    ASSERT_TRUE(
        members->EnrollMember(Context(admin_key_).get(), enroll, &enrolled)
            .ok());
    ASSERT_NO_FATAL_FAILURE(Sale("f1", "fuelco", 0));
    ASSERT_NO_FATAL_FAILURE(Sale("g1", "grocer", 0));
    ASSERT_NO_FATAL_FAILURE(
        Sale("g2", "grocer", 20));  // fuelco's lot is the oldest
  }

  void Sale(const std::string& id, const std::string& partner,
            int64_t redeem_points) {
    v1::CommitPurchaseRequest request;
    request.set_request_id(id);
    auto* purchase = request.mutable_purchase();
    purchase->set_member_id("kim");
    purchase->set_order_id(id);
    purchase->set_partner_id(partner);
    purchase->set_currency("EUR");
    purchase->set_redeem_points(redeem_points);
    auto* line = purchase->add_lines();
    line->set_sku("goods");
    line->set_quantity(1);
    line->set_unit_price_minor(5000);
    v1::CommitPurchaseResponse response;
    grpc::Status status = v1::Checkout::NewStub(channel_)->CommitPurchase(
        Context(admin_key_).get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  bool mutual_ = false;
  testing::TlsFiles tls_;
  testing::ServedLedger served_;  // TLS: no plain-text channel, Channel() makes one
  std::shared_ptr<grpc::Channel> channel_;
  std::string admin_key_;
  int keys_made_ = 0;
};

TEST_F(SecurityTest, EachRoleReachesExactlyItsRpcs) {
  const std::map<v1::Role, std::string> keys = {
      {v1::ROLE_POS, CreateKey(v1::ROLE_POS)},
      {v1::ROLE_ESHOP, CreateKey(v1::ROLE_ESHOP)},
      {v1::ROLE_MARKETING, CreateKey(v1::ROLE_MARKETING)},
      {v1::ROLE_AUDITOR, CreateKey(v1::ROLE_AUDITOR)},
      {v1::ROLE_ADMIN, admin_key_},
  };
  // The table, written out: rows are RPCs, columns pos, eshop, marketing,
  // auditor, admin.
  const std::map<Rpc, std::vector<bool>> expected = {
      {Rpc::kQuotePurchase, {1, 1, 0, 0, 1}},
      {Rpc::kCommitPurchase, {1, 1, 0, 0, 1}},
      {Rpc::kCommitPurchases, {1, 1, 0, 0, 1}},
      {Rpc::kRefundPurchase, {1, 1, 0, 0, 1}},
      {Rpc::kRedeemReward, {1, 1, 0, 0, 1}},
      {Rpc::kEnrollMember, {1, 1, 0, 0, 1}},
      {Rpc::kGetMember, {1, 1, 0, 0, 1}},
      {Rpc::kGetBalance, {1, 1, 0, 0, 1}},
      {Rpc::kListEntries, {1, 1, 0, 0, 1}},
      {Rpc::kValidateRules, {0, 0, 1, 0, 1}},
      {Rpc::kLoadRules, {0, 0, 1, 0, 1}},
      {Rpc::kGetRules, {0, 0, 1, 0, 1}},
      {Rpc::kSimulateRules, {0, 0, 1, 0, 1}},
      {Rpc::kUpsertPartner, {0, 0, 1, 0, 1}},
      {Rpc::kAdjustBalance, {0, 0, 1, 0, 1}},
      {Rpc::kRecordFeedback, {0, 0, 1, 0, 1}},
      {Rpc::kRunExpiry, {0, 0, 1, 0, 1}},
      {Rpc::kCreateApiKey, {0, 0, 0, 0, 1}},
      {Rpc::kListApiKeys, {0, 0, 0, 0, 1}},
      {Rpc::kRevokeApiKey, {0, 0, 0, 0, 1}},
      {Rpc::kExportLedger, {0, 0, 0, 1, 1}},
      {Rpc::kVerifyLedger, {0, 0, 0, 1, 1}},
      {Rpc::kGetProgramMetrics, {0, 0, 0, 1, 1}},
      {Rpc::kSettlePartners, {0, 0, 0, 1, 1}},
      {Rpc::kCreateBackup, {0, 0, 0, 0, 1}},
      {Rpc::kListPartners, {0, 0, 1, 0, 1}},
      {Rpc::kWatchEvents, {0, 0, 0, 1, 1}},
      {Rpc::kUpdateMember, {1, 1, 0, 0, 1}},
      {Rpc::kSearchMembers, {1, 1, 0, 0, 1}},
      {Rpc::kExportMemberData, {0, 0, 0, 0, 1}},
      {Rpc::kEraseMember, {0, 0, 0, 0, 1}},
  };
  const v1::Role columns[] = {v1::ROLE_POS, v1::ROLE_ESHOP, v1::ROLE_MARKETING,
                              v1::ROLE_AUDITOR, v1::ROLE_ADMIN};
  for (const Method& method : kMethods) {
    for (int column = 0; column < 5; ++column) {
      const v1::Role role = columns[column];
      const bool allowed = expected.at(method.rpc)[column];
      EXPECT_EQ(server::RoleMayCall(role, method.rpc), allowed)
          << method.path << " " << v1::Role_Name(role);
      const grpc::StatusCode code = Call(method.path, keys.at(role));
      if (code == grpc::StatusCode::UNIMPLEMENTED) {
        // Declared in the contract, not served yet: no handler runs at all.
        EXPECT_TRUE(kNotServedYet.count(method.rpc)) << method.path;
        continue;
      }
      if (allowed) {
        EXPECT_NE(code, grpc::StatusCode::PERMISSION_DENIED)
            << method.path << " " << v1::Role_Name(role);
        EXPECT_NE(code, grpc::StatusCode::UNAUTHENTICATED) << method.path;
      } else {
        EXPECT_EQ(code, grpc::StatusCode::PERMISSION_DENIED)
            << method.path << " " << v1::Role_Name(role);
      }
    }
  }
}

// A till finds a member by card number or phone, never by e-mail or name.
TEST_F(SecurityTest, TillsSearchMembersByCardOrPhoneOnly) {
  const std::map<v1::Role, std::string> keys = {
      {v1::ROLE_POS, CreateKey(v1::ROLE_POS)},
      {v1::ROLE_ESHOP, CreateKey(v1::ROLE_ESHOP)},
      {v1::ROLE_ADMIN, admin_key_}};
  const char* path = "/loyalty.v1.Members/SearchMembers";
  for (const auto& [role, key] : keys) {
    for (const char* field : {"card_number", "phone", "email", "name_prefix"}) {
      v1::SearchMembersRequest request;
      request.GetReflection()->SetString(
          &request, request.GetDescriptor()->FindFieldByName(field), "5550001");
      const Answer answer = CallBytes(path, key, request.SerializeAsString());
      const bool allowed = role == v1::ROLE_ADMIN ||
                           std::string(field) == "card_number" ||
                           std::string(field) == "phone";
      EXPECT_EQ(server::RoleMaySearchBy(role, field), allowed) << field;
      if (allowed) {
        EXPECT_TRUE(answer.status.ok()) << field << " " << v1::Role_Name(role);
      } else {
        EXPECT_EQ(answer.status.error_code(),
                  grpc::StatusCode::PERMISSION_DENIED)
            << field << " " << v1::Role_Name(role);
        EXPECT_EQ(testing::DetailOf(answer.status).reason(), "SEARCH_FIELD");
      }
    }
  }
}

TEST_F(SecurityTest, MissingWrongAndRevokedKeysAreUnauthenticated) {
  const char* path = "/loyalty.v1.Members/GetBalance";
  EXPECT_EQ(Call(path, ""), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Call(path, "not-a-key"), grpc::StatusCode::UNAUTHENTICATED);
  const std::string key = CreateKey(v1::ROLE_POS);
  // The same key with its last secret digit changed.
  const std::string wrong =
      key.substr(0, key.size() - 1) + (key.back() == '0' ? "1" : "0");
  EXPECT_EQ(Call(path, wrong), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(Call(path, key), grpc::StatusCode::UNAUTHENTICATED);
  auto program = v1::Program::NewStub(channel_);
  v1::RevokeApiKeyRequest revoke;
  revoke.set_request_id("revoke-1");
  revoke.set_key_id(key.substr(3, key.find('_', 3) - 3));
  v1::RevokeApiKeyResponse revoked;
  ASSERT_TRUE(program->RevokeApiKey(Context(admin_key_).get(), revoke, &revoked).ok());
  EXPECT_TRUE(revoked.key().revoked());
  EXPECT_EQ(Call(path, key), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(SecurityTest, APartnerKeyCannotTouchAnotherPartnersPurchase) {
  const std::string fuel = CreateKey(v1::ROLE_POS, "fuelco");
  auto members = v1::Members::NewStub(channel_);
  v1::EnrollMemberRequest enroll;
  enroll.set_request_id("enroll-kim");
  enroll.mutable_profile()->set_member_id("kim");
  v1::EnrollMemberResponse enrolled;
  ASSERT_TRUE(members->EnrollMember(Context(fuel).get(), enroll, &enrolled).ok());
  auto checkout = v1::Checkout::NewStub(channel_);
  auto sale = [](const std::string& id, const std::string& partner) {
    v1::CommitPurchaseRequest request;
    request.set_request_id(id);
    auto* purchase = request.mutable_purchase();
    purchase->set_member_id("kim");
    purchase->set_order_id(id);
    purchase->set_partner_id(partner);
    purchase->set_currency("EUR");
    auto* line = purchase->add_lines();
    line->set_sku("diesel");
    line->set_quantity(1);
    line->set_unit_price_minor(5000);
    return request;
  };
  v1::CommitPurchaseResponse response;
  EXPECT_TRUE(checkout->CommitPurchase(Context(fuel).get(), sale("f1", "fuelco"), &response).ok());
  grpc::Status other =
      checkout->CommitPurchase(Context(fuel).get(), sale("f2", "grocer"), &response);
  EXPECT_EQ(other.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(other.error_message().find("PARTNER_SCOPE"), std::string::npos);
  // The grocer's sale, made by an unbound key, is invisible to fuelco's key.
  ASSERT_TRUE(checkout->CommitPurchase(Context(admin_key_).get(), sale("g1", "grocer"), &response).ok());
  v1::ListEntriesRequest list;
  list.set_member_id("kim");
  v1::ListEntriesResponse seen;
  ASSERT_TRUE(members->ListEntries(Context(fuel).get(), list, &seen).ok());
  ASSERT_EQ(seen.entries_size(), 1);
  EXPECT_EQ(seen.entries(0).order_id(), "f1");
}

// The method of a full gRPC path ("/loyalty.v1.Audit/ExportLedger").
const google::protobuf::MethodDescriptor* MethodOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          path.substr(1, slash - 1));
  return service == nullptr ? nullptr
                            : service->FindMethodByName(path.substr(slash + 1));
}

// A request of `type` from `text` (text format), with the string field at
// the dotted path `field` (when not empty) set to `partner`; a step
// "name[i]" goes into the i-th message of a repeated field.
std::string RequestBytes(const google::protobuf::Descriptor* type,
                         const std::string& text, const std::string& field,
                         const std::string& partner) {
  std::unique_ptr<google::protobuf::Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(type)
          ->New());
  EXPECT_TRUE(
      google::protobuf::TextFormat::ParseFromString(text, request.get()))
      << text;
  if (!field.empty()) {
    google::protobuf::Message* holder = request.get();
    const std::vector<std::string> steps = absl::StrSplit(field, '.');
    for (size_t i = 0; i + 1 < steps.size(); ++i) {
      const std::vector<std::string> step = absl::StrSplit(steps[i], '[');
      const auto* next = holder->GetDescriptor()->FindFieldByName(step[0]);
      holder = step.size() == 1
                   ? holder->GetReflection()->MutableMessage(holder, next)
                   : holder->GetReflection()->MutableRepeatedMessage(
                         holder, next, std::stoi(step[1]));
    }
    const auto* last = holder->GetDescriptor()->FindFieldByName(steps.back());
    EXPECT_NE(last, nullptr) << field;
    if (last != nullptr)
      holder->GetReflection()->SetString(holder, last, partner);
  }
  return request->SerializeAsString();
}

// The partners an answer shows, one group per message that names any: its
// partner_id, or a claim's from_partner_id and to_partner_id.
void PartnersShown(const google::protobuf::Message& message,
                   std::vector<std::vector<std::string>>* shown) {
  using google::protobuf::FieldDescriptor;
  const auto* reflection = message.GetReflection();
  std::vector<std::string> group;
  for (const char* name : {"partner_id", "from_partner_id", "to_partner_id"}) {
    const FieldDescriptor* field =
        message.GetDescriptor()->FindFieldByName(name);
    if (field != nullptr && !field->is_repeated() &&
        field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      group.push_back(reflection->GetString(message, field));
    }
  }
  if (!group.empty()) shown->push_back(group);
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (!field->is_repeated()) {
      PartnersShown(reflection->GetMessage(message, field), shown);
      continue;
    }
    for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
      PartnersShown(reflection->GetRepeatedMessage(message, field, i), shown);
    }
  }
}

bool Names(const std::vector<std::string>& group, const std::string& partner) {
  return std::find(group.begin(), group.end(), partner) != group.end();
}

// Every RPC of the table, the same way, with an admin key bound to fuelco
// (its role may call everything, so only the partner scope can refuse).
TEST_F(SecurityTest, EachRpcMeetsAPartnerKeyByItsScope) {
  ASSERT_NO_FATAL_FAILURE(MakeCoalition());
  const std::string fuel = CreateKey(v1::ROLE_ADMIN, "fuelco");
  CreateKey(v1::ROLE_POS, "grocer");  // a key the bound key must not list
  int narrowed = 0;
  for (const Method& method : kMethods) {
    if (kNotServedYet.count(method.rpc)) continue;
    SCOPED_TRACE(method.path);
    const google::protobuf::MethodDescriptor* rpc = MethodOf(method.path);
    ASSERT_NE(rpc, nullptr);
    const std::string field = method.field;
    if (!field.empty()) {
      // Another partner named: refused, naming the field; its own: let in.
      const Answer other = CallBytes(
          method.path, fuel,
          RequestBytes(rpc->input_type(), method.request, field, "grocer"));
      EXPECT_EQ(other.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
      EXPECT_EQ(testing::DetailOf(other.status).reason(), "PARTNER_SCOPE");
      EXPECT_EQ(testing::DetailOf(other.status).field(), field);
      // Acting for no partner is not a way around it: the call would act
      // for the program (a sale without a partner, a key bound to no one).
      if (method.scope == Scope::kActsFor) {
        const Answer none = CallBytes(
            method.path, fuel,
            RequestBytes(rpc->input_type(), method.request, field, ""));
        EXPECT_EQ(none.status.error_code(),
                  grpc::StatusCode::PERMISSION_DENIED);
      }
      const Answer own = CallBytes(
          method.path, fuel,
          RequestBytes(rpc->input_type(), method.request, field, "fuelco"));
      EXPECT_NE(own.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
          << own.status.error_message();
    }
    const std::string request =
        RequestBytes(rpc->input_type(), method.request, "", "");
    if (method.scope == Scope::kNone) {
      const Answer answer = CallBytes(method.path, fuel, request);
      EXPECT_NE(answer.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
          << answer.status.error_message();
      EXPECT_NE(answer.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    }
    if (method.scope == Scope::kProgram) {
      const Answer answer = CallBytes(method.path, fuel, request);
      EXPECT_EQ(answer.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
          << answer.status.error_message();
      EXPECT_EQ(testing::DetailOf(answer.status).reason(), "PARTNER_SCOPE");
    }
    if (method.scope != Scope::kNarrows) continue;
    // What each key is shown: the bound key only fuelco's part, the
    // unbound key more than that.
    std::map<std::string, std::vector<std::vector<std::string>>> shown;
    for (const std::string& key : {fuel, admin_key_}) {
      const Answer answer = CallBytes(method.path, key, request);
      ASSERT_TRUE(answer.status.ok()) << answer.status.error_message();
      std::unique_ptr<google::protobuf::Message> response(
          google::protobuf::MessageFactory::generated_factory()
              ->GetPrototype(rpc->output_type())
              ->New());
      ASSERT_TRUE(response->ParseFromString(answer.bytes));
      PartnersShown(*response, &shown[key]);
    }
    EXPECT_FALSE(shown[fuel].empty());
    for (const auto& group : shown[fuel]) EXPECT_TRUE(Names(group, "fuelco"));
    EXPECT_TRUE(
        std::any_of(shown[admin_key_].begin(), shown[admin_key_].end(),
                    [](const auto& group) { return !Names(group, "fuelco"); }));
    ++narrowed;
  }
  EXPECT_EQ(narrowed, 7);
}

// The key id of an API key "lk_{key_id}_{secret}".
std::string KeyIdOf(const std::string& api_key) {
  const std::vector<std::string> parts = absl::StrSplit(api_key, '_');
  return parts.size() == 3 ? parts[1] : "";
}

// A key bound to a partner revokes the keys of its own partner only: not
// another partner's, not the program's own admin key.
TEST_F(SecurityTest, APartnerKeyRevokesOnlyItsOwnPartnersKeys) {
  ASSERT_NO_FATAL_FAILURE(MakeCoalition());
  const std::string fuel = CreateKey(v1::ROLE_ADMIN, "fuelco");
  const std::string fuel_till = CreateKey(v1::ROLE_POS, "fuelco");
  const std::string grocer_till = CreateKey(v1::ROLE_POS, "grocer");
  auto program = v1::Program::NewStub(channel_);
  const auto revoke = [&](const std::string& api_key,
                          const std::string& target) {
    v1::RevokeApiKeyRequest request;
    request.set_request_id("revoke-" + KeyIdOf(target));
    request.set_key_id(KeyIdOf(target));
    v1::RevokeApiKeyResponse response;
    return program->RevokeApiKey(Context(api_key).get(), request, &response);
  };
  for (const std::string& target : {grocer_till, admin_key_}) {
    const grpc::Status refused = revoke(fuel, target);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(testing::DetailOf(refused).reason(), "PARTNER_SCOPE");
    EXPECT_EQ(testing::DetailOf(refused).field(), "key_id");
  }
  EXPECT_NE(Call("/loyalty.v1.Members/GetBalance", admin_key_),
            grpc::StatusCode::UNAUTHENTICATED);
  const grpc::Status own = revoke(fuel, fuel_till);
  EXPECT_TRUE(own.ok()) << own.error_message();
  EXPECT_EQ(Call("/loyalty.v1.Members/GetBalance", fuel_till),
            grpc::StatusCode::UNAUTHENTICATED);
}

class MutualTlsTest : public SecurityTest {
 protected:
  void SetUp() override {
    mutual_ = true;
    SecurityTest::SetUp();
  }
};

TEST_F(MutualTlsTest, AClientWithoutACertificateCannotConnect) {
  EXPECT_NE(Call("/loyalty.v1.Members/GetBalance", admin_key_),
            grpc::StatusCode::UNAUTHENTICATED);  // with the certificate
  channel_ = Channel(/*with_client_cert=*/false);
  EXPECT_EQ(Call("/loyalty.v1.Members/GetBalance", admin_key_),
            grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace loyalty
