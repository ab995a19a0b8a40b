#include "output.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <iostream>
#include <iterator>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "engine/base/money.h"

namespace loyaltyctl {
namespace {

// Names of grpc::StatusCode values 0..16, as gRPC documents them.
constexpr const char* kCodeNames[] = {"OK",
                                      "CANCELLED",
                                      "UNKNOWN",
                                      "INVALID_ARGUMENT",
                                      "DEADLINE_EXCEEDED",
                                      "NOT_FOUND",
                                      "ALREADY_EXISTS",
                                      "PERMISSION_DENIED",
                                      "RESOURCE_EXHAUSTED",
                                      "FAILED_PRECONDITION",
                                      "ABORTED",
                                      "OUT_OF_RANGE",
                                      "UNIMPLEMENTED",
                                      "INTERNAL",
                                      "UNAVAILABLE",
                                      "DATA_LOSS",
                                      "UNAUTHENTICATED"};

// The ErrorDetail inside a serialized loyalty.v1.RpcStatus, if any.
std::optional<loyalty::v1::ErrorDetail> FindErrorDetail(
    const std::string& status_details) {
  loyalty::v1::RpcStatus rpc_status;
  if (status_details.empty() || !rpc_status.ParseFromString(status_details)) {
    return std::nullopt;
  }
  for (const google::protobuf::Any& any : rpc_status.details()) {
    loyalty::v1::ErrorDetail detail;
    if (any.UnpackTo(&detail)) return detail;
  }
  return std::nullopt;
}

// Prints the error of a failed call or of local work; returns 1.
int PrintError(const std::string& code, const std::string& message,
               const std::optional<loyalty::v1::ErrorDetail>& detail,
               bool json) {
  if (json) {
    std::cout << "{\"code\": " << JsonString(code)
              << ", \"message\": " << JsonString(message)
              << ", \"reason\": " << JsonString(detail ? detail->reason() : "")
              << ", \"field\": " << JsonString(detail ? detail->field() : "")
              << "}\n";
    return 1;
  }
  std::cerr << "error: " << code << ": " << message << "\n";
  if (detail) {
    std::cerr << "reason: " << detail->reason()
              << "  field: " << detail->field() << "\n";
  }
  if (code == "UNAUTHENTICATED") {
    std::cerr << "hint: send an API key with --api-key-file FILE (e.g. the "
                 "server's <data_dir>/ADMIN_KEY) or $LOYALTY_API_KEY\n";
  }
  return 1;
}

}  // namespace

std::string CodeName(grpc::StatusCode code) {
  const int index = static_cast<int>(code);
  if (index < 0 || index >= static_cast<int>(std::size(kCodeNames))) {
    return absl::StrCat("CODE_", index);
  }
  return kCodeNames[index];
}

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      constexpr char kHex[] = "0123456789abcdef";
      absl::StrAppend(&out, "\\u00", std::string(1, kHex[(c >> 4) & 0xf]),
                      std::string(1, kHex[c & 0xf]));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string FormatMoney(int64_t amount_minor, absl::string_view currency) {
  return loyalty::FormatMoney(amount_minor, currency);
}

std::string FormatMoneyOrPlain(int64_t amount_minor,
                               absl::string_view currency) {
  if (currency.empty()) return FormatCenti(amount_minor);
  return FormatMoney(amount_minor, currency);
}

// A tier measure's amount: money for spend, a plain count otherwise.
std::string FormatMeasure(int64_t amount,
                          const loyalty::v1::TierProgress& progress) {
  if (progress.currency().empty()) return absl::StrCat(amount);
  return FormatMoney(amount, progress.currency());
}

std::string WalletCurrency(const loyalty::v1::Balance& balance) {
  if (balance.cashback_minor_size() != 1) return "";
  return balance.cashback_minor(0).currency();
}

std::string FormatBasisPoints(int64_t basis_points) {
  return absl::StrCat(FormatCenti(basis_points), "%");
}

std::string FormatCenti(int64_t hundredths) {
  // Unsigned so that INT64_MIN has a magnitude, and -5 prints as -0.05.
  const uint64_t magnitude = hundredths < 0
                                 ? 0 - static_cast<uint64_t>(hundredths)
                                 : static_cast<uint64_t>(hundredths);
  const uint64_t fraction = magnitude % 100;
  return absl::StrCat(hundredths < 0 ? "-" : "", magnitude / 100,
                      fraction < 10 ? ".0" : ".", fraction);
}

std::string FormatAmount(int64_t amount, absl::string_view asset) {
  if (asset == "PTS") return absl::StrCat(amount, " PTS");
  return FormatMoney(amount, asset);
}

std::string KindName(loyalty::v1::EntryKind kind) {
  const std::string& name = loyalty::v1::EntryKind_Name(kind);
  if (name.empty()) return absl::StrCat(static_cast<int>(kind));
  return absl::AsciiStrToLower(absl::StripPrefix(name, "ENTRY_KIND_"));
}

std::string FormatSigned(int64_t value) {
  return value > 0 ? absl::StrCat("+", value) : absl::StrCat(value);
}

std::string FormatTime(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "-";
  return google::protobuf::util::TimeUtil::ToString(time);
}

KeyValues BalanceRows(const loyalty::v1::Balance& balance) {
  KeyValues rows = {
      {"member", balance.member_id()},
      {"tier", balance.tier().empty() ? "-" : balance.tier()},
      {"points available", absl::StrCat(balance.points_available())},
      {"points pending", absl::StrCat(balance.points_pending())},
  };
  for (const loyalty::v1::CurrencyAmount& cashback : balance.cashback_minor()) {
    rows.emplace_back(
        absl::StrCat("cashback ", cashback.currency()),
        FormatMoney(cashback.amount_minor(), cashback.currency()));
  }
  if (balance.cashback_minor().empty()) rows.emplace_back("cashback", "none");
  if (balance.has_next_release_time()) {
    rows.emplace_back("next release", FormatTime(balance.next_release_time()));
  }
  if (balance.points_expiring_30_days() > 0) {
    rows.emplace_back("expiring in 30 days",
                      absl::StrCat(balance.points_expiring_30_days(), " (first on ",
                                   FormatTime(balance.next_expiry_time()), ")"));
  }
  if (balance.has_tier_progress()) {
    const loyalty::v1::TierProgress& tier = balance.tier_progress();
    rows.emplace_back("tier progress",
                      absl::StrCat(FormatMeasure(tier.qualifying(), tier), " ",
                                   tier.measure(), " in the window"));
    if (!tier.next_tier().empty()) {
      rows.emplace_back("next tier",
                        absl::StrCat(tier.next_tier(), " at ",
                                     FormatMeasure(tier.next_threshold(), tier), ", ",
                                     FormatMeasure(tier.missing(), tier), " to go"));
    }
    if (tier.has_review_time()) {
      rows.emplace_back("tier review", absl::StrCat(FormatTime(tier.review_time()),
                                                    tier.in_grace() ? " (in grace)" : ""));
    }
    if (!tier.perks().empty()) rows.emplace_back("perks", absl::StrJoin(tier.perks(), ", "));
  }
  return rows;
}

void PrintKeyValues(const KeyValues& rows) {
  size_t width = 0;
  for (const auto& [key, value] : rows) width = std::max(width, key.size());
  for (const auto& [key, value] : rows) {
    std::cout << key << std::string(width - key.size() + 2, ' ') << value
              << "\n";
  }
}

void PrintTable(const Row& header, const std::vector<Row>& rows) {
  std::vector<size_t> widths(header.size(), 0);
  auto widen = [&widths](const Row& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  };
  widen(header);
  for (const Row& row : rows) widen(row);
  auto print = [&widths](const Row& row) {
    for (size_t i = 0; i < row.size(); ++i) {
      const bool last = i + 1 == row.size();
      std::cout << row[i];
      if (!last) std::cout << std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::cout << "\n";
  };
  print(header);
  for (const Row& row : rows) print(row);
}

void PrintSection(absl::string_view heading, const KeyValues& rows) {
  std::cout << "\n" << heading << ":\n";
  PrintKeyValues(rows);
}

int PrintJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.add_whitespace = true;
  std::string json;
  const auto status =
      google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    std::cerr << "error: INTERNAL: cannot print JSON: " << status.ToString()
              << "\n";
    return 1;
  }
  std::cout << json;
  if (json.empty() || json.back() != '\n') std::cout << "\n";
  return 0;
}

int PrintRpcError(const grpc::Status& status, bool json) {
  const std::optional<loyalty::v1::ErrorDetail> detail =
      FindErrorDetail(status.error_details());
  return PrintError(CodeName(status.error_code()), status.error_message(),
                    detail, json);
}

std::string ErrorReason(const grpc::Status& status) {
  const std::optional<loyalty::v1::ErrorDetail> detail =
      FindErrorDetail(status.error_details());
  return detail ? detail->reason() : "";
}

int PrintStatusError(const absl::Status& status, bool json) {
  return PrintError(absl::StatusCodeToString(status.code()),
                    std::string(status.message()), std::nullopt, json);
}

}  // namespace loyaltyctl
