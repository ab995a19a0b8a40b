// The list sections of a rule file: rules, promo_codes and exclusions. Each
// item is a YAML map; its problems are named after the item ("rule weekend:
// caps.budget: ...") and located at their line.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/evaluator/rule_file_reader.h"

namespace loyalty::evaluator::internal {
namespace {

using loyalty::v1::Rule;

constexpr const char* kEffectKeys[] = {
    "points_per_amount", "multiply_points", "bonus_points", "percent_discount",
    "fixed_discount",    "cashback",        "gift",         "volume_ladder"};

constexpr const char* kRuleKeys[] = {
    "id",       "description", "priority",        "condition",
    "valid",    "channels",    "partners",        "stores",
    "exclusive_group", "caps", "points_per_amount", "multiply_points",
    "bonus_points", "percent_discount", "fixed_discount", "cashback", "gift",
    "volume_ladder"};

}  // namespace

std::vector<YAML::Node> Items(FileReader& reader, const Entry& section,
                              absl::string_view what) {
  std::vector<YAML::Node> items;
  if (section.value.IsNull()) return items;  // "rules:" with nothing: none
  if (!section.value.IsSequence()) {
    reader.Report(section.line,
                  absl::StrCat(section.key, ": must be a list of ", what,
                               ", each starting with '- ', got ",
                               Describe(section.value)));
    return items;
  }
  reader.Locate(section.key, section.line, section.key);
  for (const YAML::Node& item : section.value) items.push_back(item);
  return items;
}

std::string ItemName(absl::string_view kind, const YAML::Node& item,
                     absl::string_view id_key, size_t index) {
  if (item.IsMap() && item[std::string(id_key)] &&
      item[std::string(id_key)].IsScalar()) {
    return absl::StrCat(kind, " ", item[std::string(id_key)].Scalar());
  }
  return absl::StrCat(kind, " #", index + 1);
}

std::optional<std::vector<Entry>> ReadItem(
    FileReader& reader, const YAML::Node& item, const std::string& path,
    const std::string& name, absl::Span<const char* const> allowed,
    absl::Span<const char* const> required) {
  const int line = LineOf(item.Mark());
  reader.Locate(path, line, name);
  std::vector<Entry> entries = ReadMap(reader, item, line, name, allowed);
  if (!item.IsMap()) return std::nullopt;
  RequireKeys(reader, entries, line, name, required);
  return entries;
}

void ReadItemKeys(FileReader& reader, const YAML::Node& item,
                  const std::string& path, const std::string& name,
                  absl::Span<const char* const> allowed,
                  absl::Span<const char* const> required, KeyReader read) {
  const std::optional<std::vector<Entry>> entries =
      ReadItem(reader, item, path, name, allowed, required);
  if (!entries.has_value()) return;
  for (const Entry& entry : *entries) {
    read(entry, absl::StrCat(path, ".", entry.key),
         absl::StrCat(name, ": ", entry.key));
  }
}

namespace {

// Reads the integer keys of `map_entry` (all optional) into `message`
// through `set`, as "<path>.<key>".
template <typename Setter>
void ReadIntegers(FileReader& reader, const std::vector<Entry>& entries,
                  const std::string& path, const std::string& name,
                  Setter set) {
  for (const Entry& entry : entries) {
    if (std::optional<int64_t> value =
            ReadIntegerAt(reader, entry, absl::StrCat(path, ".", entry.key),
                          absl::StrCat(name, ".", entry.key))) {
      set(entry.key, *value);
    }
  }
}

// The effects whose caps are money (compile.cc gives them CapUnit::kMoney):
// their caps are written in currency units ("20.00"), the others' in whole
// points or gifts.
constexpr const char* kMoneyEffects[] = {"percent_discount", "fixed_discount",
                                         "cashback", "volume_ladder"};

void ReadCaps(FileReader& reader, const Entry& entry, const std::string& path,
              const std::string& name, bool money, loyalty::v1::Caps& caps) {
  static constexpr const char* kKeys[] = {
      "per_order", "per_member_per_day", "per_member_per_month",
      "per_member_per_year", "budget"};
  reader.Locate(path, entry.line, name);
  for (const Entry& cap : ReadMap(reader, entry.value, entry.line, name, kKeys)) {
    const std::string cap_path = absl::StrCat(path, ".", cap.key);
    const std::string cap_name = absl::StrCat(name, ".", cap.key);
    std::optional<int64_t> value =
        money ? ReadMoneyAt(reader, cap, cap_path, cap_name)
              : ReadIntegerAt(reader, cap, cap_path, cap_name);
    if (!value.has_value()) continue;
    const std::string& key = cap.key;
    if (key == "per_order") caps.set_per_order(*value);
    if (key == "per_member_per_day") caps.set_per_member_per_day(*value);
    if (key == "per_member_per_month") caps.set_per_member_per_month(*value);
    if (key == "per_member_per_year") caps.set_per_member_per_year(*value);
    if (key == "budget") caps.set_budget(*value);
  }
}

void ReadChannels(FileReader& reader, const Entry& entry,
                  const std::string& path, const std::string& name,
                  loyalty::v1::Scope& scope) {
  std::optional<std::vector<std::string>> texts =
      ReadTextListAt(reader, entry, path, name);
  if (!texts.has_value()) return;
  for (const std::string& text : *texts) {
    const std::string lower = absl::AsciiStrToLower(text);
    if (lower == "pos") {
      scope.add_channels(loyalty::v1::CHANNEL_POS);
    } else if (lower == "eshop") {
      scope.add_channels(loyalty::v1::CHANNEL_ESHOP);
    } else {
      reader.Report(entry.line, absl::StrCat(name, ": unknown channel '", text,
                                             "'; channels: pos, eshop"));
    }
  }
}

void ReadBands(FileReader& reader, const Entry& entry, const std::string& path,
               const std::string& name, loyalty::v1::VolumeLadder& ladder) {
  static constexpr const char* kKeys[] = {"from_minor", "percent"};
  reader.Locate(path, entry.line, name);
  if (!entry.value.IsSequence()) {
    reader.Report(entry.line, absl::StrCat(name, ": must be a list of bands "
                                                 "{from_minor, percent}, got ",
                                           Describe(entry.value)));
    return;
  }
  int index = 0;
  for (const YAML::Node& item : entry.value) {
    const std::string band_path = absl::StrCat(path, "[", index, "]");
    const std::string band_name = absl::StrCat(name, "[", index + 1, "]");
    const int line = LineOf(item.Mark());
    loyalty::v1::VolumeBand& band = *ladder.add_bands();
    std::vector<Entry> entries = ReadMap(reader, item, line, band_name, kKeys);
    if (item.IsMap()) RequireKeys(reader, entries, line, band_name, kKeys);
    ReadIntegers(reader, entries, band_path, band_name,
                 [&](const std::string& key, int64_t value) {
                   if (key == "from_minor") band.set_from_minor(value);
                   if (key == "percent") band.set_percent(value);
                 });
    ++index;
  }
}

// One effect map into the oneof field named `entry.key` of `rule`.
void ReadEffect(FileReader& reader, const Entry& entry, const std::string& path,
                const std::string& name, Rule& rule) {
  const google::protobuf::FieldDescriptor* field =
      Rule::descriptor()->FindFieldByName(entry.key);
  google::protobuf::Message& effect =
      *rule.GetReflection()->MutableMessage(&rule, field);
  const google::protobuf::Descriptor& type = *effect.GetDescriptor();
  std::vector<const char*> keys;
  for (int i = 0; i < type.field_count(); ++i) keys.push_back(type.field(i)->name().c_str());
  reader.Locate(path, entry.line, name);
  for (const Entry& key : ReadMap(reader, entry.value, entry.line, name, keys)) {
    const std::string key_path = absl::StrCat(path, ".", key.key);
    const std::string key_name = absl::StrCat(name, ".", key.key);
    const google::protobuf::FieldDescriptor* member = type.FindFieldByName(key.key);
    const google::protobuf::Reflection& reflection = *effect.GetReflection();
    if (key.key == "bands") {
      ReadBands(reader, key, key_path, key_name,
                static_cast<loyalty::v1::VolumeLadder&>(effect));
    } else if (member->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_INT64) {
      if (auto value = ReadIntegerAt(reader, key, key_path, key_name)) {
        reflection.SetInt64(&effect, member, *value);
      }
    } else if (auto text = ReadTextAt(reader, key, key_path, key_name)) {
      reflection.SetString(&effect, member, *text);
    }
  }
}

void ReadRuleEntry(FileReader& reader, const Entry& entry,
                   const std::string& path, const std::string& name,
                   bool money_caps, Rule& rule) {
  const std::string key_path = absl::StrCat(path, ".", entry.key);
  const std::string key_name = absl::StrCat(name, ": ", entry.key);
  const std::string& key = entry.key;
  if (key == "priority") {
    if (auto value = ReadIntegerAt(reader, entry, key_path, key_name)) {
      rule.set_priority(*value);
    }
  } else if (key == "valid") {
    ReadValidity(reader, entry, path + ".validity", key_name,
                 *rule.mutable_validity());
  } else if (key == "caps") {
    ReadCaps(reader, entry, key_path, key_name, money_caps, *rule.mutable_caps());
  } else if (key == "channels") {
    ReadChannels(reader, entry, path + ".scope.channels", key_name,
                 *rule.mutable_scope());
  } else if (key == "partners" || key == "stores") {
    if (auto texts = ReadTextListAt(reader, entry,
                                    absl::StrCat(path, ".scope.", key),
                                    key_name)) {
      auto* list = key == "partners" ? rule.mutable_scope()->mutable_partners()
                                     : rule.mutable_scope()->mutable_stores();
      list->Assign(texts->begin(), texts->end());
    }
  } else if (auto text = ReadTextAt(reader, entry, key_path, key_name)) {
    // id, description, condition, exclusive_group
    const auto* field = Rule::descriptor()->FindFieldByName(key);
    rule.GetReflection()->SetString(&rule, field, *text);
  }
}

void ReadRule(FileReader& reader, const YAML::Node& item, size_t index,
              Rule& rule) {
  static constexpr const char* kRequired[] = {"id", "description"};
  const std::string path = absl::StrCat("rules[", index, "]");
  const std::string name = ItemName("rule", item, "id", index);
  const std::optional<std::vector<Entry>> read =
      ReadItem(reader, item, path, name, kRuleKeys, kRequired);
  if (!read.has_value()) return;
  const std::vector<Entry>& entries = *read;
  // The caps' unit follows the (first) effect, wherever it is written.
  const bool money_caps = std::any_of(
      entries.begin(), entries.end(), [](const Entry& entry) {
        return std::find(std::begin(kMoneyEffects), std::end(kMoneyEffects),
                         entry.key) != std::end(kMoneyEffects);
      });
  const Entry* effect = nullptr;
  for (const Entry& entry : entries) {
    const bool is_effect =
        std::find_if(std::begin(kEffectKeys), std::end(kEffectKeys),
                     [&](const char* k) { return entry.key == k; }) !=
        std::end(kEffectKeys);
    if (!is_effect) {
      ReadRuleEntry(reader, entry, path, name, money_caps, rule);
      continue;
    }
    if (effect != nullptr) {
      reader.Report(entry.line,
                    absl::StrCat(name, ": has two effects ('", effect->key,
                                 "' and '", entry.key,
                                 "'); a rule has exactly one, so write two "
                                 "rules"));
      continue;
    }
    effect = &entry;
    ReadEffect(reader, entry, absl::StrCat(path, ".", entry.key),
               absl::StrCat(name, ": ", entry.key), rule);
  }
}

void ReadPromoCode(FileReader& reader, const YAML::Node& item, size_t index,
                   loyalty::v1::PromoCode& code) {
  static constexpr const char* kKeys[] = {
      "code", "rules", "member", "valid", "max_uses", "max_uses_per_member"};
  static constexpr const char* kRequired[] = {"code", "rules"};
  const std::string path = absl::StrCat("promo_codes[", index, "]");
  const std::string name = ItemName("promo code", item, "code", index);
  ReadItemKeys(
      reader, item, path, name, kKeys, kRequired,
      [&](const Entry& entry, const std::string& key_path,
          const std::string& key_name) {
        const std::string& key = entry.key;
        if (key == "code" || key == "member") {
          const std::string field = key == "code" ? "code" : "member_id";
          if (auto text = ReadTextAt(
                  reader, entry, absl::StrCat(path, ".", field), key_name)) {
            key == "code" ? code.set_code(*text) : code.set_member_id(*text);
          }
        } else if (key == "rules") {
          if (auto ids =
                  ReadTextListAt(reader, entry, path + ".rule_ids", key_name)) {
            code.mutable_rule_ids()->Assign(ids->begin(), ids->end());
          }
        } else if (key == "valid") {
          ReadValidity(reader, entry, path + ".validity", key_name,
                       *code.mutable_validity());
        } else if (auto value =
                       ReadIntegerAt(reader, entry, key_path, key_name)) {
          key == "max_uses" ? code.set_max_uses(*value)
                            : code.set_max_uses_per_member(*value);
        }
      });
}

void ReadExclusion(FileReader& reader, const YAML::Node& item, size_t index,
                   loyalty::v1::Exclusion& exclusion) {
  static constexpr const char* kKeys[] = {"skus", "categories",
                                          "excluded_from", "reason"};
  static constexpr const char* kRequired[] = {"excluded_from"};
  const std::string path = absl::StrCat("exclusions[", index, "]");
  const std::string name = absl::StrCat("exclusion #", index + 1);
  ReadItemKeys(
      reader, item, path, name, kKeys, kRequired,
      [&](const Entry& entry, const std::string& key_path,
          const std::string& key_name) {
        if (entry.key == "skus" || entry.key == "categories") {
          if (auto texts = ReadTextListAt(reader, entry, key_path, key_name)) {
            auto* list = entry.key == "skus" ? exclusion.mutable_skus()
                                             : exclusion.mutable_categories();
            list->Assign(texts->begin(), texts->end());
          }
          return;
        }
        std::optional<std::string> text =
            ReadTextAt(reader, entry, key_path, key_name);
        if (!text.has_value()) return;
        if (entry.key == "reason") {
          exclusion.set_reason(*text);
        } else if (*text == "earning" || *text == "burning" ||
                   *text == "both") {
          reader.Locate(path + ".scope", entry.line, key_name);
          exclusion.set_scope(
              *text == "earning"   ? loyalty::v1::EXCLUSION_SCOPE_EARNING
              : *text == "burning" ? loyalty::v1::EXCLUSION_SCOPE_BURNING
                                   : loyalty::v1::EXCLUSION_SCOPE_BOTH);
        } else {
          reader.Report(entry.line, absl::StrCat(key_name,
                                                 ": must be one of earning, "
                                                 "burning, both, got '",
                                                 *text, "'"));
        }
      });
}

}  // namespace

void ReadRules(FileReader& reader, const Entry& section,
               loyalty::v1::RuleSet& rule_set) {
  ReadEachItem(reader, section, "rules", [&](const YAML::Node& item, size_t i) {
    ReadRule(reader, item, i, *rule_set.add_rules());
  });
}

void ReadPromoCodes(FileReader& reader, const Entry& section,
                    loyalty::v1::RuleSet& rule_set) {
  ReadEachItem(reader, section, "promo codes",
               [&](const YAML::Node& item, size_t i) {
                 ReadPromoCode(reader, item, i, *rule_set.add_promo_codes());
               });
}

void ReadExclusions(FileReader& reader, const Entry& section,
                    loyalty::v1::RuleSet& rule_set) {
  ReadEachItem(reader, section, "exclusions",
               [&](const YAML::Node& item, size_t i) {
                 ReadExclusion(reader, item, i, *rule_set.add_exclusions());
               });
}

}  // namespace loyalty::evaluator::internal
