// The operations of the loyalty program: each joins the evaluator (pricing)
// and the ledger (storage, engine/ledger/ledger.h). Every write is one
// ledger operation, decided on the ledger's writer thread against the
// member's latest state and written in one durable WriteBatch; reads go
// straight to the ledger.
//
// A sale (CommitPurchase) through this layer:
// - On the caller's thread (a gRPC handler), CommitPurchase only packs the
//   operation: the purchase, the request's fingerprint (a digest without
//   its request_id, submit.h) and the decision below; Ledger::Submit queues
//   it and the call returns at once. Work that needs no ledger order stays
//   here, off the writer (LoadRules compiles its file here; EnrollMember
//   draws its referral codes here).
// - On the writer thread, the decision (purchase.cc) runs in the ledger's
//   order, against what the operations before it staged, in six steps:
//   1. load and bring up to date: the member must exist (NOT_FOUND
//      UNKNOWN_MEMBER naming purchase.member_id), purchase_time must be
//      acceptable (time_bounds.h), and the upkeep that is due (releases,
//      expiries, birthday gift, tier review) is appended first as its own
//      UPKEEP entry (upkeep.h), so the sale burns only points that are
//      available and unexpired now;
//   2. price: evaluator::PricePurchase with the rule-set version active at
//      purchase_time (rule_book.h), the tier the member held then and the
//      program-wide usage (budgets, promo codes) as the operations decided
//      before it leave it (usage.h); an order that was committed before is
//      refused (ALREADY_EXISTS);
//   3. build the entry: the sale's postings (purchase_entry.h), its points
//      funded by the partner (partners.h), the referral reward it earns
//      (referral.h), and the tier progress it brings;
//   4. append: the ledger checks the postings (INSUFFICIENT_POINTS when a
//      balance would go below zero) and gives the entry its sequence;
//   5. record, in the same operation: the order's record that refunds read
//      (refund.h), the referral settled, the member's purchase count and
//      campaign usage, the metrics counters (engine/analytics);
//   6. answer: the serialized CommitPurchaseResponse (the pricing and the
//      balance as of now), which the ledger keeps under the request_id.
//   An error at any step drops everything the operation staged, the upkeep
//   entry included: nothing of a refused sale is written. A business
//   refusal (INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS,
//   FAILED_PRECONDITION, ...) is kept under the request_id, so a retry gets
//   the same one; a fault (DATA_LOSS, ABORTED, UNAVAILABLE) is not kept, so
//   a retry is decided afresh (ledger.h).
// - Durable: a ledger worker writes the batch with sync=true. Reads see the
// sale
//   (its entry, the member's new balance) only once its batch is written,
//   that is once it is durable.
// - On the ledger's completer thread, in order and only after the batch is
//   durable, SubmitToLedger (submit.h) parses the kept response and calls
//   the Reply. When the ledger refuses the operation (queue full, stopped)
//   the Reply runs at once on the caller's thread with UNAVAILABLE. A failed
//   write answers UNAVAILABLE to this operation and every later one and
//   writes nothing more (ledger.h). A request still queued at its
//   `deadline` is not decided: DEADLINE_EXCEEDED, not kept, so a retry is
//   decided afresh.
// Every other write takes the same path with its own decision: refunds
// (refund.h), rewards (rewards.cc), adjustments (adjust.cc), the
// maintenance run (expiry_run.cc, one operation per chunk of members),
// partners, rule-set versions, API keys. Reads and quotes run on the
// caller's thread, count the upkeep that is due as done (BalanceAt,
// upkeep.h) and bind nothing.
//
// Thread-safe: one Operations serves every gRPC handler at once.
#ifndef LOYALTY_ENGINE_PROGRAM_OPERATIONS_H_
#define LOYALTY_ENGINE_PROGRAM_OPERATIONS_H_

#include <atomic>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/base/clock.h"
#include "engine/evaluator/evaluator.h"
#include "engine/ledger/ledger.h"
#include "engine/program/rule_book.h"
#include "engine/program/time_bounds.h"
#include "loyalty/v1/audit.pb.h"
#include "loyalty/v1/checkout.pb.h"
#include "loyalty/v1/members.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty::program {

