#include "engine/program/rule_book.h"

#include <algorithm>

#include "engine/base/time_util.h"

namespace loyalty::program {

void RuleBook::Add(loyalty::v1::RuleSetVersion meta,
                   std::shared_ptr<const evaluator::CompiledRules> rules) {
  meta.clear_rule_set();
  meta.clear_yaml();
  absl::MutexLock lock(&mu_);
  const absl::Time activation = FromTimestamp(meta.activation_time());
  auto after = std::upper_bound(
      versions_.begin(), versions_.end(), activation,
      [](absl::Time time, const Version& version) {
        return time < FromTimestamp(version.meta.activation_time());
      });
  versions_.insert(after, Version{std::move(meta), std::move(rules)});
}

std::shared_ptr<const evaluator::CompiledRules> RuleBook::ActiveAt(
    absl::Time when) const {
  absl::MutexLock lock(&mu_);
  if (versions_.empty()) return nullptr;
  std::shared_ptr<const evaluator::CompiledRules> active = versions_.front().rules;
  for (const Version& version : versions_) {
    if (FromTimestamp(version.meta.activation_time()) > when) break;
    active = version.rules;
  }
  return active;
}

std::vector<RuleBook::Version> RuleBook::Versions() const {
  absl::MutexLock lock(&mu_);
  return versions_;
}

bool RuleBook::Contains(absl::string_view version) const {
  absl::MutexLock lock(&mu_);
  return std::any_of(versions_.begin(), versions_.end(), [&](const Version& v) {
    return v.meta.version() == version;
  });
}

}  // namespace loyalty::program
