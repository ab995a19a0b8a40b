// Refunds: full or partial (by line and quantity) reversals of a committed
// order, in one ledger entry each.
//
// Exact without drift: every amount of a refund is "what the refunded share
// of the order should have moved by now, minus what earlier refunds moved",
// with the share = refunded subtotal / order subtotal and rounding down, so
// the refunds of an order always add up to its full refund.
//
// A refund takes back the points and cashback the refunded part earned, gives
// back the points (into the lots they came from, with their dates) and the
// cashback that paid for it, and gives back campaign budget and cap usage.
// Earned points the member has spent already follow the rule set's
// refund.clawback policy (NEGATIVE, CASHBACK or FORGIVE).
#ifndef LOYALTY_ENGINE_PROGRAM_REFUND_H_
#define LOYALTY_ENGINE_PROGRAM_REFUND_H_

#include <string>

#include "absl/status/statusor.h"
#include "engine/evaluator/evaluator.h"
#include "engine/ledger/transaction.h"
#include "engine/program/order_record.h"
#include "loyalty/v1/checkout.pb.h"
#include "loyalty/v1/storage.pb.h"

namespace loyalty::program {

// Decides a refund on the writer thread; returns the serialized
// RefundPurchaseResponse.
absl::StatusOr<std::string> DecideRefund(
    const loyalty::v1::RefundPurchaseRequest& request,
    const evaluator::CompiledRules& rules, ledger::Transaction& transaction);

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_REFUND_H_
