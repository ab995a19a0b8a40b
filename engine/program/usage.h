// Campaign usage: the counters that keep caps, budgets and promo-code limits
// (the contract is in engine/evaluator/evaluator.h). They are read and
// written on the ledger's writer thread, in the same write as the purchase,
// so two concurrent commits can never both spend the last of a budget.
//
//   member record  rule_usage[<rule>/<day|month|year>/<period>], promo_code_uses
//   ledger counter budget/<rule id>  (value 0: spent, in the rule's cap unit)
//   ledger counter promo/<CODE>      (value 0: uses by every member)
//
// A member keeps only the usage keys of the periods the rules read at the
// purchase's time and at the commit's time; older periods are dropped, so a
// sale back-dated into a closed period is capped as if that period were new.
#ifndef LOYALTY_ENGINE_PROGRAM_USAGE_H_
#define LOYALTY_ENGINE_PROGRAM_USAGE_H_

#include "absl/time/time.h"
#include "engine/evaluator/evaluator.h"
#include "engine/ledger/ledger.h"
#include "engine/ledger/transaction.h"
#include "loyalty/v1/storage.pb.h"
#include "loyalty/v1/types.pb.h"

namespace loyalty::program {

// The program-wide usage as this transaction sees it.
evaluator::ProgramState ProgramStateOf(const evaluator::CompiledRules& rules,
                                       const loyalty::v1::Purchase& purchase,
                                       const ledger::Transaction& transaction);

// The same from the stored counters, for quotes (which bind nothing).
absl::StatusOr<evaluator::ProgramState> StoredProgramState(
    const evaluator::CompiledRules& rules, const ledger::Ledger& ledger);

// Records what `priced` used, and prunes the member's old usage keys.
void RecordUsage(const loyalty::v1::PricedPurchase& priced,
                 const evaluator::CompiledRules& rules, absl::Time purchase_time,
                 loyalty::v1::MemberRecord* member,
                 ledger::Transaction& transaction);

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_USAGE_H_
