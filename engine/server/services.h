// The gRPC services: thin doors onto the one call path (call_path.h). Every
// method is registered raw, so a request that is not valid protobuf gets
// INVALID_ARGUMENT (grpc_door.h); every unary method is one ServeUnary call,
// and the two streams (ExportLedger, RunExpiry) are admitted by the same
// path, then answered by reactors of their own. Handlers never block:
// writes finish from the ledger's completer once durable.
#ifndef LOYALTY_ENGINE_SERVER_SERVICES_H_
#define LOYALTY_ENGINE_SERVER_SERVICES_H_

#include <atomic>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "engine/program/operations.h"
#include "engine/server/call_path.h"
#include "engine/server/grpc_door.h"
#include "engine/server/maintenance_runs.h"
#include "engine/server/reader_pool.h"
#include "engine/server/simulation_runs.h"
#include "loyalty/v1/checkout.grpc.pb.h"
#include "loyalty/v1/members.grpc.pb.h"
#include "loyalty/v1/program.grpc.pb.h"

namespace loyalty::server {

using CheckoutBase = v1::Checkout::WithRawCallbackMethod_QuotePurchase<
    v1::Checkout::WithRawCallbackMethod_CommitPurchase<
        v1::Checkout::WithRawCallbackMethod_CommitPurchases<
            v1::Checkout::WithRawCallbackMethod_RefundPurchase<
                v1::Checkout::WithRawCallbackMethod_RedeemReward<
                    v1::Checkout::Service>>>>>;

class CheckoutService final : public CheckoutBase {
 public:
  explicit CheckoutService(const CallPath* path) : path_(path) {}

