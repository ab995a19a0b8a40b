// Readers for YAML values in rule files: whole numbers, texts, booleans,
// lists, maps and validity windows, each reporting a problem at its line.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "engine/base/money.h"
#include "engine/base/time_util.h"
#include "engine/evaluator/rule_file_reader.h"

namespace loyalty::evaluator::internal {
namespace {

// A value the author quoted ("10", 'true') is text in YAML even when it
// looks like a number; we refuse it rather than guess.
bool IsQuoted(const YAML::Node& node) { return node.Tag() == "!"; }

constexpr const char* kDayNames[] = {"monday", "tuesday", "wednesday",
                                     "thursday", "friday", "saturday",
                                     "sunday"};

std::optional<int> DayNumber(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  for (int i = 0; i < 7; ++i) {
    const absl::string_view name = kDayNames[i];
    if (lower == name || (lower.size() == 3 && name.substr(0, 3) == lower)) {
      return i + 1;
    }
  }
  return std::nullopt;
}

// "mon", "Saturday", "mon-fri" -> ISO day numbers; empty when not a day.
std::vector<int> ParseDays(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '-');
  std::vector<int> days;
  if (parts.size() == 1) {
    if (std::optional<int> day = DayNumber(parts[0])) days.push_back(*day);
  } else if (parts.size() == 2) {
    std::optional<int> first = DayNumber(parts[0]);
    std::optional<int> last = DayNumber(parts[1]);
    if (first.has_value() && last.has_value() && *first <= *last) {
      for (int day = *first; day <= *last; ++day) days.push_back(day);
    }
  }
  return days;
}

// "8", "08", "08:00" -> 8.
std::optional<int64_t> ParseHour(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (absl::EndsWith(text, ":00")) text.remove_suffix(3);
  int64_t hour = 0;
  if (text.empty() || text.size() > 2 ||
      !std::all_of(text.begin(), text.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(text, &hour)) {
    return std::nullopt;
  }
  return hour;
}

// "2024-06-01" (a whole day) or "2024-06-01 08:30[:00]" in `zone`. A whole
// day given as `to` ends at the end of that day.
std::optional<absl::Time> ParseInstant(std::string text, absl::TimeZone zone,
                                       bool end_of_day) {
  absl::CivilDay day;
  if (text.size() == 10 && absl::ParseCivilTime(text, &day)) {
    return absl::FromCivil(end_of_day ? day + 1 : day, zone);
  }
  absl::StrReplaceAll({{" ", "T"}}, &text);
  absl::CivilMinute minute;
  if (absl::ParseCivilTime(text, &minute)) return absl::FromCivil(minute, zone);
  absl::CivilSecond second;
  if (absl::ParseCivilTime(text, &second)) return absl::FromCivil(second, zone);
  return std::nullopt;
}

}  // namespace

int LineOf(const YAML::Mark& mark) { return mark.line < 0 ? 1 : mark.line + 1; }

std::string Describe(const YAML::Node& node) {
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a map";
  if (node.IsNull()) return "nothing";
  return absl::StrCat("'", node.Scalar(), "'");
}

absl::StatusOr<int64_t> ReadInteger(const YAML::Node& node) {
  if (node.IsNull()) {
    return absl::InvalidArgumentError("has no value; expected a whole number");
  }
  if (!node.IsScalar()) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be a whole number, got ", Describe(node)));
  }
  const std::string& text = node.Scalar();
  if (IsQuoted(node)) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be a whole number, got the text \"", text,
                     "\" (remove the quotes)"));
  }
  absl::string_view digits = text;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    digits.remove_prefix(1);
  }
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit)) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be a whole number, got ", Describe(node)));
  }
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "is too large: ", text, " does not fit in a 64-bit whole number"));
  }
  return value;
}

absl::StatusOr<std::string> ReadText(const YAML::Node& node) {
  if (node.IsNull()) {
    return absl::InvalidArgumentError("has no value; expected text");
  }
  if (!node.IsScalar()) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be text, got ", Describe(node)));
  }
  return node.Scalar();
}

absl::StatusOr<bool> ReadBoolean(const YAML::Node& node) {
  if (node.IsScalar() && !IsQuoted(node)) {
    const std::string& text = node.Scalar();
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("must be true or false, got ", Describe(node)));
}

