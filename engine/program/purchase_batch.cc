// CommitPurchases: a batch of sales, each one the very ledger operation its
// own CommitPurchase would be (Operations::PurchaseOperation, purchase.cc):
// the same request id, fingerprint and decision, so the ledger remembers
// each under its request id exactly as it would a single sale. The batch
// adds only two things: the purchases are queued together (Ledger::
// SubmitAll), so the writer decides them in the order sent and puts them
// into as few WriteBatches (one fsync each) as it can; and their answers
// are gathered into one response, sent once the last is durable.
#include <atomic>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "engine/base/limits.h"
#include "engine/program/operations.h"

namespace loyalty::program {
namespace {

using loyalty::v1::CommitPurchasesResponse;

// The answers of one batch as they arrive. Each purchase's Done writes its
// own outcome, once; whichever Done comes last sends the reply. The Dones
// run on the ledger's completer thread, or all at once on the caller's
// when the ledger refuses the batch.
class BatchAnswers {
 public:
  BatchAnswers(const loyalty::v1::CommitPurchasesRequest& request,
               Reply<CommitPurchasesResponse> reply)
      : remaining_(request.purchases_size()), reply_(std::move(reply)) {
    for (const auto& purchase : request.purchases()) {
      response_.add_outcomes()->set_request_id(purchase.request_id());
    }
  }

  void Answer(int index, ledger::Outcome outcome) {
    loyalty::v1::PurchaseOutcome& answer = *response_.mutable_outcomes(index);
    answer.set_replayed(outcome.replayed);
    if (!outcome.status.ok()) {
      *answer.mutable_refused() = RpcStatusOf(outcome.status);
    } else if (!answer.mutable_committed()->ParseFromString(outcome.response)) {
      *answer.mutable_refused() =
          RpcStatusOf(absl::InternalError("a stored response does not parse"));
    }
    // The last one sees every other outcome (acq_rel orders the writes).
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      reply_(std::move(response_));
    }
  }

 private:
  CommitPurchasesResponse response_;
  std::atomic<int> remaining_;
  Reply<CommitPurchasesResponse> reply_;
};

// INVALID_ARGUMENT naming `purchases` for a batch of no purchases, or of
// more than the limits allow.
absl::Status CheckBatch(const loyalty::v1::CommitPurchasesRequest& request) {
  const int count = request.purchases_size();
  if (count == 0 || count > kMaxBatchPurchases) {
    return InvalidArgument(count == 0 ? "MISSING_FIELD" : "TOO_MANY_PURCHASES",
                           "purchases",
                           absl::StrCat("give 1 to ", kMaxBatchPurchases,
                                        " purchases per call, got ", count));
  }
  const size_t bytes = request.ByteSizeLong();
  if (bytes > kMaxBatchBytes) {
    return InvalidArgument(
        "BATCH_TOO_LARGE", "purchases",
        absl::StrCat("at most ", kMaxBatchBytes, " bytes of purchases per ",
                     "call, got ", bytes, "; send fewer purchases per call"));
  }
  return absl::OkStatus();
}

}  // namespace

void Operations::CommitPurchases(
    const loyalty::v1::CommitPurchasesRequest& request,
    Reply<CommitPurchasesResponse> reply, absl::Time deadline) {
  if (absl::Status refusal = CheckBatch(request); !refusal.ok()) {
    reply(std::move(refusal));
    return;
  }
  const int count = request.purchases_size();
  auto answers = std::make_shared<BatchAnswers>(request, std::move(reply));
  std::vector<std::pair<ledger::Operation, ledger::Done>> operations;
  operations.reserve(count);
  for (int i = 0; i < count; ++i) {
    operations.emplace_back(PurchaseOperation(request.purchases(i), deadline),
                            [answers, i](ledger::Outcome outcome) {
                              answers->Answer(i, std::move(outcome));
                            });
  }
  ledger_->SubmitAll(std::move(operations));
}

}  // namespace loyalty::program