// Called once with the answer of a write: on the ledger's completer thread
// (or the worker that wrote the batch: ledger.h) once the write is durable, or
// at once on the caller's thread when the ledger refuses it (UNAVAILABLE). Must
// not block.
template <typename Response>
using Reply = absl::AnyInvocable<void(absl::StatusOr<Response>)>;

// Page sizes of ListEntries.
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

// What a ledger's amounts mean: the program's currency and what one point
// pays. Every version keeps those of the version before it once any entry
// has moved points or money (a changed currency would relabel past revenue,
// a changed point value would revalue the liability).
struct MoneyTerms {
  std::string currency;
  int64_t point_value_minor = 0;
};

// OK when `loaded` keeps `active`'s terms; else FAILED_PRECONDITION with
// reason RULES_CURRENCY_CHANGED (field program.currency) or
// RULES_POINT_VALUE_CHANGED (field program.point_value_minor).
absl::Status CheckMoneyTerms(const MoneyTerms& active, const MoneyTerms& loaded);

class Operations {
 public:
  // `ledger` and `clock` are not owned and must outlive this object.
  // `bounds` limits the times callers choose (time_bounds.h).
  Operations(ledger::Ledger* ledger,
             std::shared_ptr<const evaluator::CompiledRules> rules,
             Clock* clock, TimeBounds bounds = {});
  Operations(const Operations&) = delete;
  Operations& operator=(const Operations&) = delete;

  // The rule set that prices purchases now.
  std::shared_ptr<const evaluator::CompiledRules> rules() const;

  // Rule-set versions (rules_operations.cc). LoadStoredRules, called once at
  // start, reads the stored versions and stores the constructor's rule set
  // as a new version, active at once, unless it is stored already; a start
  // file whose money terms differ from the stored ones is refused (as a
  // load is).
  absl::Status LoadStoredRules();
  // The file's problems ("file:line: ..."), or, for a good file, its version.
  // A good file that would change the money terms of a ledger where points
  // or money moved gets the refusal LoadRules would give.
  absl::StatusOr<loyalty::v1::ValidateRulesResponse> ValidateRules(
      const loyalty::v1::ValidateRulesRequest& request) const;
  // Stores a new version; it prices purchases from its activation time, or
  // from the moment its record is durable when that is later (rule_book.h).
  // The file is compiled on the calling thread. A bad file is refused with
  // INVALID_ARGUMENT (INVALID_RULES), changed money terms with
  // FAILED_PRECONDITION (see CheckMoneyTerms) unless no entry has moved
  // points or money yet. A refused file changes nothing.
  void LoadRules(const loyalty::v1::LoadRulesRequest& request,
                 Reply<loyalty::v1::LoadRulesResponse> reply,
                 absl::Time deadline = absl::InfiniteFuture());
  absl::StatusOr<loyalty::v1::GetRulesResponse> GetRules(
      const loyalty::v1::GetRulesRequest& request) const;
  // What-if (simulation.h): replays the period under the request's file,
  // from one snapshot, and writes nothing. The file is refused as LoadRules
  // refuses it (INVALID_RULES, changed money terms). With `partner_id` set,
  // the sales figures are narrowed to that partner. Calls `progress` after
  // every page of entries and blocks the calling thread (a reader thread,
  // never the writer) until the report is ready; CANCELLED when `stop`
  // becomes true.
  absl::StatusOr<loyalty::v1::SimulateRulesResponse> SimulateRules(
      const loyalty::v1::SimulateRulesRequest& request,
      absl::string_view partner_id,
      absl::FunctionRef<void(const loyalty::v1::SimulateRulesResponse&)>
          progress,
      const std::atomic<bool>* stop = nullptr) const;

