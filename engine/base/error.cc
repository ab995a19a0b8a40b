#include "engine/base/error.h"

#include "absl/strings/str_cat.h"
#include "loyalty/v1/types.pb.h"

namespace loyalty {

absl::Status MakeError(absl::StatusCode code, absl::string_view reason,
                       absl::string_view field, absl::string_view text) {
  std::string message = field.empty()
                            ? absl::StrCat(reason, ": ", text)
                            : absl::StrCat(reason, ": ", field, ": ", text);
  return RestoreError(code, message, reason, field);
}

absl::Status RestoreError(absl::StatusCode code, absl::string_view message,
                          absl::string_view reason, absl::string_view field) {
  absl::Status status(code, message);
  loyalty::v1::ErrorDetail detail;
  detail.set_reason(std::string(reason));
  detail.set_field(std::string(field));
  status.SetPayload(kErrorDetailTypeUrl,
                    absl::Cord(detail.SerializeAsString()));
  return status;
}

loyalty::v1::RpcStatus RpcStatusOf(const absl::Status& status) {
  loyalty::v1::RpcStatus proto;
  proto.set_code(static_cast<int>(status.code()));
  proto.set_message(std::string(status.message()));
  auto payload = status.GetPayload(kErrorDetailTypeUrl);
  if (payload.has_value()) {
    auto* any = proto.add_details();
    any->set_type_url(std::string(kErrorDetailTypeUrl));
    any->set_value(std::string(*payload));
  }
  return proto;
}

absl::Status StatusOf(const loyalty::v1::RpcStatus& proto) {
  const auto code = static_cast<absl::StatusCode>(proto.code());
  loyalty::v1::ErrorDetail detail;
  if (proto.details_size() != 1 ||
      proto.details(0).type_url() != kErrorDetailTypeUrl ||
      !detail.ParseFromString(proto.details(0).value())) {
    return absl::Status(code, proto.message());
  }
  return RestoreError(code, proto.message(), detail.reason(), detail.field());
}

absl::Status InvalidArgument(absl::string_view reason, absl::string_view field,
                             absl::string_view text) {
  return MakeError(absl::StatusCode::kInvalidArgument, reason, field, text);
}

absl::Status FailedPrecondition(absl::string_view reason,
                                absl::string_view field, absl::string_view text) {
  return MakeError(absl::StatusCode::kFailedPrecondition, reason, field, text);
}

absl::Status NotFound(absl::string_view reason, absl::string_view field,
                      absl::string_view text) {
  return MakeError(absl::StatusCode::kNotFound, reason, field, text);
}

std::string Quoted(absl::string_view value) {
  size_t end = value.size();
  if (end > kMaxQuotedBytes) {
    end = kMaxQuotedBytes;
    // Back to the start of a character: UTF-8 continuation bytes are 10xxxxxx.
    while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;
  }
  std::string quoted = "'";
  for (char c : value.substr(0, end)) {
    const auto byte = static_cast<unsigned char>(c);
    quoted.push_back(byte < 0x20 || byte == 0x7F ? '?' : c);
  }
  if (end < value.size()) quoted += "\u2026";
  quoted.push_back('\'');
  return quoted;
}

namespace {
loyalty::v1::ErrorDetail DetailOf(const absl::Status& status) {
  loyalty::v1::ErrorDetail detail;
  auto payload = status.GetPayload(kErrorDetailTypeUrl);
  if (payload.has_value()) detail.ParseFromString(std::string(*payload));
  return detail;
}
}  // namespace

std::string ErrorReason(const absl::Status& status) {
  return DetailOf(status).reason();
}

std::string ErrorField(const absl::Status& status) {
  return DetailOf(status).field();
}

}  // namespace loyalty
