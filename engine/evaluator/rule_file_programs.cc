// The program's lists in a rule file: the levels of `tiers` and the
// `rewards` catalogue. Like the campaign lists, each item is a YAML map whose
// problems are named after the item ("tier gold: benefits.discount_percent:
// ...", "reward coffee: points: ...") and located at their line; the ranges
// are checked by CheckRuleSet.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/evaluator/rule_file_reader.h"

namespace loyalty::evaluator::internal {
namespace {

void ReadBenefits(FileReader& reader, const Entry& entry,
                  const std::string& path, const std::string& name,
                  loyalty::v1::TierBenefits& benefits) {
  static constexpr const char* kKeys[] = {
      "earn_multiplier_percent", "discount_percent", "cashback_basis_points",
      "perks"};
  reader.Locate(path, entry.line, name);
  for (const Entry& key :
       ReadMap(reader, entry.value, entry.line, name, kKeys)) {
    const std::string key_path = absl::StrCat(path, ".", key.key);
    const std::string key_name = absl::StrCat(name, ".", key.key);
    if (key.key == "perks") {
      if (auto perks = ReadTextListAt(reader, key, key_path, key_name)) {
        benefits.mutable_perks()->Assign(perks->begin(), perks->end());
      }
      continue;
    }
    std::optional<int64_t> value =
        ReadIntegerAt(reader, key, key_path, key_name);
    if (!value.has_value()) continue;
    if (key.key == "earn_multiplier_percent") {
      benefits.set_earn_multiplier_percent(*value);
    } else if (key.key == "discount_percent") {
      benefits.set_discount_percent(*value);
    } else {
      benefits.set_cashback_basis_points(*value);
    }
  }
}

// A threshold of spend is money, written in currency units ("500.00");
// of points or visits, a whole number. With a bad or missing measure
// (reported already) either spelling is taken.
std::optional<int64_t> ReadThreshold(FileReader& reader, const Entry& entry,
                                     loyalty::v1::TierMeasure measure,
                                     const std::string& path,
                                     const std::string& name) {
  if (measure == loyalty::v1::TIER_MEASURE_SPEND) {
    return ReadMoneyAt(reader, entry, path, name);
  }
  if (measure == loyalty::v1::TIER_MEASURE_UNSPECIFIED &&
      !ReadInteger(entry.value).ok() && entry.value.IsScalar()) {
    FileReader quiet;
    quiet.currency = reader.currency;
    if (auto money = ReadMoneyAt(quiet, entry, path, name)) {
      reader.Locate(path, entry.line, name);
      return money;
    }
  }
  return ReadIntegerAt(reader, entry, path, name);
}

void ReadLevel(FileReader& reader, const YAML::Node& item, size_t index,
               loyalty::v1::TierMeasure measure, loyalty::v1::Tier& tier) {
  static constexpr const char* kKeys[] = {"id", "name", "threshold",
                                          "benefits"};
  static constexpr const char* kRequired[] = {"id", "threshold"};
  const std::string path = absl::StrCat("tiers.levels[", index, "]");
  const std::string name = ItemName("tier", item, "id", index);
  ReadItemKeys(
      reader, item, path, name, kKeys, kRequired,
      [&](const Entry& entry, const std::string& key_path,
          const std::string& key_name) {
        if (entry.key == "benefits") {
          ReadBenefits(reader, entry, key_path, key_name,
                       *tier.mutable_benefits());
        } else if (entry.key == "threshold") {
          if (auto value =
                  ReadThreshold(reader, entry, measure, key_path, key_name)) {
            tier.set_threshold(*value);
          }
        } else if (auto text = ReadTextAt(reader, entry, key_path, key_name)) {
          entry.key == "id" ? tier.set_id(*text) : tier.set_name(*text);
        }
      });
}

void ReadReward(FileReader& reader, const YAML::Node& item, size_t index,
                loyalty::v1::Reward& reward) {
  static constexpr const char* kKeys[] = {"id", "description", "points",
                                          "stock", "valid"};
  static constexpr const char* kRequired[] = {"id", "description", "points"};
  const std::string path = absl::StrCat("rewards[", index, "]");
  const std::string name = ItemName("reward", item, "id", index);
  ReadItemKeys(
      reader, item, path, name, kKeys, kRequired,
      [&](const Entry& entry, const std::string& key_path,
          const std::string& key_name) {
        if (entry.key == "valid") {
          ReadValidity(reader, entry, path + ".validity", key_name,
                       *reward.mutable_validity());
        } else if (entry.key == "points" || entry.key == "stock") {
          if (auto value = ReadIntegerAt(reader, entry, key_path, key_name)) {
            entry.key == "points" ? reward.set_points(*value)
                                  : reward.set_stock(*value);
          }
        } else if (auto text = ReadTextAt(reader, entry, key_path, key_name)) {
          entry.key == "id" ? reward.set_id(*text)
                            : reward.set_description(*text);
        }
      });
}

}  // namespace

void ReadTierLevels(FileReader& reader, const Entry& levels,
                    loyalty::v1::TierSettings& tiers) {
  // An empty `levels:` reads as no levels; CheckRuleSet then says how many
  // it needs, at this line.
  if (!levels.value.IsNull() && !levels.value.IsSequence()) {
    reader.Report(levels.line,
                  absl::StrCat("tiers.levels: must be a list of tiers, each "
                               "starting with '- ', got ",
                               Describe(levels.value)));
    return;
  }
  reader.Locate("tiers.levels", levels.line, "tiers.levels");
  if (levels.value.IsNull()) return;
  size_t index = 0;
  for (const YAML::Node& item : levels.value) {
    ReadLevel(reader, item, index++, tiers.measure(), *tiers.add_levels());
  }
}

void ReadRewards(FileReader& reader, const Entry& section,
                 loyalty::v1::RuleSet& rule_set) {
  ReadEachItem(reader, section, "rewards",
               [&](const YAML::Node& item, size_t i) {
                 ReadReward(reader, item, i, *rule_set.add_rewards());
               });
}

}  // namespace loyalty::evaluator::internal