std::vector<Entry> ReadMap(FileReader& reader, const YAML::Node& map, int line,
                           absl::string_view name,
                           absl::Span<const char* const> allowed) {
  const std::string names = absl::StrJoin(allowed, ", ");
  std::vector<Entry> entries;
  if (!map.IsMap()) {
    reader.Report(line, absl::StrCat(name, ": must hold the keys ", names,
                                     ", got ", Describe(map)));
    return entries;
  }
  for (auto it = map.begin(); it != map.end(); ++it) {
    const int key_line = LineOf(it->first.Mark());
    if (!it->first.IsScalar()) {
      reader.Report(key_line, absl::StrCat(name, ": a key must be a plain word"));
      continue;
    }
    const std::string key = it->first.Scalar();
    const bool known = std::any_of(allowed.begin(), allowed.end(),
                                   [&](const char* k) { return key == k; });
    const Entry* same = Find(entries, key);
    if (!known) {
      reader.Report(key_line, absl::StrCat(name, ": unknown key '", key,
                                           "'; allowed keys: ", names));
    } else if (same != nullptr) {
      reader.Report(key_line, absl::StrCat(name, ": duplicate key '", key,
                                           "' (first set on line ", same->line,
                                           ")"));
    } else {
      entries.push_back({key, key_line, it->second});
    }
  }
  return entries;
}

const Entry* Find(const std::vector<Entry>& entries, absl::string_view key) {
  for (const Entry& entry : entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

void RequireKeys(FileReader& reader, const std::vector<Entry>& entries,
                 int line, absl::string_view name,
                 absl::Span<const char* const> required) {
  for (const char* key : required) {
    if (Find(entries, key) == nullptr) {
      reader.Report(line, absl::StrCat(name, ": missing key '", key,
                                       "' (required)"));
    }
  }
}

template <typename T>
std::optional<T> Accept(FileReader& reader, const Entry& entry,
                        absl::StatusOr<T> value, const std::string& proto_path,
                        const std::string& name) {
  if (!value.ok()) {
    reader.Report(entry.line, absl::StrCat(name, ": ", value.status().message()));
    return std::nullopt;
  }
  reader.Locate(proto_path, entry.line, name);
  return *std::move(value);
}

std::optional<int64_t> ReadIntegerAt(FileReader& reader, const Entry& entry,
                                     const std::string& proto_path,
                                     const std::string& name) {
  absl::StatusOr<int64_t> value = ReadInteger(entry.value);
  if (!value.ok()) {
    value = absl::Status(value.status().code(),
                         absl::StrCat(value.status().message(),
                                      MinorUnitsHint(reader, name, entry.value)));
  }
  return Accept(reader, entry, std::move(value), proto_path, name);
}

std::string MinorUnitsHint(const FileReader& reader, absl::string_view name,
                           const YAML::Node& node) {
  if (!absl::EndsWith(name, "_minor") || !node.IsScalar()) return "";
  absl::StatusOr<int64_t> minor = ParseMoney(node.Scalar(), reader.currency);
  if (!minor.ok()) return "";
  return absl::StrCat(" (this key is in minor units: write ", *minor, " for ",
                      FormatMoney(*minor, reader.currency), ")");
}

absl::StatusOr<int64_t> ReadMoney(const YAML::Node& node,
                                  absl::string_view currency) {
  if (node.IsNull()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "has no value; expected an amount such as 200.00 or \"200.00 ",
        currency, "\""));
  }
  if (!node.IsScalar()) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be an amount such as 200.00, got ", Describe(node)));
  }
  return ParseMoney(node.Scalar(), currency);
}

std::optional<int64_t> ReadMoneyAt(FileReader& reader, const Entry& entry,
                                   const std::string& proto_path,
                                   const std::string& name) {
  return Accept(reader, entry, ReadMoney(entry.value, reader.currency),
                proto_path, name);
}

std::optional<std::string> ReadTextAt(FileReader& reader, const Entry& entry,
                                      const std::string& proto_path,
                                      const std::string& name) {
  return Accept(reader, entry, ReadText(entry.value), proto_path, name);
}

std::optional<bool> ReadBooleanAt(FileReader& reader, const Entry& entry,
                                  const std::string& proto_path,
                                  const std::string& name) {
  return Accept(reader, entry, ReadBoolean(entry.value), proto_path, name);
}

