// The gRPC adapters: each handler checks the caller (auth.h), hands the
// request to program::Operations and finishes the call when the answer is
// ready. Handlers never block: writes finish on the ledger's completer thread
// once durable. Each handler first checks the request against the limits of
// engine/base/limits.h.
//
// A request that is not valid protobuf never reaches these handlers: in
// gRPC 1.51 the callback API's CallbackUnaryHandler::RunHandler
// (grpcpp/impl/codegen/server_callback_handlers.h) finishes the call with
// UNIMPLEMENTED and an empty message when SerializationTraits::Deserialize
// fails, and neither an interceptor nor a message allocator can change that
// status. The one supported way to answer INVALID_ARGUMENT instead is to
// register every method as a raw callback method (WithRawCallbackMethod_*),
// parse and serialize each message by hand and keep a reactor per call;
// that is a rewrite of every handler, not done (issue 12).
#ifndef LOYALTY_ENGINE_SERVER_SERVICES_H_
#define LOYALTY_ENGINE_SERVER_SERVICES_H_

#include <atomic>
#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "engine/base/log.h"
#include "engine/program/operations.h"
#include "engine/server/auth.h"
#include "loyalty/v1/checkout.grpc.pb.h"
#include "loyalty/v1/members.grpc.pb.h"
#include "loyalty/v1/program.grpc.pb.h"

namespace loyalty::server {

// What every service needs: the operations, the caller check and the log.
struct ServiceContext {
  program::Operations* operations;
  const Authorizer* authorizer;
  KeyRing* keys;
  const Logger* logger = &Logger::Discard();  // not owned; what it gets: call_log.h
};

class CheckoutService final : public loyalty::v1::Checkout::CallbackService {
 public:
  explicit CheckoutService(ServiceContext services) : services_(services) {}

  grpc::ServerUnaryReactor* QuotePurchase(
      grpc::CallbackServerContext* context,
      const loyalty::v1::QuotePurchaseRequest* request,
      loyalty::v1::QuotePurchaseResponse* response) override;
  grpc::ServerUnaryReactor* CommitPurchase(
      grpc::CallbackServerContext* context,
      const loyalty::v1::CommitPurchaseRequest* request,
      loyalty::v1::CommitPurchaseResponse* response) override;
  grpc::ServerUnaryReactor* RefundPurchase(
      grpc::CallbackServerContext* context,
      const loyalty::v1::RefundPurchaseRequest* request,
      loyalty::v1::RefundPurchaseResponse* response) override;
  grpc::ServerUnaryReactor* RedeemReward(
      grpc::CallbackServerContext* context,
      const loyalty::v1::RedeemRewardRequest* request,
      loyalty::v1::RedeemRewardResponse* response) override;

 private:
  ServiceContext services_;
};

class MembersService final : public loyalty::v1::Members::CallbackService {
 public:
  explicit MembersService(ServiceContext services) : services_(services) {}

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
  ServiceContext services_;
};

// Program: what marketing staff and administrators call. Serves rule-set
// versions, adjustments, feedback, partners, API keys and the maintenance
// run.
class ProgramService final : public loyalty::v1::Program::CallbackService {
 public:
  explicit ProgramService(ServiceContext services) : services_(services) {}
  // Stops a maintenance run in progress and waits for it.
  ~ProgramService() override;

  // For a stop of the server: a maintenance run in progress ends at its next
  // page of members, its call with UNAVAILABLE (what it wrote stays
  // written; the next run does the rest), and no new run starts.
  void Stop() { stopping_ = true; }

  // One maintenance run at a time, on a thread of its own
  // (expiry_service.cc); a second call while one runs is refused with
  // FAILED_PRECONDITION (EXPIRY_RUNNING).
  grpc::ServerWriteReactor<loyalty::v1::RunExpiryResponse>* RunExpiry(
      grpc::CallbackServerContext* context,
      const loyalty::v1::RunExpiryRequest* request) override;

  grpc::ServerUnaryReactor* AdjustBalance(
      grpc::CallbackServerContext* context,
      const loyalty::v1::AdjustBalanceRequest* request,
      loyalty::v1::AdjustBalanceResponse* response) override;
  grpc::ServerUnaryReactor* RecordFeedback(
      grpc::CallbackServerContext* context,
      const loyalty::v1::RecordFeedbackRequest* request,
      loyalty::v1::RecordFeedbackResponse* response) override;
  grpc::ServerUnaryReactor* ValidateRules(
      grpc::CallbackServerContext* context,
      const loyalty::v1::ValidateRulesRequest* request,
      loyalty::v1::ValidateRulesResponse* response) override;
  grpc::ServerUnaryReactor* LoadRules(
      grpc::CallbackServerContext* context,
      const loyalty::v1::LoadRulesRequest* request,
      loyalty::v1::LoadRulesResponse* response) override;
  grpc::ServerUnaryReactor* GetRules(
      grpc::CallbackServerContext* context,
      const loyalty::v1::GetRulesRequest* request,
      loyalty::v1::GetRulesResponse* response) override;
  grpc::ServerUnaryReactor* CreateApiKey(
      grpc::CallbackServerContext* context,
      const loyalty::v1::CreateApiKeyRequest* request,
      loyalty::v1::CreateApiKeyResponse* response) override;
  grpc::ServerUnaryReactor* ListApiKeys(
      grpc::CallbackServerContext* context,
      const loyalty::v1::ListApiKeysRequest* request,
      loyalty::v1::ListApiKeysResponse* response) override;
  grpc::ServerUnaryReactor* RevokeApiKey(
      grpc::CallbackServerContext* context,
      const loyalty::v1::RevokeApiKeyRequest* request,
      loyalty::v1::RevokeApiKeyResponse* response) override;
  grpc::ServerUnaryReactor* UpsertPartner(
      grpc::CallbackServerContext* context,
      const loyalty::v1::UpsertPartnerRequest* request,
      loyalty::v1::UpsertPartnerResponse* response) override;
  grpc::ServerUnaryReactor* ListPartners(
      grpc::CallbackServerContext* context,
      const loyalty::v1::ListPartnersRequest* request,
      loyalty::v1::ListPartnersResponse* response) override;

 private:
  ServiceContext services_;
  std::atomic<bool> stopping_{false};
  absl::Mutex mu_;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  std::thread run_thread_ ABSL_GUARDED_BY(mu_);
};

// The API key as clients see it (never the secret's hash).
loyalty::v1::ApiKey ApiKeyOf(const loyalty::v1::ApiKeyRecord& record);

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_SERVICES_H_
