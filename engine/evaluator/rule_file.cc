// Reads a rule file in two passes over the YAML tree: first the shape (known
// sections and keys, required keys present, each value of the right type),
// then the checks shared with CompiledRules::Compile (CheckRuleSet), located
// at the line of the key that set the value. Every problem is kept, so a
// marketer fixes the whole file in one go instead of one error per attempt.
#include "engine/evaluator/rule_file.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/types/span.h"
#include "engine/base/error.h"
#include "engine/evaluator/evaluator.h"
#include "engine/evaluator/rule_file_reader.h"
#include "engine/evaluator/time_zone.h"
#include "google/protobuf/descriptor.h"
#include "yaml-cpp/eventhandler.h"
#include "google/protobuf/message.h"

namespace loyalty::evaluator {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using internal::Entry;
using internal::FileReader;
using loyalty::v1::RuleSet;

// Rule files are a few hundred lines; anything near this size is not one,
// and the bound keeps a mistaken upload from costing the parser real memory.
constexpr size_t kMaxRuleFileBytes = size_t{1} << 20;

// One key of a settings section: its name in the file, the field of the
// section message it fills, and whether the file must have it.
struct KeySpec {
  const char* file_key;
  const char* proto_field;
  bool required;
};

// A settings section is both a top-level key of the file and a RuleSet field.
struct SectionSpec {
  const char* name;
  absl::Span<const KeySpec> keys;
};

constexpr KeySpec kProgramKeys[] = {
    {"id", "program_id", true},
    {"currency", "currency", true},
    {"point_value_minor", "point_value_minor", true},
    {"time_zone", "time_zone", false},                  // UTC
    {"application_order", "application_order", false},  // discounts_burn_earn
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
constexpr KeySpec kRefundKeys[] = {
    {"clawback", "clawback", true},
};
constexpr KeySpec kPointsKeys[] = {
    {"pending_days", "pending_days", false},    // 0: available at once
    {"lifetime_days", "lifetime_days", false},  // 0: never expire
    {"expiry_notice_days", "expiry_notice_days", false},  // unset: 30
};
// `levels` is a list, read by ReadTierLevels (rule_file_programs.cc).
constexpr KeySpec kTiersKeys[] = {
    {"measure", "measure", true},
    {"window", "window", true},
    {"window_days", "window_days", false},  // rolling windows need it
    {"review_days", "review_days", false},  // 0: window_days
    {"grace_days", "grace_days", false},    // 0: no grace
    {"levels", nullptr, true},
};
constexpr KeySpec kBirthdayKeys[] = {
    {"points", "points", true},
    {"when", "when", true},
};
constexpr KeySpec kReferralKeys[] = {
    {"referrer_points", "referrer_points", false},
    {"newcomer_points", "newcomer_points", false},
    {"referrer_cashback_minor", "referrer_cashback_minor", false},
    {"newcomer_cashback_minor", "newcomer_cashback_minor", false},
    {"min_purchase_minor", "min_purchase_minor", false},
    {"max_per_referrer_per_month", "max_per_referrer_per_month", false},  // no limit
};
// Read in this order: the program's time zone is needed for the dates below.
constexpr SectionSpec kSettingSections[] = {
    {"program", kProgramKeys},   {"earn", kEarnKeys},
    {"burn", kBurnKeys},         {"refund", kRefundKeys},
    {"points", kPointsKeys},     {"tiers", kTiersKeys},
    {"birthday", kBirthdayKeys}, {"referral", kReferralKeys},
};
constexpr const char* kRequiredSections[] = {"program", "earn", "burn"};
constexpr const char* kAllSections[] = {
    "program",     "earn",       "burn",   "rules",
    "promo_codes", "exclusions", "refund", "adjustment_reasons",
    "feedback_reasons",          "points", "tiers",
    "rewards",     "birthday",   "referral"};

// The spelling of each enum value in a file.
constexpr std::pair<const char*, int> kRoundingNames[] = {
    {"down", loyalty::v1::ROUNDING_DOWN},
    {"half_up", loyalty::v1::ROUNDING_HALF_UP},
    {"half_even", loyalty::v1::ROUNDING_HALF_EVEN},
    {"up", loyalty::v1::ROUNDING_UP},
};
constexpr std::pair<const char*, int> kClawbackNames[] = {
    {"negative", loyalty::v1::CLAWBACK_POLICY_NEGATIVE},
    {"cashback", loyalty::v1::CLAWBACK_POLICY_CASHBACK},
    {"forgive", loyalty::v1::CLAWBACK_POLICY_FORGIVE},
};
constexpr std::pair<const char*, int> kOrderNames[] = {
    {"discounts_burn_earn", loyalty::v1::APPLICATION_ORDER_DISCOUNTS_BURN_EARN},
    {"discounts_earn_burn", loyalty::v1::APPLICATION_ORDER_DISCOUNTS_EARN_BURN},
    {"earn_discounts_burn", loyalty::v1::APPLICATION_ORDER_EARN_DISCOUNTS_BURN},
};
constexpr std::pair<const char*, int> kMeasureNames[] = {
    {"spend", loyalty::v1::TIER_MEASURE_SPEND},
    {"points_earned", loyalty::v1::TIER_MEASURE_POINTS_EARNED},
    {"visits", loyalty::v1::TIER_MEASURE_VISITS},
};
constexpr std::pair<const char*, int> kWindowNames[] = {
    {"rolling", loyalty::v1::TIER_WINDOW_ROLLING},
    {"calendar_year", loyalty::v1::TIER_WINDOW_CALENDAR_YEAR},
};
constexpr std::pair<const char*, int> kBirthdayWhenNames[] = {
    {"week", loyalty::v1::BIRTHDAY_WHEN_WEEK},
    {"month", loyalty::v1::BIRTHDAY_WHEN_MONTH},
};

// The file's spellings of the values of enum `type`.
absl::Span<const std::pair<const char*, int>> EnumNames(
    const google::protobuf::EnumDescriptor* type) {
  if (type == loyalty::v1::Rounding_descriptor()) return kRoundingNames;
  if (type == loyalty::v1::ClawbackPolicy_descriptor()) return kClawbackNames;
  if (type == loyalty::v1::TierMeasure_descriptor()) return kMeasureNames;
  if (type == loyalty::v1::TierWindow_descriptor()) return kWindowNames;
  if (type == loyalty::v1::BirthdayWhen_descriptor()) return kBirthdayWhenNames;
  return kOrderNames;
}

absl::StatusOr<int> ReadEnum(const YAML::Node& node,
                             absl::Span<const std::pair<const char*, int>> names) {
  if (node.IsScalar()) {
    for (const auto& [name, value] : names) {
      if (node.Scalar() == name) return value;
    }
  }
  std::vector<std::string> spellings;
  for (const auto& entry : names) spellings.push_back(entry.first);
  return absl::InvalidArgumentError(
      absl::StrCat("must be one of ", absl::StrJoin(spellings, ", "), ", got ",
                   internal::Describe(node)));
}

// Reads `node` into `field` of `message`, by the field's type: the schema in
// rules.proto decides what a key holds, so the two cannot drift apart.
absl::Status ReadValue(const YAML::Node& node, const FieldDescriptor& field,
                       Message& message) {
  const google::protobuf::Reflection& reflection = *message.GetReflection();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      absl::StatusOr<std::string> text = internal::ReadText(node);
      if (text.ok()) reflection.SetString(&message, &field, *text);
      return text.status();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      absl::StatusOr<int64_t> number = internal::ReadInteger(node);
      if (number.ok()) reflection.SetInt64(&message, &field, *number);
      return number.status();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      absl::StatusOr<bool> flag = internal::ReadBoolean(node);
      if (flag.ok()) reflection.SetBool(&message, &field, *flag);
      return flag.status();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      absl::StatusOr<int> value = ReadEnum(node, EnumNames(field.enum_type()));
      if (value.ok()) reflection.SetEnumValue(&message, &field, *value);
      return value.status();
    }
    default:
      return absl::InternalError(absl::StrCat(
          "rule file reader has no reader for ", field.full_name()));
  }
}

