// Reads a rule file in two passes over the YAML tree: first the shape (known
// sections and keys, required keys present, each value of the right type),
// then the range checks shared with CompiledRules::Compile, located at the
// line of the key that set the value. Every problem is kept, so a marketer
// fixes the whole file in one go instead of one error per attempt.
#include "engine/evaluator/rule_file.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/types/span.h"
#include "engine/base/error.h"
#include "engine/evaluator/evaluator.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "yaml-cpp/yaml.h"

namespace loyalty::evaluator {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using loyalty::v1::RuleSet;

// Rule files are a few dozen lines; anything near this size is not one, and
// the bound keeps a mistaken upload from costing the parser real memory.
constexpr size_t kMaxRuleFileBytes = size_t{1} << 20;

// One key of a section: its name in the file, the field of the section
// message it fills, and whether the file must have it.
struct KeySpec {
  const char* file_key;
  const char* proto_field;
  bool required;
};

// A section is both a top-level key of the file and a RuleSet field.
struct SectionSpec {
  const char* name;
  absl::Span<const KeySpec> keys;
};

constexpr KeySpec kProgramKeys[] = {
    {"id", "program_id", true},
    {"currency", "currency", true},
    {"point_value_minor", "point_value_minor", true},
};
constexpr KeySpec kEarnKeys[] = {
    {"points", "points", true},
    {"per_minor", "per_minor", true},
    {"rounding", "rounding", true},
    {"cashback_basis_points", "cashback_basis_points", false},  // 0 = off
};
constexpr KeySpec kBurnKeys[] = {
    {"max_basket_share_percent", "max_basket_share_percent", true},
    {"earned_points_pay_same_order", "earned_points_pay_same_order", true},
};
constexpr SectionSpec kSections[] = {
    {"program", kProgramKeys},
    {"earn", kEarnKeys},
    {"burn", kBurnKeys},
};

// The spelling of each rounding mode in a file.
constexpr std::pair<const char*, loyalty::v1::Rounding> kRoundingNames[] = {
    {"down", loyalty::v1::ROUNDING_DOWN},
    {"half_up", loyalty::v1::ROUNDING_HALF_UP},
    {"half_even", loyalty::v1::ROUNDING_HALF_EVEN},
    {"up", loyalty::v1::ROUNDING_UP},
};

struct Problem {
  int line;  // 1-based
  std::string text;
};

// A key read from a YAML map, with the line it sits on.
struct Entry {
  std::string key;
  int line;
  YAML::Node value;
};

// Where each accepted value came from, by proto path ("earn.per_minor"), so
// that a range problem found on the RuleSet points back into the file.
struct Location {
  int line;
  std::string file_path;  // as written in the file, e.g. "program.id"
};
using Locations = std::map<std::string, Location>;

int LineOf(const YAML::Mark& mark) { return mark.line < 0 ? 1 : mark.line + 1; }

std::string Describe(const YAML::Node& node) {
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a map";
  if (node.IsNull()) return "nothing";
  return absl::StrCat("'", node.Scalar(), "'");
}

template <typename Spec>
std::string JoinNames(absl::Span<const Spec> specs, const char* Spec::*name) {
  std::vector<std::string> names;
  for (const Spec& spec : specs) names.push_back(spec.*name);
  return absl::StrJoin(names, ", ");
}

std::string SectionNames() {
  return JoinNames<SectionSpec>(kSections, &SectionSpec::name);
}

// A value the author quoted ("10", 'true') is text in YAML even when it
// looks like a number; we refuse it rather than guess.
bool IsQuoted(const YAML::Node& node) { return node.Tag() == "!"; }

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

absl::StatusOr<int> ReadRounding(const YAML::Node& node) {
  if (node.IsScalar()) {
    for (const auto& [name, mode] : kRoundingNames) {
      if (node.Scalar() == name) return mode;
    }
  }
  std::vector<std::string> names;
  for (const auto& entry : kRoundingNames) names.push_back(entry.first);
  return absl::InvalidArgumentError(absl::StrCat(
      "must be one of ", absl::StrJoin(names, ", "), ", got ", Describe(node)));
}

// Reads `node` into `field` of `message`, by the field's type: the schema in
// rules.proto decides what a key holds, so the two cannot drift apart.
absl::Status ReadValue(const YAML::Node& node, const FieldDescriptor& field,
                       Message& message) {
  const google::protobuf::Reflection& reflection = *message.GetReflection();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      absl::StatusOr<std::string> text = ReadText(node);
      if (text.ok()) reflection.SetString(&message, &field, *text);
      return text.status();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      absl::StatusOr<int64_t> number = ReadInteger(node);
      if (number.ok()) reflection.SetInt64(&message, &field, *number);
      return number.status();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      absl::StatusOr<bool> flag = ReadBoolean(node);
      if (flag.ok()) reflection.SetBool(&message, &field, *flag);
      return flag.status();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {  // the only enum is Rounding
      absl::StatusOr<int> mode = ReadRounding(node);
      if (mode.ok()) reflection.SetEnumValue(&message, &field, *mode);
      return mode.status();
    }
    default:
      return absl::InternalError(absl::StrCat(
          "rule file reader has no reader for ", field.full_name()));
  }
}

