#include "engine/server/http_json.h"

#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace loyalty::server {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
namespace util = google::protobuf::util;

// How much of the JSON parser's own words a refusal quotes.
constexpr size_t kMaxParserTextBytes = 160;

absl::Status Malformed(const Descriptor& type, absl::string_view why) {
  return InvalidArgument(
      "MALFORMED_REQUEST", "",
      absl::StrCat("the request is not a valid ", type.full_name(),
                   " message: ", why.substr(0, kMaxParserTextBytes)));
}

// The only message a query parameter may fill: a time, as RFC 3339 text.
bool TakesQueryText(const FieldDescriptor& field) {
  if (field.is_repeated()) return false;
  if (field.message_type() == nullptr) return true;
  return field.message_type()->full_name() == "google.protobuf.Timestamp";
}

// The query as the JSON object of the same fields: a bool as true or false,
// every other value as a JSON string, which protobuf's parser reads into
// numbers, enums and times alike.
absl::StatusOr<std::string> QueryJson(
    const std::multimap<std::string, std::string>& query,
    const Descriptor& type) {
  google::protobuf::Struct object;
  for (const auto& [name, value] : query) {
    const FieldDescriptor* field = type.FindFieldByName(name);
    if (field == nullptr) field = type.FindFieldByCamelcaseName(name);
    if (field == nullptr || !TakesQueryText(*field)) {
      return Malformed(type, absl::StrCat("no query parameter ", Quoted(name)));
    }
    auto& fields = *object.mutable_fields();
    if (fields.count(field->name()) != 0) {
      return Malformed(type, absl::StrCat(Quoted(name), " given twice"));
    }
    google::protobuf::Value& slot = fields[field->name()];
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_BOOL) {
      slot.set_string_value(value);
    } else if (value == "true" || value == "false") {
      slot.set_bool_value(value == "true");
    } else {
      return Malformed(type, absl::StrCat(Quoted(name), " is true or false"));
    }
  }
  std::string json;
  if (!util::MessageToJsonString(object, &json).ok()) {
    return Malformed(type, "the query is not valid text");
  }
  return json;
}

// A string field of `request` named `name`, or null.
const FieldDescriptor* StringField(const Message& request,
                                   absl::string_view name) {
  const FieldDescriptor* field =
      request.GetDescriptor()->FindFieldByName(std::string(name));
  if (field == nullptr || field->is_repeated() ||
      field->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
    return nullptr;
  }
  return field;
}

absl::Status ApplyPathAndKey(const HttpRequestParts& parts, Message* request) {
  const google::protobuf::Reflection& reflection = *request->GetReflection();
  if (parts.path != nullptr) {
    for (const auto& [name, value] : *parts.path) {
      const FieldDescriptor* field = StringField(*request, name);
      if (field == nullptr) {
        return absl::InternalError(
            absl::StrCat("the route names no string field ", name));
      }
      reflection.SetString(request, field, value);
    }
  }
  const FieldDescriptor* request_id = StringField(*request, "request_id");
  if (!parts.idempotency_key.has_value() || request_id == nullptr) {
    return absl::OkStatus();  // a read is idempotent already
  }
  const std::string sent = reflection.GetString(*request, request_id);
  if (sent.empty()) {
    reflection.SetString(request, request_id, *parts.idempotency_key);
  } else if (sent != *parts.idempotency_key) {
    return InvalidArgument("IDEMPOTENCY_KEY_MISMATCH", "request_id",
                           "the Idempotency-Key header and the body's "
                           "request_id differ; send one of them");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ReadHttpRequest(const HttpRequestParts& parts, Message* request) {
  const Descriptor& type = *request->GetDescriptor();
  std::string json(parts.body);
  if (parts.query != nullptr && !parts.query->empty()) {
    if (!json.empty()) {
      return Malformed(type,
                       "send the fields in the body or the query, not both");
    }
    absl::StatusOr<std::string> from_query = QueryJson(*parts.query, type);
    if (!from_query.ok()) return from_query.status();
    json = *std::move(from_query);
  }
  if (json.empty()) json = "{}";
  util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // a misspelt field is an error
  const auto parsed = util::JsonStringToMessage(json, request, options);
  if (!parsed.ok()) return Malformed(type, parsed.message().ToString());
  return ApplyPathAndKey(parts, request);
}

absl::StatusOr<std::string> MessageJson(const Message& message) {
  util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  const auto printed = util::MessageToJsonString(message, &json, options);
  if (!printed.ok()) {
    return absl::InternalError(
        absl::StrCat("the answer could not be written as JSON: ",
                     printed.message().ToString()));
  }
  return json;
}

std::string ErrorJson(const absl::Status& status) {
  google::protobuf::Struct error;
  auto& fields = *error.mutable_fields();
  fields["code"].set_string_value(absl::StatusCodeToString(status.code()));
  fields["message"].set_string_value(std::string(status.message()));
  fields["reason"].set_string_value(ErrorReason(status));
  fields["field"].set_string_value(ErrorField(status));
  std::string json;
  if (!util::MessageToJsonString(error, &json).ok()) {
    return R"({"code":"INTERNAL","message":"","reason":"","field":""})";
  }
  return json;
}

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kFailedPrecondition:
      return 422;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;  // INTERNAL, DATA_LOSS, UNKNOWN
  }
}

}  // namespace loyalty::server