// Reads one settings section into the RuleSet field of the same name; a key
// without a proto field (a list) is left to the caller. Returns the entries.
std::vector<Entry> ReadSection(FileReader& reader, const SectionSpec& spec,
                               const Entry& section, RuleSet& rule_set) {
  std::vector<const char*> keys;
  std::vector<const char*> required;
  for (const KeySpec& key : spec.keys) {
    keys.push_back(key.file_key);
    if (key.required) required.push_back(key.file_key);
  }
  std::vector<Entry> entries =
      internal::ReadMap(reader, section.value, section.line, spec.name, keys);
  if (!section.value.IsMap()) return entries;
  // A problem of a key left out (tiers.window_days) is shown at the section.
  reader.Locate(spec.name, section.line, spec.name);
  internal::RequireKeys(reader, entries, section.line, spec.name, required);
  Message& message = *rule_set.GetReflection()->MutableMessage(
      &rule_set, RuleSet::descriptor()->FindFieldByName(spec.name));
  for (const KeySpec& key : spec.keys) {
    const Entry* entry = internal::Find(entries, key.file_key);
    if (entry == nullptr || key.proto_field == nullptr) continue;
    const std::string name = absl::StrCat(spec.name, ".", key.file_key);
    const FieldDescriptor* field =
        message.GetDescriptor()->FindFieldByName(key.proto_field);
    absl::Status read = ReadValue(entry->value, *field, message);
    if (!read.ok()) {
      reader.Report(entry->line,
                    absl::StrCat(name, ": ", read.message(),
                                 internal::MinorUnitsHint(reader, name,
                                                          entry->value)));
      continue;
    }
    reader.Locate(absl::StrCat(spec.name, ".", key.proto_field), entry->line,
                  name);
    if (name == "program.currency") {
      // Amounts are read in it (CheckRuleSet reports a malformed code).
      const std::string& code = rule_set.program().currency();
      if (code.size() == 3 && absl::c_all_of(code, absl::ascii_isupper)) {
        reader.currency = code;
      }
    }
  }
  return entries;
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

// The 1-based line and column of the first byte that is not UTF-8 text
// (or is a control character other than tab and line breaks), if any.
// yaml-cpp can spin on such bytes, and no rule file needs them.
std::optional<std::pair<int, int>> FindBadByte(absl::string_view text) {
  int line = 1;
  int column = 1;
  for (size_t i = 0; i < text.size(); ++column) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    int length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3
                              : (c >> 3) == 0x1E ? 4 : 0;
    bool good = length > 0 && i + length <= text.size() &&
                (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') &&
                c != 0x7F && !(length == 2 && c < 0xC2);
    for (int k = 1; good && k < length; ++k) {
      good = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    }
    if (!good) return std::pair{line, column};
    if (c == '\n') {
      ++line;
      column = 0;
    }
    i += length;
  }
  return std::nullopt;
}

std::string RequiredNames() { return absl::StrJoin(kRequiredSections, ", "); }

// The 1-based line of the first ',' that would start a YAML token outside
// a flow collection ([...] or {...}): one that begins a word, that ends an
// anchor, alias or tag ("&a,"), or that comes right after a quoted text
// ("a", -- the text may span lines) or a closed collection ([a],). yaml-cpp
// 0.7 (Debian bookworm) never returns on some of these, or allocates until
// memory runs out (found by the fuzzer), so the reader refuses them all with
// a clear message; in a rule file a ',' belongs inside [...] or {...}, or
// inside a text ("a, b"), and is never needed there. CountDocuments below is
// the guard for any shape this scan misses.
std::optional<int> FindStrayComma(absl::string_view yaml_text) {
  int line = 1;
  int flow_depth = 0;
  char quote = 0;
  bool comment = false;
  size_t word_start = 0;  // index of the first character of the current word
  size_t token_end = 0;   // one past the last quoted text or closed collection
  for (size_t i = 0; i < yaml_text.size(); ++i) {
    const char c = yaml_text[i];
    if (c == '\n') {
      ++line;
      comment = false;
      word_start = i + 1;
      continue;
    }
    if (quote != 0) {
      const bool doubled = quote == '\'' && c == '\'' &&
                           i + 1 < yaml_text.size() && yaml_text[i + 1] == '\'';
      if (doubled || (quote == '"' && c == '\\')) {
        ++i;  // '' inside '...', or an escape inside "...": the text goes on
        if (i < yaml_text.size() && yaml_text[i] == '\n') ++line;
      } else if (c == quote) {
        quote = 0;
        token_end = i + 1;
      }
      continue;
    }
    if (comment) continue;
    if (c == ' ' || c == '\t' || c == '\r') {
      word_start = i + 1;
    } else if (c == '#' && word_start == i) {
      comment = true;
    } else if ((c == '"' || c == '\'') && word_start == i) {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++flow_depth;
      word_start = i + 1;
    } else if ((c == ']' || c == '}') && flow_depth > 0) {
      if (--flow_depth == 0) token_end = i + 1;
    } else if (c == ',' && flow_depth > 0) {
      word_start = i + 1;
    } else if (c == ',') {
      const char first = yaml_text[word_start];
      if (word_start == i || first == '&' || first == '*' || first == '!' ||
          token_end == i) {
        return line;
      }
    }
  }
  return std::nullopt;
}

// Counts the file's YAML documents, stopping at the second one, whose line
// it returns. yaml-cpp's LoadAll loops without end when a token it cannot
// place is left after a document (it starts an empty document there over
// and over); reading at most two documents bounds the parser's work
// whatever the text. Throws YAML::Exception on a syntax error.
std::optional<int> FindSecondDocument(const std::string& yaml_text) {
  // Keeps where the current document's first node starts.
  class Counter : public YAML::EventHandler {
   public:
    void OnDocumentStart(const YAML::Mark&) override { seen_node_ = false; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  const std::string&) override {
      Node(mark);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&,
                         YAML::anchor_t, YAML::EmitterStyle::value) override {
      Node(mark);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {
      Node(mark);
    }
    void OnMapEnd() override {}
    YAML::Mark start;

   private:
    void Node(const YAML::Mark& mark) {
      if (!seen_node_) start = mark;
      seen_node_ = true;
    }
    bool seen_node_ = false;
  };
  std::istringstream input(yaml_text);
  YAML::Parser parser(input);
  Counter counter;
  if (!parser.HandleNextDocument(counter)) return std::nullopt;
  if (!parser.HandleNextDocument(counter)) return std::nullopt;
  return internal::LineOf(counter.start);
}

// Loads the one YAML document of the file, or says why it cannot.
std::optional<YAML::Node> LoadDocument(FileReader& reader,
                                       absl::string_view yaml_text) {
  if (yaml_text.size() > kMaxRuleFileBytes) {
    reader.Report(1, absl::StrCat("the file has ", yaml_text.size(),
                                  " bytes; a rule file may have at most ",
                                  kMaxRuleFileBytes));
    return std::nullopt;
  }
  if (std::optional<std::pair<int, int>> bad = FindBadByte(yaml_text)) {
    reader.Report(bad->first,
                  absl::StrCat("column ", bad->second,
                               ": the file must be UTF-8 text without control "
                               "characters"));
    return std::nullopt;
  }
  if (std::optional<int> comma = FindStrayComma(yaml_text)) {
    reader.Report(*comma, "YAML syntax: a ',' may not start a value outside "
                          "[...] or {...}; put it inside them or in quotes");
    return std::nullopt;
  }
  const std::string text(yaml_text);
  std::optional<int> second_document;
  YAML::Node document;
  try {
    second_document = FindSecondDocument(text);
    if (!second_document) document = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    const int line = internal::LineOf(error.mark);
    reader.Report(line, absl::StrCat("YAML syntax: ", error.msg,
                                     TabHint(yaml_text, line)));
    return std::nullopt;
  }
  if (second_document) {
    reader.Report(*second_document,
                  "a rule file holds one YAML document, but a second one "
                  "starts here (after '---')");
    return std::nullopt;
  }
  if (document.IsNull()) {
    reader.Report(1, absl::StrCat("the file is empty; expected the sections ",
                                  RequiredNames()));
    return std::nullopt;
  }
  if (!document.IsMap()) {
    reader.Report(internal::LineOf(document.Mark()),
                  absl::StrCat("expected the sections ", RequiredNames(),
                               ", got ", internal::Describe(document)));
    return std::nullopt;
  }
  return document;
}

// The top-level sections, each once.
std::vector<Entry> ReadSections(FileReader& reader, const YAML::Node& root) {
  std::vector<Entry> sections;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const int line = internal::LineOf(it->first.Mark());
    if (!it->first.IsScalar()) {
      reader.Report(line, "a section name must be a plain word");
      continue;
    }
    const std::string key = it->first.Scalar();
    const Entry* same = internal::Find(sections, key);
    if (std::none_of(std::begin(kAllSections), std::end(kAllSections),
                     [&](const char* name) { return key == name; })) {
      reader.Report(line, absl::StrCat("unknown section '", key,
                                       "'; allowed sections: ",
                                       absl::StrJoin(kAllSections, ", ")));
    } else if (same != nullptr) {
      reader.Report(line, absl::StrCat("duplicate section '", key,
                                       "' (first set on line ", same->line,
                                       ")"));
    } else {
      sections.push_back({key, line, it->second});
    }
  }
  return sections;
}

// The located value closest to `path` ("rules[2].bonus_points.points" ->
// "rules[2].bonus_points" -> "rules[2]"), with what is left of the path.
std::pair<const internal::Location*, std::string> Nearest(
    const FileReader& reader, std::string path) {
  std::string rest;
  while (!path.empty()) {
    auto it = reader.locations.find(path);
    if (it != reader.locations.end()) return {&it->second, rest};
    const size_t cut = path.find_last_of(".[");
    const std::string tail = path.substr(cut == std::string::npos ? 0 : cut);
    rest = absl::StrCat(tail[0] == '.' ? tail.substr(1) : tail,
                        rest.empty() ? "" : ".", rest);
    path.resize(cut == std::string::npos ? 0 : cut);
  }
  return {nullptr, rest};
}

// Problems CheckRuleSet finds. A problem of a value that was read is shown
// at its line. One of a value the file left out (a key inside an effect,
// say) is shown at the nearest enclosing line, but only when the shape was
// good: otherwise the reader has reported the cause already. Either way a
// file this reader accepts is one CompiledRules::Compile accepts.
void AddRuleSetProblems(FileReader& reader, const RuleSet& rule_set) {
  const bool shape_good = reader.problems.empty();
  for (const internal::RuleProblem& problem :
       internal::CheckRuleSet(rule_set)) {
    auto exact = reader.locations.find(problem.field);
    if (exact != reader.locations.end()) {
      reader.Report(exact->second.line,
                    absl::StrCat(exact->second.name, ": ", problem.text));
      continue;
    }
    if (!shape_good) continue;
    auto [location, rest] = Nearest(reader, problem.field);
    reader.Report(location == nullptr ? 1 : location->line,
                  absl::StrCat(location == nullptr ? "" : location->name,
                               location == nullptr ? "" : ": ", rest, ": ",
                               problem.text));
  }
}

// A list of reason codes: UPPER_SNAKE, no repeats.
void ReadReasons(FileReader& reader, const std::vector<Entry>& sections,
                 absl::string_view name,
                 google::protobuf::RepeatedPtrField<std::string>* codes) {
  const Entry* section = internal::Find(sections, name);
  if (section == nullptr) return;
  std::optional<std::vector<std::string>> list =
      internal::ReadTextListAt(reader, *section, std::string(name), std::string(name));
  if (!list) return;
  for (const std::string& code : *list) {
    const bool snake = !code.empty() && code.size() <= 64 &&
                       std::all_of(code.begin(), code.end(), [](char c) {
                         return absl::ascii_isupper(c) || absl::ascii_isdigit(c) || c == '_';
                       });
    if (!snake) {
      reader.Report(section->line, absl::StrCat(name, ": '", code,
                                                "' is not an UPPER_SNAKE code"));
    } else if (std::find(codes->begin(), codes->end(), code) != codes->end()) {
      reader.Report(section->line, absl::StrCat(name, ": '", code, "' twice"));
    } else {
      codes->Add(std::string(code));
    }
  }
}

void ReadAll(FileReader& reader, const YAML::Node& root, RuleSet& rule_set) {
  std::vector<Entry> sections = ReadSections(reader, root);
  for (const SectionSpec& spec : kSettingSections) {
    const Entry* section = internal::Find(sections, spec.name);
    if (section == nullptr) {
      const bool required = std::any_of(
          std::begin(kRequiredSections), std::end(kRequiredSections),
          [&](const char* name) { return spec.name == absl::string_view(name); });
      if (required) {
        reader.Report(1, absl::StrCat("missing section '", spec.name,
                                      "' (required)"));
      }
      continue;
    }
    const std::vector<Entry> entries =
        ReadSection(reader, spec, *section, rule_set);
    const Entry* levels = internal::Find(entries, "levels");  // tiers only
    if (levels != nullptr) {
      internal::ReadTierLevels(reader, *levels, *rule_set.mutable_tiers());
    }
    if (spec.name == kSettingSections[0].name) {
      // A bad zone is reported by CheckRuleSet; dates are then read in UTC.
      reader.zone = internal::ResolveTimeZone(rule_set.program().time_zone())
                        .value_or(absl::UTCTimeZone());

    }
  }
  if (const Entry* rules = internal::Find(sections, "rules")) {
    internal::ReadRules(reader, *rules, rule_set);
  }
  if (const Entry* codes = internal::Find(sections, "promo_codes")) {
    internal::ReadPromoCodes(reader, *codes, rule_set);
  }
  if (const Entry* exclusions = internal::Find(sections, "exclusions")) {
    internal::ReadExclusions(reader, *exclusions, rule_set);
  }
  if (const Entry* rewards = internal::Find(sections, "rewards")) {
    internal::ReadRewards(reader, *rewards, rule_set);
  }
  ReadReasons(reader, sections, "adjustment_reasons",
              rule_set.mutable_adjustment_reasons());
  ReadReasons(reader, sections, "feedback_reasons",
              rule_set.mutable_feedback_reasons());
}

struct Reading {
  RuleSet rule_set;
  std::vector<std::string> problems;  // "file:line: message", by line
};

Reading ReadRuleFile(absl::string_view file_name, absl::string_view yaml_text) {
  Reading reading;
  FileReader reader;
  if (std::optional<YAML::Node> root = LoadDocument(reader, yaml_text)) {
    ReadAll(reader, *root, reading.rule_set);
    AddRuleSetProblems(reader, reading.rule_set);
  }
  std::stable_sort(reader.problems.begin(), reader.problems.end(),
                   [](const internal::Problem& a, const internal::Problem& b) {
                     return a.line < b.line;
                   });
  for (const internal::Problem& problem : reader.problems) {
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