// The entries of a YAML map whose keys are in `allowed`; unknown, duplicate
// and non-text keys become problems. `where` names the map in messages
// (empty for the top level, whose keys are sections).
template <typename Spec>
std::vector<Entry> ReadEntries(const YAML::Node& map, absl::string_view where,
                               absl::Span<const Spec> allowed,
                               const char* Spec::*name,
                               std::vector<Problem>& problems) {
  const std::string what = where.empty() ? "section" : "key";
  const std::string prefix = where.empty() ? "" : absl::StrCat(where, ": ");
  std::vector<Entry> entries;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const int line = LineOf(it->first.Mark());
    if (!it->first.IsScalar()) {
      problems.push_back({line, absl::StrCat(prefix, "a ", what,
                                             " name must be a plain word")});
      continue;
    }
    const std::string key = it->first.Scalar();
    const bool known =
        std::any_of(allowed.begin(), allowed.end(),
                    [&](const Spec& spec) { return key == spec.*name; });
    auto same =
        std::find_if(entries.begin(), entries.end(),
                     [&](const Entry& entry) { return entry.key == key; });
    if (!known) {
      problems.push_back({line, absl::StrCat(prefix, "unknown ", what, " '",
                                             key, "'; allowed ", what,
                                             "s: ", JoinNames(allowed, name))});
    } else if (same != entries.end()) {
      problems.push_back(
          {line, absl::StrCat(prefix, "duplicate ", what, " '", key,
                              "' (first set on line ", same->line, ")")});
    } else {
      entries.push_back({key, line, it->second});
    }
  }
  return entries;
}

const Entry* FindEntry(const std::vector<Entry>& entries,
                       absl::string_view key) {
  for (const Entry& entry : entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

// Reads one section (`section` is its entry in the top-level map) into the
// RuleSet field of the same name.
void ReadSection(const SectionSpec& spec, const Entry& section,
                 RuleSet& rule_set, std::vector<Problem>& problems,
                 Locations& locations) {
  const std::string key_names = JoinNames(spec.keys, &KeySpec::file_key);
  if (!section.value.IsMap()) {
    problems.push_back(
        {section.line,
         absl::StrCat(spec.name, ": must hold the keys ", key_names, ", got ",
                      Describe(section.value))});
    return;
  }
  const FieldDescriptor* section_field =
      RuleSet::descriptor()->FindFieldByName(spec.name);
  Message& message =
      *rule_set.GetReflection()->MutableMessage(&rule_set, section_field);
  std::vector<Entry> entries = ReadEntries(section.value, spec.name, spec.keys,
                                           &KeySpec::file_key, problems);
  for (const KeySpec& key : spec.keys) {
    const std::string file_path = absl::StrCat(spec.name, ".", key.file_key);
    const Entry* entry = FindEntry(entries, key.file_key);
    if (entry == nullptr) {
      if (key.required) {
        problems.push_back(
            {section.line, absl::StrCat(spec.name, ": missing key '",
                                        key.file_key, "' (required)")});
      }
      continue;
    }
    const FieldDescriptor* field =
        message.GetDescriptor()->FindFieldByName(key.proto_field);
    absl::Status read = ReadValue(entry->value, *field, message);
    if (!read.ok()) {
      problems.push_back(
          {entry->line, absl::StrCat(file_path, ": ", read.message())});
      continue;
    }
    locations[absl::StrCat(spec.name, ".", key.proto_field)] = {entry->line,
                                                                file_path};
  }
}

// Editors that indent with tabs produce YAML's least helpful message
// ("illegal map value"), so name the likely cause when the line has one.
std::string TabHint(absl::string_view yaml_text, int line) {
  for (int i = 1; i < line && !yaml_text.empty(); ++i) {
    const size_t end = yaml_text.find('\n');
    yaml_text.remove_prefix(end == absl::string_view::npos ? yaml_text.size()
                                                           : end + 1);
  }
  const absl::string_view text = yaml_text.substr(0, yaml_text.find('\n'));
  const size_t indent_end = text.find_first_not_of(" \t");
  return absl::StrContains(text.substr(0, indent_end), '\t')
             ? " (the line is indented with a tab; YAML allows only spaces)"
             : "";
}

// Loads the one YAML document of the file, or says why it cannot.
std::optional<YAML::Node> LoadDocument(absl::string_view yaml_text,
                                       std::vector<Problem>& problems) {
  if (yaml_text.size() > kMaxRuleFileBytes) {
    problems.push_back({1, absl::StrCat("the file has ", yaml_text.size(),
                                        " bytes; a rule file may have at most ",
                                        kMaxRuleFileBytes)});
    return std::nullopt;
  }
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(yaml_text));
  } catch (const YAML::Exception& error) {
    const int line = LineOf(error.mark);
    problems.push_back({line, absl::StrCat("YAML syntax: ", error.msg,
                                           TabHint(yaml_text, line))});
    return std::nullopt;
  }
  if (documents.size() > 1) {
    problems.push_back(
        {LineOf(documents[1].Mark()),
         "a rule file holds one YAML document, but a second one starts here "
         "(after '---')"});
    return std::nullopt;
  }
  if (documents.empty() || documents[0].IsNull()) {
    problems.push_back(
        {1, absl::StrCat("the file is empty; expected the sections ",
                         SectionNames())});
    return std::nullopt;
  }
  if (!documents[0].IsMap()) {
    problems.push_back({LineOf(documents[0].Mark()),
                        absl::StrCat("expected the sections ", SectionNames(),
                                     ", got ", Describe(documents[0]))});
    return std::nullopt;
  }
  return documents[0];
}

