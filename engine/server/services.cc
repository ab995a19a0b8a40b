#include "engine/server/services.h"

#include <utility>

#include "engine/server/grpc_status.h"

namespace loyalty::server {
namespace {

// Finishes a unary call with the result of a read.
template <typename Response>
grpc::ServerUnaryReactor* FinishWith(grpc::CallbackServerContext* context,
                                     absl::StatusOr<Response> result,
                                     Response* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (result.ok()) *response = *std::move(result);
  reactor->Finish(ToGrpcStatus(result.status()));
  return reactor;
}

// A reply that finishes the call when a write's answer arrives.
template <typename Response>
program::Reply<Response> FinishLater(grpc::ServerUnaryReactor* reactor,
                                     Response* response) {
  return [reactor, response](absl::StatusOr<Response> result) {
    if (result.ok()) *response = *std::move(result);
    reactor->Finish(ToGrpcStatus(result.status()));
  };
}

}  // namespace

grpc::ServerUnaryReactor* CheckoutService::QuotePurchase(
    grpc::CallbackServerContext* context,
    const loyalty::v1::QuotePurchaseRequest* request,
    loyalty::v1::QuotePurchaseResponse* response) {
  return FinishWith(context, operations_->QuotePurchase(*request), response);
}

grpc::ServerUnaryReactor* CheckoutService::CommitPurchase(
    grpc::CallbackServerContext* context,
    const loyalty::v1::CommitPurchaseRequest* request,
    loyalty::v1::CommitPurchaseResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  operations_->CommitPurchase(*request, FinishLater(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* MembersService::EnrollMember(
    grpc::CallbackServerContext* context,
    const loyalty::v1::EnrollMemberRequest* request,
    loyalty::v1::EnrollMemberResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  operations_->EnrollMember(*request, FinishLater(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* MembersService::GetMember(
    grpc::CallbackServerContext* context,
    const loyalty::v1::GetMemberRequest* request,
    loyalty::v1::GetMemberResponse* response) {
  return FinishWith(context, operations_->GetMember(*request), response);
}

grpc::ServerUnaryReactor* MembersService::GetBalance(
    grpc::CallbackServerContext* context,
    const loyalty::v1::GetBalanceRequest* request,
    loyalty::v1::GetBalanceResponse* response) {
  return FinishWith(context, operations_->GetBalance(*request), response);
}

grpc::ServerUnaryReactor* MembersService::ListEntries(
    grpc::CallbackServerContext* context,
    const loyalty::v1::ListEntriesRequest* request,
    loyalty::v1::ListEntriesResponse* response) {
  return FinishWith(context, operations_->ListEntries(*request), response);
}

grpc::ServerUnaryReactor* ProgramService::RecordFeedback(
    grpc::CallbackServerContext* context,
    const loyalty::v1::RecordFeedbackRequest* request,
    loyalty::v1::RecordFeedbackResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  operations_->RecordFeedback(*request, FinishLater(reactor, response));
  return reactor;
}

}  // namespace loyalty::server
