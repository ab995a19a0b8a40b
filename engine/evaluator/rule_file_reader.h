// Shared pieces of the rule-file reader (internal to engine/evaluator): the
// problems found so far, where each accepted value came from, and readers for
// YAML scalars, lists and maps that report "what is wrong" instead of
// throwing. rule_file.cc reads the settings sections, rule_file_lists.cc the
// lists (rules, promo codes, exclusions), rule_file_programs.cc the tier
// levels and the rewards catalogue.
#ifndef LOYALTY_ENGINE_EVALUATOR_RULE_FILE_READER_H_
#define LOYALTY_ENGINE_EVALUATOR_RULE_FILE_READER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "loyalty/v1/rules.pb.h"
#include "yaml-cpp/yaml.h"

namespace loyalty::evaluator::internal {

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

// Where a value came from: its line and how the file names it
// ("program.id", "rule weekend: caps.per_order").
struct Location {
  int line;
  std::string name;
};

struct FileReader {
  std::vector<Problem> problems;
  std::map<std::string, Location> locations;  // by proto path
  absl::TimeZone zone = absl::UTCTimeZone();  // the program's, once read
  std::string currency = "EUR";  // the program's, once read (for money)

  void Report(int line, std::string text) {
    problems.push_back({line, std::move(text)});
  }
  void Locate(const std::string& proto_path, int line, std::string name) {
    locations[proto_path] = {line, std::move(name)};
  }
};

int LineOf(const YAML::Mark& mark);
std::string Describe(const YAML::Node& node);

// The entries of `map` whose keys are in `allowed`; unknown, duplicate and
// non-text keys are reported as "<name>: unknown key 'x'; allowed keys: ...".
// When `map` is not a map, reports that and returns nothing.
std::vector<Entry> ReadMap(FileReader& reader, const YAML::Node& map, int line,
                           absl::string_view name,
                           absl::Span<const char* const> allowed);
const Entry* Find(const std::vector<Entry>& entries, absl::string_view key);
// Reports "<name>: missing key 'x' (required)" at `line` for absent keys.
void RequireKeys(FileReader& reader, const std::vector<Entry>& entries,
                 int line, absl::string_view name,
                 absl::Span<const char* const> required);

// Scalars. Each reports "<name>: <what is wrong>" at the entry's line and
// returns nullopt on a problem; on success it records the location of
// `proto_path` as `name`.
std::optional<int64_t> ReadIntegerAt(FileReader& reader, const Entry& entry,
                                     const std::string& proto_path,
                                     const std::string& name);
// An amount of money in the program's currency, written in currency units
// ("200.00", "200.00 EUR"; engine/base/money.h), as minor units.
std::optional<int64_t> ReadMoneyAt(FileReader& reader, const Entry& entry,
                                   const std::string& proto_path,
                                   const std::string& name);
// For a key whose name ends in _minor and a value written as an amount
// ("2.00"): " (this key is in minor units: write 200 for 2.00 EUR)";
// empty otherwise.
std::string MinorUnitsHint(const FileReader& reader, absl::string_view name,
                           const YAML::Node& node);
std::optional<std::string> ReadTextAt(FileReader& reader, const Entry& entry,
                                      const std::string& proto_path,
                                      const std::string& name);
std::optional<bool> ReadBooleanAt(FileReader& reader, const Entry& entry,
                                  const std::string& proto_path,
                                  const std::string& name);
// A list of texts; a single text counts as a list of one.
std::optional<std::vector<std::string>> ReadTextListAt(
    FileReader& reader, const Entry& entry, const std::string& proto_path,
    const std::string& name);

// The same checks as plain values, for the settings sections.
absl::StatusOr<int64_t> ReadInteger(const YAML::Node& node);
absl::StatusOr<std::string> ReadText(const YAML::Node& node);
absl::StatusOr<bool> ReadBoolean(const YAML::Node& node);

// A `valid:` map (from, to, weekdays, hours) into `validity`.
void ReadValidity(FileReader& reader, const Entry& entry,
                  const std::string& proto_path, const std::string& name,
                  loyalty::v1::Validity& validity);

// The items of a list section, or a problem when it is not a list
// (`what` names the items: "rules", "promo codes").
std::vector<YAML::Node> Items(FileReader& reader, const Entry& section,
                              absl::string_view what);
// An item's name for messages: "rule weekend" (by its `id_key`) or "rule #3".
std::string ItemName(absl::string_view kind, const YAML::Node& item,
                     absl::string_view id_key, size_t index);

// One item of a list section, read as a map: `path` is its proto path
// ("rules[3]"), `name` how messages name it ("rule weekend"). Locates the item
// at its line and reports unknown keys (of `allowed`) and missing `required`
// ones; returns the entries, or nothing when the item is not a map (reported).
std::optional<std::vector<Entry>> ReadItem(
    FileReader& reader, const YAML::Node& item, const std::string& path,
    const std::string& name, absl::Span<const char* const> allowed,
    absl::Span<const char* const> required);
// Reads one key of an item, given the key's proto path ("rewards[2].points")
// and its name in messages ("reward coffee: points").
using KeyReader =
    absl::FunctionRef<void(const Entry& entry, const std::string& key_path,
                           const std::string& key_name)>;
// ReadItem, then `read` for each of the item's keys.
void ReadItemKeys(FileReader& reader, const YAML::Node& item,
                  const std::string& path, const std::string& name,
                  absl::Span<const char* const> allowed,
                  absl::Span<const char* const> required, KeyReader read);
// Reads each item of a list section (`what` as for Items) with
// `read(item, index)`.
template <typename ReadOne>
void ReadEachItem(FileReader& reader, const Entry& section,
                  absl::string_view what, ReadOne read) {
  const std::vector<YAML::Node> items = Items(reader, section, what);
  for (size_t i = 0; i < items.size(); ++i) read(items[i], i);
}

// The list sections (rule_file_lists.cc), each a YAML list under its key.
void ReadRules(FileReader& reader, const Entry& section,
               loyalty::v1::RuleSet& rule_set);
void ReadPromoCodes(FileReader& reader, const Entry& section,
                    loyalty::v1::RuleSet& rule_set);
void ReadExclusions(FileReader& reader, const Entry& section,
                    loyalty::v1::RuleSet& rule_set);

// The program's lists (rule_file_programs.cc): the `levels` of `tiers`, and
// the rewards catalogue.
void ReadTierLevels(FileReader& reader, const Entry& levels,
                    loyalty::v1::TierSettings& tiers);
void ReadRewards(FileReader& reader, const Entry& section,
                 loyalty::v1::RuleSet& rule_set);

}  // namespace loyalty::evaluator::internal

#endif  // LOYALTY_ENGINE_EVALUATOR_RULE_FILE_READER_H_