// Range problems of the values that were read; a value that could not be
// read was reported already and is not reported twice.
void AddRangeProblems(const RuleSet& rule_set, const Locations& locations,
                      std::vector<Problem>& problems) {
  for (const internal::RuleProblem& problem :
       internal::CheckRuleSet(rule_set)) {
    auto location = locations.find(problem.field);
    if (location == locations.end()) continue;
    problems.push_back(
        {location->second.line,
         absl::StrCat(location->second.file_path, ": ", problem.text)});
  }
}

struct Reading {
  RuleSet rule_set;
  std::vector<std::string> problems;  // "file:line: message", by line
};

Reading ReadRuleFile(absl::string_view file_name, absl::string_view yaml_text) {
  Reading reading;
  std::vector<Problem> problems;
  if (std::optional<YAML::Node> root = LoadDocument(yaml_text, problems)) {
    Locations locations;
    std::vector<Entry> sections = ReadEntries<SectionSpec>(
        *root, "", kSections, &SectionSpec::name, problems);
    for (const SectionSpec& spec : kSections) {
      const Entry* section = FindEntry(sections, spec.name);
      if (section == nullptr) {
        problems.push_back(
            {1, absl::StrCat("missing section '", spec.name, "' (required)")});
        continue;
      }
      ReadSection(spec, *section, reading.rule_set, problems, locations);
    }
    AddRangeProblems(reading.rule_set, locations, problems);
  }
  std::stable_sort(
      problems.begin(), problems.end(),
      [](const Problem& a, const Problem& b) { return a.line < b.line; });
  for (const Problem& problem : problems) {
    reading.problems.push_back(
        absl::StrCat(file_name, ":", problem.line, ": ", problem.text));
  }
  return reading;
}

}  // namespace

std::vector<std::string> ValidateRuleFile(absl::string_view file_name,
                                          absl::string_view yaml_text) {
  return ReadRuleFile(file_name, yaml_text).problems;
}

absl::StatusOr<loyalty::v1::RuleSet> ParseRuleFile(
    absl::string_view file_name, absl::string_view yaml_text) {
  Reading reading = ReadRuleFile(file_name, yaml_text);
  if (!reading.problems.empty()) {
    return InvalidArgument("INVALID_RULES", "",
                           absl::StrJoin(reading.problems, "\n"));
  }
  reading.rule_set.set_version(internal::RuleSetVersion(reading.rule_set));
  reading.rule_set.set_source_name(std::string(file_name));
  return std::move(reading.rule_set);
}

}  // namespace loyalty::evaluator
