// One side of a simulation's comparison ("as recorded" or "under the
// candidate"): the figures of SimulationFigures (program.proto), added up
// from the journal entries and priced sales of the period. Both sides are
// counted by this same code, the recorded side from the journal, the
// candidate side from the replay, so that a replay equal to the history
// gives equal figures. Not thread-safe.
#ifndef LOYALTY_ENGINE_PROGRAM_SIMULATION_TALLY_H_
#define LOYALTY_ENGINE_PROGRAM_SIMULATION_TALLY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "engine/evaluator/evaluator.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty::program {

// Where the period starts: what the replay of the history holds at from_time.
struct PeriodStart {
  std::map<std::string, std::string> tiers;  // by member (the sample)
  int64_t liability_points = 0;
  int64_t liability_cashback_minor = 0;
  std::map<std::string, int64_t> budget_spent;  // by rule id
};

class SimulationTally {
 public:
  // `rules`: the side's rule set (its budgets and time zone); `partner_id`:
  // when set, only that partner's entries and sales count.
  SimulationTally(const evaluator::CompiledRules& rules, std::string partner_id,
                  const PeriodStart& start);

  // The entries of one operation.
  void AddEntries(const std::vector<loyalty::v1::JournalEntry>& entries);
  // One sale as priced, with the partner it was made at.
  void AddSale(const loyalty::v1::PricedPurchase& priced,
               absl::string_view partner_id, absl::Time purchase_time);
  void AddRefused() {
    figures_.set_operations_refused(figures_.operations_refused() + 1);
  }
  // A member enrolled in the period, at `tier`.
  void AddMember(const std::string& member_id, const std::string& tier);

  const std::map<std::string, std::string>& tiers() const { return tiers_; }
  // The figures, liability and tiers left out when narrowed to a partner.
  loyalty::v1::SimulationFigures Finish(int64_t point_value_minor) const;

 private:
  bool Counts(absl::string_view partner_id) const {
    return partner_id_.empty() || partner_id == partner_id_;
  }
  void AddPostings(const loyalty::v1::JournalEntry& entry);
  void AddBudgetUse(const loyalty::v1::RuleUsage& usage, absl::Time time);

  const evaluator::CompiledRules& rules_;
  const std::string partner_id_;
  loyalty::v1::SimulationFigures figures_;
  std::map<std::string, loyalty::v1::RuleFigures> rules_hit_;
  std::map<std::string, loyalty::v1::BudgetFigures> budgets_;
  std::map<std::string, std::string> tiers_;
  int64_t liability_cashback_minor_ = 0;
};

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_SIMULATION_TALLY_H_
