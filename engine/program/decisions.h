// The decisions of the program's writes, as the ledger's writer thread runs
// them (operations.h follows a sale through one). Internal to engine/program:
// the operations hand them to the ledger, and the simulation (simulation.h)
// runs the very same decisions on a scratch batch that is never written, so
// that a replay under the rule set that priced the history reproduces it.
#ifndef LOYALTY_ENGINE_PROGRAM_DECISIONS_H_
#define LOYALTY_ENGINE_PROGRAM_DECISIONS_H_

#include <string>

#include "absl/status/statusor.h"
#include "engine/evaluator/evaluator.h"
#include "engine/ledger/ledger.h"
#include "engine/ledger/transaction.h"
#include "engine/program/rule_book.h"
#include "engine/program/time_bounds.h"
#include "loyalty/v1/checkout.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty::program::internal {

// Each returns the serialized response of its RPC (purchase.cc,
// adjust.cc, rewards.cc, operations.cc); refunds are refund.h's DecideRefund
// and upkeep is upkeep.h's RunUpkeep.
absl::StatusOr<std::string> DecidePurchase(
    const loyalty::v1::Purchase& purchase, const RuleBook& book,
    const TimeBounds& bounds, ledger::Transaction& transaction);
// DecidePurchase's response as a message, for the simulation's replay
// (which reads its priced purchase).
absl::StatusOr<loyalty::v1::CommitPurchaseResponse> DecidePurchaseMessage(
    const loyalty::v1::Purchase& purchase, const RuleBook& book,
    const TimeBounds& bounds, ledger::Transaction& transaction);
// DecidePurchase for the ledger: the response, and what to keep of it under
// the request id (all but the priced purchase, which the order's record
// holds); RebuildPurchaseResponse puts the two together again on a replay.
absl::StatusOr<ledger::Decision> DecideKeptPurchase(
    const loyalty::v1::Purchase& purchase, const RuleBook& book,
    const TimeBounds& bounds, ledger::Transaction& transaction);
absl::StatusOr<std::string> RebuildPurchaseResponse(
    const loyalty::v1::Purchase& purchase, absl::string_view kept,
    ledger::Transaction& transaction);
absl::StatusOr<std::string> DecideAdjust(
    const loyalty::v1::AdjustBalanceRequest& request,
    const evaluator::CompiledRules& rules, ledger::Transaction& transaction);
absl::StatusOr<std::string> DecideRedeem(
    const loyalty::v1::RedeemRewardRequest& request,
    const evaluator::CompiledRules& rules, ledger::Transaction& transaction);
absl::StatusOr<std::string> DecideFeedback(
    const loyalty::v1::Feedback& feedback,
    const evaluator::CompiledRules& rules, ledger::Transaction& transaction);

}  // namespace loyalty::program::internal

#endif  // LOYALTY_ENGINE_PROGRAM_DECISIONS_H_