std::optional<std::vector<std::string>> ReadTextListAt(
    FileReader& reader, const Entry& entry, const std::string& proto_path,
    const std::string& name) {
  std::vector<std::string> texts;
  if (entry.value.IsScalar()) {
    texts.push_back(entry.value.Scalar());
  } else if (entry.value.IsSequence()) {
    for (const YAML::Node& item : entry.value) {
      if (!item.IsScalar()) {
        reader.Report(LineOf(item.Mark()),
                      absl::StrCat(name, ": each entry must be text, got ",
                                   Describe(item)));
        return std::nullopt;
      }
      texts.push_back(item.Scalar());
    }
  } else {
    reader.Report(entry.line, absl::StrCat(name, ": must be a list such as "
                                                 "[a, b], got ",
                                           Describe(entry.value)));
    return std::nullopt;
  }
  reader.Locate(proto_path, entry.line, name);
  return texts;
}

namespace {

void ReadInstant(FileReader& reader, const Entry& entry, bool end_of_day,
                 const std::string& proto_path, const std::string& name,
                 google::protobuf::Timestamp& out) {
  std::optional<std::string> text = ReadTextAt(reader, entry, proto_path, name);
  if (!text.has_value()) return;
  std::optional<absl::Time> time = ParseInstant(*text, reader.zone, end_of_day);
  if (!time.has_value()) {
    reader.Report(entry.line,
                  absl::StrCat(name, ": must be a date such as 2024-06-01 or "
                                     "a time such as 2024-06-01 08:30, got '",
                               *text, "'"));
    return;
  }
  out = ToTimestamp(*time);
}

void ReadWeekdays(FileReader& reader, const Entry& entry,
                  const std::string& proto_path, const std::string& name,
                  loyalty::v1::Validity& validity) {
  std::optional<std::vector<std::string>> texts =
      ReadTextListAt(reader, entry, proto_path, name);
  if (!texts.has_value()) return;
  for (const std::string& text : *texts) {
    const std::vector<int> days = ParseDays(text);
    if (days.empty()) {
      reader.Report(entry.line,
                    absl::StrCat(name, ": '", text,
                                 "' is not a weekday (mon, tue, wed, thu, fri, "
                                 "sat, sun) or a range such as mon-fri"));
    }
    for (int day : days) {
      validity.add_weekdays(static_cast<loyalty::v1::Weekday>(day));
    }
  }
}

void ReadHours(FileReader& reader, const Entry& entry,
               const std::string& proto_path, const std::string& name,
               loyalty::v1::Validity& validity) {
  std::optional<std::string> text = ReadTextAt(reader, entry, proto_path, name);
  if (!text.has_value()) return;
  std::vector<absl::string_view> parts = absl::StrSplit(*text, '-');
  std::optional<int64_t> from = ParseHour(parts[0]);
  std::optional<int64_t> to =
      parts.size() == 2 ? ParseHour(parts[1]) : std::nullopt;
  if (!from.has_value() || !to.has_value()) {
    reader.Report(entry.line,
                  absl::StrCat(name, ": must be whole hours such as 8-20 (8:00 "
                                     "to 20:00) or 22-2 (past midnight), got '",
                               *text, "'"));
    return;
  }
  validity.mutable_hours()->set_from_hour(*from);
  validity.mutable_hours()->set_to_hour(*to);
}

}  // namespace

void ReadValidity(FileReader& reader, const Entry& entry,
                  const std::string& proto_path, const std::string& name,
                  loyalty::v1::Validity& validity) {
  static constexpr const char* kKeys[] = {"from", "to", "weekdays", "hours"};
  reader.Locate(proto_path, entry.line, name);
  for (const Entry& key : ReadMap(reader, entry.value, entry.line, name, kKeys)) {
    const std::string path = absl::StrCat(proto_path, ".");
    const std::string key_name = absl::StrCat(name, ".", key.key);
    if (key.key == "from") {
      ReadInstant(reader, key, false, path + "from_time", key_name,
                  *validity.mutable_from_time());
    } else if (key.key == "to") {
      ReadInstant(reader, key, true, path + "to_time", key_name,
                  *validity.mutable_to_time());
    } else if (key.key == "weekdays") {
      ReadWeekdays(reader, key, path + "weekdays", key_name, validity);
    } else {
      ReadHours(reader, key, path + "hours", key_name, validity);
    }
  }
}

}  // namespace loyalty::evaluator::internal