  // Writes, idempotent by request_id. A `deadline` (the caller's) that
  // passes while the write waits for the ledger leaves it undecided, with
  // DEADLINE_EXCEEDED (ledger.h); every write takes one, LoadRules too.
  void EnrollMember(const loyalty::v1::EnrollMemberRequest& request,
                    Reply<loyalty::v1::EnrollMemberResponse> reply,
                    absl::Time deadline = absl::InfiniteFuture());
  // A purchase is priced at its purchase_time (time_bounds.h says which
  // times are accepted): by the rule-set version active then and the tier
  // the member held then; it counts toward the tier window of that time.
  // Upkeep and the balance it answers with are as of now. (purchase.cc;
  // the file comment follows one through.)
  void CommitPurchase(const loyalty::v1::CommitPurchaseRequest& request,
                      Reply<loyalty::v1::CommitPurchaseResponse> reply,
                      absl::Time deadline = absl::InfiniteFuture());
  // Up to kMaxBatchPurchases sales (engine/base/limits.h), each decided
  // exactly as its own CommitPurchase, in the order sent, and queued to the
  // ledger together so that they share as few durable batches as the ledger
  // can make (purchase_batch.cc). `reply` gets one outcome per purchase,
  // once every one is decided and durable; an empty list, or one over
  // kMaxBatchPurchases or kMaxBatchBytes, is refused whole with
  // INVALID_ARGUMENT naming `purchases`.
  void CommitPurchases(const loyalty::v1::CommitPurchasesRequest& request,
                       Reply<loyalty::v1::CommitPurchasesResponse> reply,
                       absl::Time deadline = absl::InfiniteFuture());
  // A full or partial refund of a committed order (refund.h).
  void RefundPurchase(const loyalty::v1::RefundPurchaseRequest& request,
                      Reply<loyalty::v1::RefundPurchaseResponse> reply,
                      absl::Time deadline = absl::InfiniteFuture());
  // A goodwill credit or a correction with a reason code (adjust.cc).
  void AdjustBalance(const loyalty::v1::AdjustBalanceRequest& request,
                     Reply<loyalty::v1::AdjustBalanceResponse> reply,
                     absl::Time deadline = absl::InfiniteFuture());
  // Buys a catalogue reward with available points (rewards.cc).
  void RedeemReward(const loyalty::v1::RedeemRewardRequest& request,
                    Reply<loyalty::v1::RedeemRewardResponse> reply,
                    absl::Time deadline = absl::InfiniteFuture());
  // The maintenance run over every member (upkeep.h, expiry_run.cc): reads
  // members a page at a time and writes one UPKEEP entry for each member
  // with something due, a few pages' writes in flight at most, so memory
  // stays bounded whatever the number of members. Calls `progress` after
  // every page and once at the end (done set). Blocks the calling thread
  // until the run is over; returns CANCELLED when `stop` becomes true.
  absl::StatusOr<loyalty::v1::RunExpiryResponse> RunExpiry(
      const loyalty::v1::RunExpiryRequest& request,
      absl::FunctionRef<void(const loyalty::v1::RunExpiryResponse&)> progress,
      const std::atomic<bool>* stop = nullptr);
  // A survey answer (NPS 0-10, CSAT 1-5, CES 1-7): an entry without
  // postings, counted in the metrics in the same write.
  void RecordFeedback(const loyalty::v1::RecordFeedbackRequest& request,
                      Reply<loyalty::v1::RecordFeedbackResponse> reply,
                      absl::Time deadline = absl::InfiniteFuture());

  // Coalition partners (partners.cc) and their settlement (settlement.h).
  // With `partner_id` set, a read is narrowed to that partner: the list to
  // its record, the settlement to its row and the claims it is a party to.
  void UpsertPartner(const loyalty::v1::UpsertPartnerRequest& request,
                     Reply<loyalty::v1::UpsertPartnerResponse> reply,
                     absl::Time deadline = absl::InfiniteFuture());
  absl::StatusOr<loyalty::v1::ListPartnersResponse> ListPartners(
      absl::string_view partner_id = "") const;
  absl::StatusOr<loyalty::v1::SettlePartnersResponse> SettlePartners(
      const loyalty::v1::SettlePartnersRequest& request,
      absl::string_view partner_id = "") const;

