#include "engine/base/money.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "engine/base/checked_math.h"

namespace loyalty {
namespace {

constexpr const char* kNoMinorUnits[] = {
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
    "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"};
constexpr const char* kThreeDigits[] = {"BHD", "IQD", "JOD", "KWD",
                                        "LYD", "OMR", "TND"};

bool IsCurrencyCode(absl::string_view text) {
  return text.size() == 3 &&
         std::all_of(text.begin(), text.end(), absl::ascii_isupper);
}

bool AllDigits(absl::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), absl::ascii_isdigit);
}

absl::Status Refuse(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("'", text.substr(0, 40), "' ", why));
}

// What to write instead of the bare number `units` in `currency`.
std::string Spellings(int64_t units, absl::string_view currency) {
  const int digits = MinorDigits(currency);
  std::string meant = absl::StrCat(units, ".", std::string(digits, '0'));
  return absl::StrCat("write ", meant, " for ", meant, " ", currency, ", or ",
                      FormatMinor(units, currency), " if you meant ", units,
                      digits == 2 ? " cents" : " minor units");
}

}  // namespace

int MinorDigits(absl::string_view currency) {
  for (const char* code : kNoMinorUnits) {
    if (currency == code) return 0;
  }
  for (const char* code : kThreeDigits) {
    if (currency == code) return 3;
  }
  return 2;
}

std::string FormatMinor(int64_t amount_minor, absl::string_view currency) {
  const int digits = MinorDigits(currency);
  // Through unsigned so that INT64_MIN has a magnitude.
  const uint64_t magnitude =
      amount_minor < 0 ? uint64_t{0} - static_cast<uint64_t>(amount_minor)
                       : static_cast<uint64_t>(amount_minor);
  std::string text = absl::StrCat(magnitude);
  if (digits > 0) {
    if (text.size() <= static_cast<size_t>(digits)) {
      text.insert(0, static_cast<size_t>(digits) + 1 - text.size(), '0');
    }
    text.insert(text.size() - static_cast<size_t>(digits), ".");
  }
  return amount_minor < 0 ? absl::StrCat("-", text) : text;
}

std::string FormatMoney(int64_t amount_minor, absl::string_view currency) {
  return absl::StrCat(FormatMinor(amount_minor, currency), " ", currency);
}

absl::StatusOr<int64_t> ParseMoney(absl::string_view text,
                                   absl::string_view currency) {
  absl::string_view number = absl::StripAsciiWhitespace(text);
  bool has_code = false;
  const size_t space = number.find(' ');
  if (space != absl::string_view::npos) {
    const absl::string_view code =
        absl::StripLeadingAsciiWhitespace(number.substr(space + 1));
    if (!IsCurrencyCode(code)) {
      return Refuse(text, absl::StrCat("is not an amount; write it as 200.00 "
                                       "or \"200.00 ", currency, "\""));
    }
    if (code != currency) {
      return Refuse(text, absl::StrCat("is in ", code,
                                       ", but the program's currency is ",
                                       currency));
    }
    has_code = true;
    number = number.substr(0, space);
  }
  const bool negative = absl::ConsumePrefix(&number, "-");
  const std::vector<absl::string_view> parts =
      absl::StrSplit(number, absl::MaxSplits('.', 1));
  const bool has_point = parts.size() == 2;
  if (!AllDigits(parts[0]) || (has_point && !AllDigits(parts[1]))) {
    return Refuse(text, absl::StrCat("is not an amount; write it as 200.00 "
                                     "or \"200.00 ", currency, "\""));
  }
  const int digits = MinorDigits(currency);
  if (has_point && parts[1].size() > static_cast<size_t>(digits)) {
    return Refuse(text, absl::StrCat("has more decimals than ", currency,
                                     " has (", digits, ")"));
  }
  int64_t units = 0;
  int64_t fraction = 0;
  if (!absl::SimpleAtoi(parts[0], &units) ||
      (has_point && !absl::SimpleAtoi(parts[1], &fraction))) {
    return Refuse(text, "is too large");
  }
  if (!has_point && !has_code && digits > 0 && units != 0) {
    return Refuse(text, absl::StrCat("is ambiguous: amounts are written in ",
                                     currency, " with decimals; ",
                                     Spellings(units, currency)));
  }
  int64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  if (has_point) {
    for (size_t i = parts[1].size(); i < static_cast<size_t>(digits); ++i) {
      fraction *= 10;
    }
  }
  const std::optional<int64_t> scaled = CheckedMul(units, scale);
  const std::optional<int64_t> minor =
      scaled ? CheckedAdd(*scaled, fraction) : std::nullopt;
  if (!minor) return Refuse(text, "is too large");
  return negative ? -*minor : *minor;
}

}  // namespace loyalty
