#include "engine/server/openapi/openapi.h"

#include <deque>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/server/http_routes.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace loyalty::server {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::Struct;
using google::protobuf::Value;

constexpr char kSchemas[] = "#/components/schemas/";

Value Text(absl::string_view text) {
  Value value;
  value.set_string_value(std::string(text));
  return value;
}

Value Object(std::vector<std::pair<std::string, Value>> fields) {
  Value value;
  auto& object = *value.mutable_struct_value()->mutable_fields();
  for (auto& [name, field] : fields) object[name] = std::move(field);
  return value;
}

Value List(std::vector<Value> items) {
  Value value;
  for (Value& item : items) {
    *value.mutable_list_value()->add_values() = std::move(item);
  }
  return value;
}

Value Ref(const Descriptor& type) {
  return Object({{"$ref", Text(absl::StrCat(kSchemas, type.full_name()))}});
}

Value Typed(absl::string_view type, absl::string_view format = "") {
  Value value = Object({{"type", Text(type)}});
  if (!format.empty()) {
    (*value.mutable_struct_value()->mutable_fields())["format"] = Text(format);
  }
  return value;
}

// The schema of a message field's type, for a message: the well-known types
// as the JSON mapping writes them, the others by reference (added to
// `pending` for the components).
Value MessageSchema(const Descriptor& type,
                    std::deque<const Descriptor*>* pending) {
  const std::string& name = type.full_name();
  if (name == "google.protobuf.Timestamp") return Typed("string", "date-time");
  if (name == "google.protobuf.Duration") return Typed("string");
  if (name == "google.protobuf.FieldMask") return Typed("string");  // "a,b"
  if (absl::StartsWith(name, "google.protobuf.")) return Typed("object");
  pending->push_back(&type);
  return Ref(type);
}

// The schema of one value of `field` (an element, for a repeated field).
Value ValueSchema(const FieldDescriptor& field,
                  std::deque<const Descriptor*>* pending) {
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_UINT32:
      return Typed("integer", "int32");
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT64:
      return Typed("string", "int64");  // the JSON mapping quotes 64 bits
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT:
      return Typed("number");
    case FieldDescriptor::CPPTYPE_BOOL:
      return Typed("boolean");
    case FieldDescriptor::CPPTYPE_STRING:
      return field.type() == FieldDescriptor::TYPE_BYTES
                 ? Typed("string", "byte")
                 : Typed("string");
    case FieldDescriptor::CPPTYPE_ENUM: {
      std::vector<Value> names;
      names.reserve(field.enum_type()->value_count());
      for (int i = 0; i < field.enum_type()->value_count(); ++i) {
        names.push_back(Text(field.enum_type()->value(i)->name()));
      }
      Value value = Typed("string");
      (*value.mutable_struct_value()->mutable_fields())["enum"] =
          List(std::move(names));
      return value;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return MessageSchema(*field.message_type(), pending);
  }
  return Typed("object");
}

Value FieldSchema(const FieldDescriptor& field,
                  std::deque<const Descriptor*>* pending) {
  if (field.is_map()) {
    return Object({{"type", Text("object")},
                   {"additionalProperties",
                    ValueSchema(*field.message_type()->map_value(), pending)}});
  }
  if (field.is_repeated()) {
    return Object(
        {{"type", Text("array")}, {"items", ValueSchema(field, pending)}});
  }
  return ValueSchema(field, pending);
}

Value Schema(const Descriptor& type, std::deque<const Descriptor*>* pending) {
  Value properties = Object({});
  auto& fields = *properties.mutable_struct_value()->mutable_fields();
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    fields[field.json_name()] = FieldSchema(field, pending);
  }
  return Object({{"type", Text("object")},
                 {"description", Text(type.full_name())},
                 {"properties", std::move(properties)}});
}

// The refusal every operation may answer (http_json.h, ErrorJson).
Value ErrorSchema() {
  return Object(
      {{"type", Text("object")},
       {"description",
        Text("A refusal: the gRPC code's name, the message, the stable "
             "reason (UPPER_SNAKE) and the request field concerned.")},
       {"properties", Object({{"code", Typed("string")},
                              {"message", Typed("string")},
                              {"reason", Typed("string")},
                              {"field", Typed("string")}})}});
}

const MethodDescriptor* MethodOf(const Descriptor& request) {
  const google::protobuf::FileDescriptor& file = *request.file();
  for (int s = 0; s < file.service_count(); ++s) {
    for (int m = 0; m < file.service(s)->method_count(); ++m) {
      const MethodDescriptor* method = file.service(s)->method(m);
      if (method->input_type() == &request) return method;
    }
  }
  return nullptr;
}

// The names in braces of a path template.
std::set<std::string> PathNames(absl::string_view path) {
  std::set<std::string> names;
  for (absl::string_view part : absl::StrSplit(path, '{')) {
    const size_t close = part.find('}');
    if (close != absl::string_view::npos) names.emplace(part.substr(0, close));
  }
  return names;
}

Value Parameter(const std::string& name, absl::string_view where, bool required,
                Value schema) {
  return Object({{"name", Text(name)},
                 {"in", Text(where)},
                 {"required",
                  [&] {
                    Value flag;
                    flag.set_bool_value(required);
                    return flag;
                  }()},
                 {"schema", std::move(schema)}});
}

Value Content(absl::string_view media_type, Value schema) {
  return Object(
      {{std::string(media_type), Object({{"schema", std::move(schema)}})}});
}