  grpc::ServerUnaryReactor* QuotePurchase(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override {
    return ServeUnary<v1::QuotePurchaseRequest>(*path_, context, request,
                                                response);
  }
  grpc::ServerUnaryReactor* CommitPurchase(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override {
    return ServeUnary<v1::CommitPurchaseRequest>(*path_, context, request,
                                                 response);
  }
  grpc::ServerUnaryReactor* CommitPurchases(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override {
    return ServeUnary<v1::CommitPurchasesRequest>(*path_, context, request,
                                                  response);
  }
  grpc::ServerUnaryReactor* RefundPurchase(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override {
    return ServeUnary<v1::RefundPurchaseRequest>(*path_, context, request,
                                                 response);
  }
  grpc::ServerUnaryReactor* RedeemReward(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override {
    return ServeUnary<v1::RedeemRewardRequest>(*path_, context, request,
                                               response);
  }

 private:
  const CallPath* const path_;
};

using MembersBase = v1::Members::WithRawCallbackMethod_EnrollMember<
    v1::Members::WithRawCallbackMethod_GetMember<
        v1::Members::WithRawCallbackMethod_GetBalance<
            v1::Members::WithRawCallbackMethod_ListEntries<
                v1::Members::WithRawCallbackMethod_UpdateMember<
                    v1::Members::WithRawCallbackMethod_SearchMembers<
                        v1::Members::WithRawCallbackMethod_ExportMemberData<
                            v1::Members::WithRawCallbackMethod_EraseMember<
                                v1::Members::Service>>>>>>>>;

class MembersService final : public MembersBase {
 public:
  explicit MembersService(const CallPath* path) : path_(path) {}

  grpc::ServerUnaryReactor* EnrollMember(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override {
    return ServeUnary<v1::EnrollMemberRequest>(*path_, context, request,
                                               response);
  }
  grpc::ServerUnaryReactor* GetMember(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override {
    return ServeUnary<v1::GetMemberRequest>(*path_, context, request, response);
  }
  grpc::ServerUnaryReactor* GetBalance(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override {
    return ServeUnary<v1::GetBalanceRequest>(*path_, context, request,
                                             response);
  }
  grpc::ServerUnaryReactor* ListEntries(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override {
    return ServeUnary<v1::ListEntriesRequest>(*path_, context, request,
                                              response);
  }
  grpc::ServerUnaryReactor* UpdateMember(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override {
    return ServeUnary<v1::UpdateMemberRequest>(*path_, context, request,
                                               response);
  }
  grpc::ServerUnaryReactor* SearchMembers(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override {
    return ServeUnary<v1::SearchMembersRequest>(*path_, context, request,
                                                response);
  }
  grpc::ServerUnaryReactor* ExportMemberData(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override {
    return ServeUnary<v1::ExportMemberDataRequest>(*path_, context, request,
                                                   response);
  }
  grpc::ServerUnaryReactor* EraseMember(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override {
    return ServeUnary<v1::EraseMemberRequest>(*path_, context, request,
                                              response);
  }

 private:
  const CallPath* const path_;
};

using ProgramBase = v1::Program::WithRawCallbackMethod_ValidateRules<
    v1::Program::WithRawCallbackMethod_LoadRules<
        v1::Program::WithRawCallbackMethod_GetRules<
            v1::Program::WithRawCallbackMethod_SimulateRules<
                v1::Program::WithRawCallbackMethod_UpsertPartner<
                    v1::Program::WithRawCallbackMethod_ListPartners<
                        v1::Program::WithRawCallbackMethod_AdjustBalance<
                            v1::Program::WithRawCallbackMethod_RecordFeedback<
                                v1::Program::WithRawCallbackMethod_RunExpiry<
                                    v1::Program::WithRawCallbackMethod_CreateApiKey<
                                        v1::Program::
                                            WithRawCallbackMethod_ListApiKeys<
                                                v1::Program::
                                                    WithRawCallbackMethod_RevokeApiKey<
                                                        v1::Program::
                                                            Service>>>>>>>>>>>>;

// Program: what marketing staff and administrators call. Serves rule-set
// versions, adjustments, feedback, partners, API keys and the maintenance
// run.
class ProgramService final : public ProgramBase {
 public:
  // Maintenance runs go through `runs`, simulations through `simulations`
  // (neither owned), one of each at a time.
  ProgramService(const CallPath* path, MaintenanceRuns* runs,
                 SimulationRuns* simulations)
      : path_(path), runs_(runs), simulations_(simulations) {}

  // For a stop of the server: a maintenance run in progress ends at its next
  // page of members, its call with UNAVAILABLE (what it wrote stays
  // written; the next run does the rest), and no new run starts.
  // A simulation in progress ends at its next page, likewise.
  void Stop();

  // One maintenance run at a time, on a thread of its own
  // (maintenance_runs.h, expiry_service.cc); a second call while one runs is
  // refused with FAILED_PRECONDITION (EXPIRY_RUNNING).
  grpc::ServerWriteReactor<grpc::ByteBuffer>* RunExpiry(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;

  // One simulation at a time, on a reader thread (simulate_service.cc); a
  // second call while one runs is refused with FAILED_PRECONDITION
  // (SIMULATION_RUNNING).
  grpc::ServerWriteReactor<grpc::ByteBuffer>* SimulateRules(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;

  grpc::ServerUnaryReactor* ValidateRules(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override {
    return ServeUnary<v1::ValidateRulesRequest>(*path_, context, request,
                                                response);
  }
  grpc::ServerUnaryReactor* LoadRules(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override {
    return ServeUnary<v1::LoadRulesRequest>(*path_, context, request, response);
  }
  grpc::ServerUnaryReactor* GetRules(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override {
    return ServeUnary<v1::GetRulesRequest>(*path_, context, request, response);
  }
  grpc::ServerUnaryReactor* UpsertPartner(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override {
    return ServeUnary<v1::UpsertPartnerRequest>(*path_, context, request,
                                                response);
  }
  grpc::ServerUnaryReactor* ListPartners(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override {
    return ServeUnary<v1::ListPartnersRequest>(*path_, context, request,
                                               response);
  }
  grpc::ServerUnaryReactor* AdjustBalance(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override {
    return ServeUnary<v1::AdjustBalanceRequest>(*path_, context, request,
                                                response);
  }
  grpc::ServerUnaryReactor* RecordFeedback(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override {
    return ServeUnary<v1::RecordFeedbackRequest>(*path_, context, request,
                                                 response);
  }
  grpc::ServerUnaryReactor* CreateApiKey(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override {
    return ServeUnary<v1::CreateApiKeyRequest>(*path_, context, request,
                                               response);
  }
  grpc::ServerUnaryReactor* ListApiKeys(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override {
    return ServeUnary<v1::ListApiKeysRequest>(*path_, context, request,
                                              response);
  }
  grpc::ServerUnaryReactor* RevokeApiKey(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override {
    return ServeUnary<v1::RevokeApiKeyRequest>(*path_, context, request,
                                               response);
  }

 private:
  const CallPath* const path_;
  MaintenanceRuns* const runs_;
  SimulationRuns* const simulations_;
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_SERVICES_H_
