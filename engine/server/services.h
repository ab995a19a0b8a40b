// The gRPC adapters: each handler checks nothing but transport concerns,
// hands the request to program::Operations and finishes the call when the
// answer is ready. Handlers never block: writes finish from the ledger's
// writer thread once durable.
#ifndef LOYALTY_ENGINE_SERVER_SERVICES_H_
#define LOYALTY_ENGINE_SERVER_SERVICES_H_

#include "engine/program/operations.h"
#include "loyalty/v1/checkout.grpc.pb.h"
#include "loyalty/v1/members.grpc.pb.h"
#include "loyalty/v1/program.grpc.pb.h"

namespace loyalty::server {

class CheckoutService final : public loyalty::v1::Checkout::CallbackService {
 public:
  explicit CheckoutService(program::Operations* operations)
      : operations_(operations) {}

  grpc::ServerUnaryReactor* QuotePurchase(
      grpc::CallbackServerContext* context,
      const loyalty::v1::QuotePurchaseRequest* request,
      loyalty::v1::QuotePurchaseResponse* response) override;
  grpc::ServerUnaryReactor* CommitPurchase(
      grpc::CallbackServerContext* context,
      const loyalty::v1::CommitPurchaseRequest* request,
      loyalty::v1::CommitPurchaseResponse* response) override;

 private:
  program::Operations* const operations_;
};

class MembersService final : public loyalty::v1::Members::CallbackService {
 public:
  explicit MembersService(program::Operations* operations)
      : operations_(operations) {}

  grpc::ServerUnaryReactor* EnrollMember(
      grpc::CallbackServerContext* context,
      const loyalty::v1::EnrollMemberRequest* request,
      loyalty::v1::EnrollMemberResponse* response) override;
  grpc::ServerUnaryReactor* GetMember(
      grpc::CallbackServerContext* context,
      const loyalty::v1::GetMemberRequest* request,
      loyalty::v1::GetMemberResponse* response) override;
  grpc::ServerUnaryReactor* GetBalance(
      grpc::CallbackServerContext* context,
      const loyalty::v1::GetBalanceRequest* request,
      loyalty::v1::GetBalanceResponse* response) override;
  grpc::ServerUnaryReactor* ListEntries(
      grpc::CallbackServerContext* context,
      const loyalty::v1::ListEntriesRequest* request,
      loyalty::v1::ListEntriesResponse* response) override;

 private:
  program::Operations* const operations_;
};

// Program: what marketing staff and administrators call. Serves
// RecordFeedback; the rule and partner RPCs answer UNIMPLEMENTED until their
// work lands.
class ProgramService final : public loyalty::v1::Program::CallbackService {
 public:
  explicit ProgramService(program::Operations* operations)
      : operations_(operations) {}

  grpc::ServerUnaryReactor* RecordFeedback(
      grpc::CallbackServerContext* context,
      const loyalty::v1::RecordFeedbackRequest* request,
      loyalty::v1::RecordFeedbackResponse* response) override;

 private:
  program::Operations* const operations_;
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_SERVICES_H_
