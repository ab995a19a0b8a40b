// SimulateRules: what a candidate rule set would have done over a past
// period, next to what the ledger recorded (Program.SimulateRules).
//
// How: one EntryReader snapshot of the journal, read oldest first, its
// entries grouped into the operations that appended them. Every operation
// from the first entry on is decided again on a scratch ledger in memory
// (replay.h): those before from_time with the rule-set versions that were
// active (so each member's state at from_time, lots, tier progress, caps and
// budgets used, is the history's), those in [from_time, to_time) with the
// candidate only, in the order they were committed, each at its own record
// time. The recorded side of the comparison is counted from the journal's
// entries and the orders' records, the candidate side from what the replay
// appended, by the same code (simulation_tally.h). Nothing is written; the
// replay runs on the caller's thread (a reader thread of the server), never
// on the ledger's writer.
//
// Cost: O(entries up to to_time) time, memory for the members replayed
// (their records, lent to each replayed operation rather than copied) and
// the records of the orders refunded in the snapshot, which refunds read
// again; not one record per sale.
#ifndef LOYALTY_ENGINE_PROGRAM_SIMULATION_H_
#define LOYALTY_ENGINE_PROGRAM_SIMULATION_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/evaluator/evaluator.h"
#include "engine/ledger/ledger.h"
#include "engine/program/rule_book.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty::program {

struct SimulationInput {
  const ledger::Ledger* ledger = nullptr;  // not owned
  const RuleBook* recorded = nullptr;      // the stored versions; not owned
  std::shared_ptr<const evaluator::CompiledRules> candidate;
  absl::Time from;
  absl::Time to;
  int64_t sample_every = 0;  // 0, 1: every member
  std::string sample_segment;
  std::string partner_id;  // narrows the sales figures
};

// Runs the simulation; calls `progress` after every page of entries, and
// returns the last message (done, with the report). CANCELLED when `stop`
// becomes true.
absl::StatusOr<loyalty::v1::SimulateRulesResponse> Simulate(
    const SimulationInput& input,
    absl::FunctionRef<void(const loyalty::v1::SimulateRulesResponse&)> progress,
    const std::atomic<bool>* stop);

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_SIMULATION_H_
