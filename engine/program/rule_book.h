// The versions of the rule set, and which one prices a purchase at a given
// time: the newest version whose activation time has come (the first one
// loaded prices everything before any activation). Thread-safe; a purchase
// asks once, so it is priced by exactly one version.
//
// The book holds durable versions only: a load adds its version in its
// completion, after the batch holding the version's record is synced, so a
// quote or a purchase never uses a version that a crash could forget, and a
// restart (which reads the stored versions back) sees exactly the versions
// that were answered. The activation time is stamped when the load is
// decided (or later, when asked for); a version therefore prices purchases
// from the later of its activation time and the moment its load is durable.
// A purchase decided in between (the load's batch and the one after it, a
// group commit or two: milliseconds) is priced by the version before, and
// its entry names that version (rules_version), so the journal stays the
// record of what priced each sale.
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
