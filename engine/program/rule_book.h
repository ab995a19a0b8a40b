// The versions of the rule set, and which one prices a purchase at a given
// time: the newest version whose activation time has come (the first one
// loaded prices everything before any activation). Thread-safe; a purchase
// asks once, so it is priced by exactly one version.
#ifndef LOYALTY_ENGINE_PROGRAM_RULE_BOOK_H_
#define LOYALTY_ENGINE_PROGRAM_RULE_BOOK_H_

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/evaluator/evaluator.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty::program {

class RuleBook {
 public:
  struct Version {
    loyalty::v1::RuleSetVersion meta;  // without rule_set and yaml
    std::shared_ptr<const evaluator::CompiledRules> rules;
  };

  // Adds a version; versions stay ordered by activation time, then by the
  // order they were added.
  void Add(loyalty::v1::RuleSetVersion meta,
           std::shared_ptr<const evaluator::CompiledRules> rules);
  // The version that prices purchases at `when`; nullptr when empty.
  std::shared_ptr<const evaluator::CompiledRules> ActiveAt(absl::Time when) const;
  std::vector<Version> Versions() const;
  bool Contains(absl::string_view version) const;

 private:
  mutable absl::Mutex mu_;
  std::vector<Version> versions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_RULE_BOOK_H_
