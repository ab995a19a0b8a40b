// The size limits of engine/base/limits.h through a real loyaltyd (RocksDB
// in a temp dir, gRPC on loopback): every string and repeated field of
// every unary request, found from the service descriptors, is sent at its
// limit (accepted by the limit check) and one over (INVALID_ARGUMENT naming
// the field); the README's table lists every limit; a refusal quotes at
// most a short prefix of what the caller sent.
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "engine/base/limits.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "loyalty/v1/events.grpc.pb.h"
#include "tests/support/served_ledger.h"

namespace loyalty {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr const char* kServices[] = {"loyalty.v1.Checkout",
                                     "loyalty.v1.Members", "loyalty.v1.Program",
                                     "loyalty.v1.Audit", "loyalty.v1.Events"};

using testing::DetailOf;

// One field a caller may fill: its path from the request's root, e.g.
// "purchase.lines[0].sku", and how to reach it.
struct FieldPath {
  std::string path;
  std::vector<const FieldDescriptor*> steps;  // the last one is the field
};

// Every string and repeated field under `type` (loyalty.v1 messages only;
// a repeated message is entered through its first element).
void CollectFields(const Descriptor& type, const std::string& prefix,
                   std::vector<const FieldDescriptor*> steps,
                   std::vector<FieldPath>* out) {
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* field = type.field(i);
    std::vector<const FieldDescriptor*> here = steps;
    here.push_back(field);
    const std::string path = prefix + field->name();
    const bool nested = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
                        field->message_type()->file()->package() == "loyalty.v1";
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING || field->is_repeated()) {
      out->push_back({path, here});
    }
    if (nested) {
      CollectFields(*field->message_type(),
                    path + (field->is_repeated() ? "[0]." : "."), here, out);
    }
  }
}

// The message that holds the last step, creating the path to it (the
// first element of each repeated message on the way).
Message* Holder(Message* root, const FieldPath& field) {
  Message* message = root;
  for (size_t i = 0; i + 1 < field.steps.size(); ++i) {
    const FieldDescriptor* step = field.steps[i];
    const auto* reflection = message->GetReflection();
    if (!step->is_repeated()) {
      message = reflection->MutableMessage(message, step);
    } else if (reflection->FieldSize(*message, step) == 0) {
      message = reflection->AddMessage(message, step);
    } else {
      message = reflection->MutableRepeatedMessage(message, step, 0);
    }
  }
  return message;
}

// Sets a string field to `size` bytes ('x's; the first value of a repeated
// one), or puts `size` values in a repeated field.
void Fill(Message* root, const FieldPath& field, size_t size, bool count) {
  Message* holder = Holder(root, field);
  const FieldDescriptor* last = field.steps.back();
  const auto* reflection = holder->GetReflection();
  const bool text = last->cpp_type() == FieldDescriptor::CPPTYPE_STRING;
  if (!last->is_repeated()) {
    reflection->SetString(holder, last, std::string(size, 'x'));
    return;
  }
  if (!count) {
    reflection->AddString(holder, last, std::string(size, 'x'));
    return;
  }
  for (size_t i = 0; i < size; ++i) {
    if (text) {
      reflection->AddString(holder, last, absl::StrCat("v", i));
    } else {
      reflection->AddMessage(holder, last);
    }
  }
}

class LimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(served_.Start(testing::ServedOptions()));
  }

  // Sends `bytes` as the request of `method` ("/loyalty.v1.Members/GetBalance").
  grpc::Status CallRaw(const std::string& method, const std::string& bytes) {
    grpc::GenericStub stub(served_.channel());
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                   [&done](grpc::Status status) { done.set_value(status); });
    return done.get_future().get();
  }

  testing::ServedLedger served_;
};

