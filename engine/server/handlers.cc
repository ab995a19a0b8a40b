// Checkout and Members: the handlers of the sale and of the member's reads.
#include "engine/server/handlers.h"

#include <utility>

#include "engine/base/error.h"

namespace loyalty::server {

void RpcHandlers::Run(const v1::QuotePurchaseRequest& request, const Admission&,
                      ReplyTo<v1::QuotePurchaseRequest> reply) {
  reply(operations_->QuotePurchase(request));
}

void RpcHandlers::Run(const v1::CommitPurchaseRequest& request,
                      const Admission& call,
                      ReplyTo<v1::CommitPurchaseRequest> reply) {
  operations_->CommitPurchase(request, std::move(reply), call.deadline);
}

// Each purchase is refused or committed on its own; the call answers once
// every one is durable. A refused purchase is logged as its own
// CommitPurchase would be, under its request_id.
void RpcHandlers::Run(const v1::CommitPurchasesRequest& request,
                      const Admission& call,
                      ReplyTo<v1::CommitPurchasesRequest> reply) {
  operations_->CommitPurchases(
      request,
      [log = call.log, reply = std::move(reply)](
          absl::StatusOr<v1::CommitPurchasesResponse> answer) mutable {
        if (answer.ok()) {
          for (const v1::PurchaseOutcome& outcome : answer->outcomes()) {
            if (!outcome.has_refused()) continue;
            log.ForItem(outcome.request_id())
                .Failure(StatusOf(outcome.refused()));
          }
        }
        reply(std::move(answer));
      },
      call.deadline);
}

void RpcHandlers::Run(const v1::RefundPurchaseRequest& request,
                      const Admission& call,
                      ReplyTo<v1::RefundPurchaseRequest> reply) {
  operations_->RefundPurchase(request, std::move(reply), call.deadline);
}

void RpcHandlers::Run(const v1::RedeemRewardRequest& request,
                      const Admission& call,
                      ReplyTo<v1::RedeemRewardRequest> reply) {
  operations_->RedeemReward(request, std::move(reply), call.deadline);
}

void RpcHandlers::Run(const v1::EnrollMemberRequest& request,
                      const Admission& call,
                      ReplyTo<v1::EnrollMemberRequest> reply) {
  operations_->EnrollMember(request, std::move(reply), call.deadline);
}

void RpcHandlers::Run(const v1::GetMemberRequest& request, const Admission&,
                      ReplyTo<v1::GetMemberRequest> reply) {
  reply(operations_->GetMember(request));
}

void RpcHandlers::Run(const v1::GetBalanceRequest& request, const Admission&,
                      ReplyTo<v1::GetBalanceRequest> reply) {
  reply(operations_->GetBalance(request));
}

// A page of history may read far back on disk: on a reader thread.
void RpcHandlers::Run(const v1::ListEntriesRequest& request,
                      const Admission& call,
                      ReplyTo<v1::ListEntriesRequest> reply) {
  readers_->Read<v1::ListEntriesResponse>(
      std::move(reply), [this, &request, partner = call.partner_id] {
        return operations_->ListEntries(request, partner);
      });
}

}  // namespace loyalty::server
