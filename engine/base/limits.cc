#include "engine/base/limits.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "google/protobuf/descriptor.h"

namespace loyalty {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr absl::string_view kTooLong = "TEXT_TOO_LONG";
constexpr absl::string_view kTooMany = "TOO_MANY_VALUES";

// Every string field a request of proto/loyalty/v1 carries, by name. Keep
// README.md's "Limits" table in step.
constexpr FieldLimit kTextLimits[] = {
    {"request_id", kMaxRequestIdBytes, kTooLong},
    {"member_id", kMaxMemberIdBytes, kTooLong},
    {"order_id", kMaxOrderIdBytes, kTooLong},
    {"sku", kMaxSkuBytes, kTooLong},
    {"category", kMaxIdBytes, kTooLong},
    {"partner_id", kMaxIdBytes, kTooLong},
    {"store_id", kMaxIdBytes, kTooLong},
    {"terminal_id", kMaxIdBytes, kTooLong},
    {"reward_id", kMaxIdBytes, kTooLong},
    {"key_id", kMaxIdBytes, kTooLong},
    {"reason_code", kMaxIdBytes, kTooLong},
    {"currency", 3, kTooLong},
    {"promo_codes", kMaxPromoCodeBytes, kTooLong},
    {"referral_code", kMaxPromoCodeBytes, kTooLong},
    {"referred_by", kMaxMemberIdBytes, kTooLong},
    {"display_name", kMaxProfileTextBytes, kTooLong},
    {"email", kMaxProfileTextBytes, kTooLong},
    {"card_number", kMaxProfileTextBytes, kTooLong},
    {"name_prefix", kMaxProfileTextBytes, kTooLong},
    {"paths", kMaxIdBytes, kTooLong},  // an update mask's field names
    {"phone", kMaxProfileTextBytes, kTooLong},
    {"region", kMaxProfileTextBytes, kTooLong},
    {"birth_date", 10, kTooLong},
    {"segments", kMaxIdBytes, kTooLong},
    {"sample_segment", kMaxIdBytes, kTooLong},
    {"name", kMaxProfileTextBytes, kTooLong},
    {"note", kMaxNoteBytes, kTooLong},
    {"file_name", kMaxProfileTextBytes, kTooLong},
    {"yaml", kMaxRuleFileFieldBytes, kTooLong},
    {"page_token", 128, kTooLong},
    {"backup_dir", 4096, kTooLong},
};

// Every repeated field a request carries, by name.
constexpr FieldLimit kCountLimits[] = {
    {"lines", kMaxBasketLines, "TOO_MANY_LINES"},
    {"promo_codes", kMaxPromoCodesPerPurchase, "TOO_MANY_PROMO_CODES"},
    {"segments", kMaxSegments, kTooMany},
    {"purchases", kMaxBatchPurchases, "TOO_MANY_PURCHASES"},
    {"kinds", kMaxEventKinds, kTooMany},
    {"paths", 16, kTooMany},
};

template <size_t N>
std::optional<FieldLimit> Find(const FieldLimit (&table)[N],
                               absl::string_view field) {
  for (const FieldLimit& limit : table) {
    if (limit.field == field) return limit;
  }
  return std::nullopt;
}

// A field with no entry: refused beyond the strictest bound (see limits.h).
FieldLimit TextLimitOrDefault(absl::string_view field) {
  return TextLimitOf(field).value_or(FieldLimit{field, kMaxIdBytes, kTooLong});
}

FieldLimit CountLimitOrDefault(absl::string_view field) {
  return CountLimitOf(field).value_or(FieldLimit{field, 1, kTooMany});
}

absl::Status TextTooLong(const FieldLimit& limit, const std::string& path,
                         size_t size) {
  return InvalidArgument(limit.reason, path,
                         absl::StrCat("at most ", limit.max, " bytes, got ", size));
}

absl::Status CheckMessage(const Message& message, const std::string& prefix);

// One set field of `message`; `path` names it from the request's root.
absl::Status CheckField(const Message& message, const FieldDescriptor& field,
                        const std::string& path) {
  const Reflection& reflection = *message.GetReflection();
  const bool text = field.cpp_type() == FieldDescriptor::CPPTYPE_STRING;
  const bool nested = field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
  if (!field.is_repeated()) {
    if (text) {
      const FieldLimit limit = TextLimitOrDefault(field.name());
      std::string scratch;
      const std::string& value =
          reflection.GetStringReference(message, &field, &scratch);
      if (value.size() > limit.max) return TextTooLong(limit, path, value.size());
    }
    if (nested && field.message_type()->file()->package() == "loyalty.v1") {
      return CheckMessage(reflection.GetMessage(message, &field), path + ".");
    }
    return absl::OkStatus();
  }
  const int count = reflection.FieldSize(message, &field);
  const FieldLimit count_limit = CountLimitOrDefault(field.name());
  if (static_cast<size_t>(count) > count_limit.max) {
    return InvalidArgument(count_limit.reason, path,
                           absl::StrCat("at most ", count_limit.max,
                                        " values, got ", count));
  }
  for (int i = 0; i < count; ++i) {
    const std::string item = absl::StrCat(path, "[", i, "]");
    if (text) {
      const FieldLimit limit = TextLimitOrDefault(field.name());
      std::string scratch;
      const std::string& value =
          reflection.GetRepeatedStringReference(message, &field, i, &scratch);
      if (value.size() > limit.max) return TextTooLong(limit, item, value.size());
    } else if (nested) {
      absl::Status status =
          CheckMessage(reflection.GetRepeatedMessage(message, &field, i), item + ".");
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

absl::Status CheckMessage(const Message& message, const std::string& prefix) {
  std::vector<const FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    absl::Status status =
        CheckField(message, *field, absl::StrCat(prefix, field->name()));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<FieldLimit> TextLimitOf(absl::string_view field) {
  return Find(kTextLimits, field);
}

std::optional<FieldLimit> CountLimitOf(absl::string_view field) {
  return Find(kCountLimits, field);
}

absl::Status CheckRequestLimits(const Message& request) {
  return CheckMessage(request, "");
}

}  // namespace loyalty