// Visits the route table (http_routes.h): an operation per route.
class OperationBuilder {
 public:
  template <typename Request>
  void Unary(HttpRoute route) {
    Add(route, *Request::descriptor());
  }
  template <typename Request>
  void Stream(HttpRoute route) {
    Add(route, *Request::descriptor());
  }

  absl::Status status;
  Value paths = Object({});
  // Messages whose schemas the components need.
  std::deque<const Descriptor*> pending;

 private:
  void Add(HttpRoute route, const Descriptor& request);
  // Path parameters, then (for a GET) the other fields as query parameters.
  absl::StatusOr<std::vector<Value>> Parameters(HttpRoute route,
                                                const Descriptor& request);
};

absl::StatusOr<std::vector<Value>> OperationBuilder::Parameters(
    HttpRoute route, const Descriptor& request) {
  std::vector<Value> parameters;
  const std::set<std::string> in_path = PathNames(route.path);
  for (const std::string& name : in_path) {
    const FieldDescriptor* field = request.FindFieldByName(name);
    if (field == nullptr ||
        field->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
      return absl::InternalError(absl::StrCat(route.path, ": ",
                                              request.full_name(),
                                              " has no string field ", name));
    }
    parameters.push_back(Parameter(name, "path", true, Typed("string")));
  }
  if (std::string(route.method) == "GET") {
    for (int i = 0; i < request.field_count(); ++i) {
      const FieldDescriptor& field = *request.field(i);
      if (in_path.count(field.name()) != 0) continue;
      parameters.push_back(Parameter(field.name(), "query", false,
                                     FieldSchema(field, &pending)));
    }
  }
  if (request.FindFieldByName("request_id") != nullptr) {
    parameters.push_back(
        Parameter("Idempotency-Key", "header", false, Typed("string")));
  }
  return parameters;
}

void OperationBuilder::Add(HttpRoute route, const Descriptor& request) {
  const MethodDescriptor* method = MethodOf(request);
  absl::StatusOr<std::vector<Value>> parameters = Parameters(route, request);
  if (method == nullptr || !parameters.ok()) {
    status = method == nullptr ? absl::InternalError(absl::StrCat(
                                     "no RPC takes ", request.full_name()))
                               : parameters.status();
    return;
  }
  const bool stream = method->server_streaming();
  pending.push_back(method->output_type());
  Value answer = Object(
      {{"description",
        Text(stream ? "the stream: one message per line" : "the answer")},
       {"content", Content(stream ? "application/x-ndjson" : "application/json",
                           Ref(*method->output_type()))}});
  Value refusal = Object(
      {{"description", Text("a refusal, with the HTTP status of its code")},
       {"content",
        Content("application/json",
                Object({{"$ref", Text(absl::StrCat(kSchemas, "Error"))}}))}});
  Value operation =
      Object({{"operationId", Text(method->name())},
              {"tags", List({Text(method->service()->name())})},
              {"summary", Text(method->full_name())},
              {"parameters", List(*std::move(parameters))},
              {"responses", Object({{"200", std::move(answer)},
                                    {"default", std::move(refusal)}})}});
  if (std::string(route.method) != "GET") {
    pending.push_back(&request);
    (*operation.mutable_struct_value()->mutable_fields())["requestBody"] =
        Object({{"content", Content("application/json", Ref(request))}});
  }
  auto& path = *(*paths.mutable_struct_value()->mutable_fields())[route.path]
                    .mutable_struct_value()
                    ->mutable_fields();
  path[absl::AsciiStrToLower(route.method)] = std::move(operation);
}

// A schema for every message in `pending` and every message they hold.
Value Schemas(std::deque<const Descriptor*> pending) {
  Value schemas = Object({{"Error", ErrorSchema()}});
  auto& fields = *schemas.mutable_struct_value()->mutable_fields();
  while (!pending.empty()) {
    const Descriptor* type = pending.front();
    pending.pop_front();
    if (fields.count(type->full_name()) != 0) continue;
    fields[type->full_name()] = Schema(*type, &pending);
  }
  return schemas;
}

Value Security() {
  return Object(
      {{"bearer", Object({{"type", Text("http")}, {"scheme", Text("bearer")}})},
       {"apiKey", Object({{"type", Text("apiKey")},
                          {"in", Text("header")},
                          {"name", Text("x-api-key")}})}});
}

}  // namespace

absl::StatusOr<std::string> BuildOpenApi() {
  OperationBuilder builder;
  ForEachHttpRoute(builder);
  if (!builder.status.ok()) return builder.status;
  Value document = Object(
      {{"openapi", Text("3.0.3")},
       {"info", Object({{"title", Text("Loyalty engine HTTP/JSON API")},
                        {"version", Text("v1")}})},
       {"security",
        List({Object({{"bearer", List({})}}), Object({{"apiKey", List({})}})})},
       {"paths", std::move(builder.paths)},
       {"components",
        Object({{"securitySchemes", Security()},
                {"schemas", Schemas(std::move(builder.pending))}})}});
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  std::string json;
  const auto printed = google::protobuf::util::MessageToJsonString(
      document.struct_value(), &json, options);
  if (!printed.ok()) {
    return absl::InternalError(absl::StrCat("cannot print the document: ",
                                            printed.message().ToString()));
  }
  return json;
}

}  // namespace loyalty::server