// Each unary RPC's request, each field: at the limit the limit check lets
// it through (whatever else the RPC then says), one over it is refused.
TEST_F(LimitsTest, EveryFieldAtItsLimitPassesAndOneOverIsRefused) {
  int checked = 0;
  for (const char* name : kServices) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int m = 0; m < service->method_count(); ++m) {
      const auto* method = service->method(m);
      if (method->client_streaming() || method->server_streaming()) continue;
      const std::string rpc = absl::StrCat("/", service->full_name(), "/", method->name());
      std::vector<FieldPath> fields;
      CollectFields(*method->input_type(), "", {}, &fields);
      for (const FieldPath& field : fields) {
        const FieldDescriptor* last = field.steps.back();
        // A rule file is bounded by the message size, and beyond 1 MiB by
        // the rule-file reader (a problem, not a refusal).
        if (last->name() == "yaml") continue;
        for (bool count : {false, true}) {
          if (count && !last->is_repeated()) continue;
          if (!count && last->cpp_type() != FieldDescriptor::CPPTYPE_STRING) continue;
          const auto limit = count ? CountLimitOf(last->name()) : TextLimitOf(last->name());
          ASSERT_TRUE(limit.has_value()) << rpc << " " << field.path << " has no limit";
          const std::string where = count ? field.path : field.path +
              (last->is_repeated() ? "[0]" : "");
          SCOPED_TRACE(absl::StrCat(rpc, " ", where, count ? " (count)" : ""));
          google::protobuf::DynamicMessageFactory factory;
          std::unique_ptr<Message> at(factory.GetPrototype(method->input_type())->New());
          Fill(at.get(), field, limit->max, count);
          const grpc::Status accepted = CallRaw(rpc, at->SerializeAsString());
          EXPECT_NE(DetailOf(accepted).reason(), limit->reason)
              << accepted.error_message();
          std::unique_ptr<Message> over(factory.GetPrototype(method->input_type())->New());
          Fill(over.get(), field, limit->max + 1, count);
          const grpc::Status refused = CallRaw(rpc, over->SerializeAsString());
          EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
              << refused.error_message();
          EXPECT_EQ(DetailOf(refused).reason(), limit->reason);
          EXPECT_EQ(DetailOf(refused).field(), where);
          EXPECT_TRUE(absl::StrContains(refused.error_message(),
                                        absl::StrCat("at most ", limit->max)))
              << refused.error_message();
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 60);
}

// The README's Limits table names every field of the code's table.
TEST(LimitsDocTest, ReadmeListsEveryLimit) {
  std::ifstream file(std::string(LOYALTY_SOURCE_DIR) + "/README.md");
  std::stringstream readme;
  readme << file.rdbuf();
  const std::string text = readme.str();
  const size_t table = text.find("#### Limits");
  ASSERT_NE(table, std::string::npos);
  const std::string section = text.substr(table, text.find("\n## ", table) - table);
  for (const char* name : kServices) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    for (int m = 0; m < service->method_count(); ++m) {
      std::vector<FieldPath> fields;
      CollectFields(*service->method(m)->input_type(), "", {}, &fields);
      for (const FieldPath& field : fields) {
        const std::string& field_name = field.steps.back()->name();
        EXPECT_TRUE(absl::StrContains(section, absl::StrCat("`", field_name, "`")))
            << field_name << " is not in README's Limits table";
      }
    }
  }
}

// The case: a 5,000-character member id used to make the refusal
// itself fail (RESOURCE_EXHAUSTED: the message echoed the whole id).
TEST_F(LimitsTest, HugeMemberIdGetsAShortInvalidArgument) {
  auto members = v1::Members::NewStub(served_.channel());
  grpc::ClientContext context;
  v1::GetBalanceRequest request;
  request.set_member_id(std::string(5000, '7'));
  v1::GetBalanceResponse response;
  const grpc::Status status = members->GetBalance(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
  EXPECT_EQ(DetailOf(status).field(), "member_id");
  EXPECT_EQ(status.error_message(), "TEXT_TOO_LONG: member_id: at most 64 bytes, got 5000");
}

// A refusal that quotes an id quotes its first 32 bytes.
TEST_F(LimitsTest, RefusalsQuoteAShortPrefix) {
  auto members = v1::Members::NewStub(served_.channel());
  grpc::ClientContext context;
  v1::GetBalanceRequest request;
  const std::string id = std::string(32, 'a') + std::string(32, 'b');
  request.set_member_id(id);
  v1::GetBalanceResponse response;
  const grpc::Status status = members->GetBalance(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(),
            absl::StrCat("UNKNOWN_MEMBER: member_id: no member with id '",
                         std::string(32, 'a'), "\u2026'"));
}

TEST(QuotedTest, CutsAtACharacterBoundaryAndHidesControlCharacters) {
  EXPECT_EQ(Quoted("ann"), "'ann'");
  EXPECT_EQ(Quoted("a\nb"), "'a?b'");
  // 31 ASCII bytes and a 2-byte character: the character does not fit.
  EXPECT_EQ(Quoted(std::string(31, 'x') + "\xC3\xA9zz"),
            "'" + std::string(31, 'x') + "\u2026'");
  EXPECT_EQ(Quoted(std::string(32, 'x')), "'" + std::string(32, 'x') + "'");
}

// Bytes that are not a valid request, to every RPC served (unary or stream):
// INVALID_ARGUMENT with reason MALFORMED_REQUEST and the request's type in
// the message (gRPC's typed handlers would answer UNIMPLEMENTED).
TEST_F(LimitsTest, BytesThatAreNotARequestAreRefusedNamingTheRequest) {
  // A length that runs past the end; a tag of field number 0; a varint that
  // never ends.
  const std::string malformed[] = {std::string("\x0a\x05"
                                               "ab",
                                               4),
                                   std::string("\x00\x01", 2),
                                   std::string(11, '\xff')};
  int checked = 0;
  for (const char* name : kServices) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            name);
    ASSERT_NE(service, nullptr) << name;
    for (int m = 0; m < service->method_count(); ++m) {
      const auto* method = service->method(m);
      const std::string rpc =
          absl::StrCat("/", service->full_name(), "/", method->name());
      for (const std::string& bytes : malformed) {
        SCOPED_TRACE(absl::StrCat(rpc, " ", absl::CEscape(bytes)));
        const grpc::Status refused = CallRaw(rpc, bytes);
        EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
            << refused.error_message();
        EXPECT_EQ(DetailOf(refused).reason(), "MALFORMED_REQUEST");
        EXPECT_TRUE(absl::StrContains(refused.error_message(),
                                      method->input_type()->full_name()))
            << refused.error_message();
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 3 * 31);  // every served RPC, CommitPurchases,
                               // SimulateRules, WatchEvents and members' data
}

}  // namespace
}  // namespace loyalty