  // API key records (the server decides who may do what; the program only
  // stores them, idempotently, with the other writes). CreateApiKeyRecord
  // refuses an existing key id; RevokeApiKeyRecord marks one revoked.
  void CreateApiKeyRecord(const std::string& request_id,
                          const loyalty::v1::CreateApiKeyRequest& request,
                          loyalty::v1::ApiKeyRecord record,
                          Reply<loyalty::v1::ApiKeyRecord> reply,
                          absl::Time deadline = absl::InfiniteFuture());
  void RevokeApiKeyRecord(const loyalty::v1::RevokeApiKeyRequest& request,
                          Reply<loyalty::v1::ApiKeyRecord> reply,
                          absl::Time deadline = absl::InfiniteFuture());
  absl::StatusOr<std::vector<loyalty::v1::ApiKeyRecord>> ApiKeyRecords() const;

  // Members' data (member_data.h says where it lives; member_operations.cc).
  // `actor` says who asks ("key:{api key id}"); it is journaled with the
  // change and is not part of the request's fingerprint.
  void UpdateMember(const loyalty::v1::UpdateMemberRequest& request,
                    std::string actor,
                    Reply<loyalty::v1::UpdateMemberResponse> reply,
                    absl::Time deadline = absl::InfiniteFuture());
  void EraseMember(const loyalty::v1::EraseMemberRequest& request,
                   std::string actor,
                   Reply<loyalty::v1::EraseMemberResponse> reply,
                   absl::Time deadline = absl::InfiniteFuture());
  // Exactly one of e-mail, phone, card number or name prefix; pages of at
  // most 100 in member id order, with opaque tokens bound to the query.
  absl::StatusOr<loyalty::v1::SearchMembersResponse> SearchMembers(
      const loyalty::v1::SearchMembersRequest& request) const;
  // Everything held about one member; RESOURCE_EXHAUSTED (EXPORT_TOO_LARGE)
  // past 10000 entries. Reads every member record once (referrals).
  absl::StatusOr<loyalty::v1::ExportMemberDataResponse> ExportMemberData(
      const loyalty::v1::ExportMemberDataRequest& request) const;

  // Reads.
  absl::StatusOr<loyalty::v1::GetMemberResponse> GetMember(
      const loyalty::v1::GetMemberRequest& request) const;
  absl::StatusOr<loyalty::v1::GetBalanceResponse> GetBalance(
      const loyalty::v1::GetBalanceRequest& request) const;
  // With `partner_id` set, only that partner's entries are returned.
  absl::StatusOr<loyalty::v1::ListEntriesResponse> ListEntries(
      const loyalty::v1::ListEntriesRequest& request,
      absl::string_view partner_id = "") const;
  absl::StatusOr<loyalty::v1::QuotePurchaseResponse> QuotePurchase(
      const loyalty::v1::QuotePurchaseRequest& request) const;

 private:
  // The ledger operation of one sale: its request id, its fingerprint and
  // its decision (purchase.cc), for CommitPurchase and CommitPurchases alike.
  ledger::Operation PurchaseOperation(
      const loyalty::v1::CommitPurchaseRequest& request, absl::Time deadline);
  absl::Status StoreStartRules(
      std::shared_ptr<const evaluator::CompiledRules> initial);
  MoneyTerms DecidedTerms() const;
  // The ids of the members whose referred_by is `referrer`.
  absl::StatusOr<google::protobuf::RepeatedPtrField<std::string>> ReferredBy(
      absl::string_view referrer) const;
  // On the writer thread, for a version being decided: checks `loaded`
  // against the terms of the version decided last (when points or money
  // moved) and makes them the decided terms.
  absl::Status DecideTerms(const MoneyTerms& loaded, bool points_or_money_moved);

  ledger::Ledger* const ledger_;
  Clock* const clock_;
  const TimeBounds bounds_;
  RuleBook book_;
  mutable absl::Mutex terms_mu_;
  // The money terms of the version decided last (durable or not yet).
  MoneyTerms decided_terms_ ABSL_GUARDED_BY(terms_mu_);
};

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_OPERATIONS_H_
