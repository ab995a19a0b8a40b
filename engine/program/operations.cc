#include "engine/program/operations.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "engine/analytics/counters.h"
#include "engine/base/error.h"
#include "engine/base/limits.h"
#include "engine/base/sha256.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"
#include "engine/ledger/accounts.h"
#include "engine/program/member_view.h"
#include "engine/program/partners.h"
#include "engine/program/purchase_entry.h"
#include "engine/program/reasons.h"
#include "engine/program/referral.h"
#include "engine/program/refund.h"
#include "engine/program/submit.h"
#include "engine/program/tiers.h"
#include "engine/program/upkeep.h"
#include "engine/program/usage.h"

namespace loyalty::program {
namespace {

using internal::Fingerprint;
using internal::SubmitToLedger;

using loyalty::v1::MemberRecord;

// Tries at most this many numbers when assigning a member id.
constexpr int kMaxAssignAttempts = 1000;

absl::Status CheckProfile(const loyalty::v1::MemberProfile& profile) {
  for (const auto& [field, text] :
       {std::pair<const char*, const std::string*>{"profile.display_name",
                                                   &profile.display_name()},
        {"profile.email", &profile.email()},
        {"profile.phone", &profile.phone()},
        {"profile.region", &profile.region()}}) {
    if (text->size() > kMaxProfileTextBytes) {
      return InvalidArgument("TEXT_TOO_LONG", field,
                             absl::StrCat("at most ", kMaxProfileTextBytes, " bytes"));
    }
  }
  absl::CivilDay day;
  if (!profile.birth_date().empty() &&
      (profile.birth_date().size() != 10 ||
       !absl::ParseCivilTime(profile.birth_date(), &day))) {
    return InvalidArgument("INVALID_DATE", "profile.birth_date",
                           "use YYYY-MM-DD, e.g. 1990-04-23");
  }
  if (!profile.member_id().empty() &&
      !ledger::IsValidMemberId(profile.member_id())) {
    return InvalidArgument("INVALID_MEMBER_ID", "profile.member_id",
                           "use 1 to 64 letters, digits, '-', '_' or '.'");
  }
  return absl::OkStatus();
}

// The first free id of the form M00000042, counting from the member count.
absl::StatusOr<std::string> AssignMemberId(ledger::Transaction& transaction) {
  for (int attempt = 1; attempt <= kMaxAssignAttempts; ++attempt) {
    std::string id =
        absl::StrFormat("M%08d", transaction.member_count() + attempt);
    auto existing = transaction.Member(id);
    if (existing.status().code() == absl::StatusCode::kNotFound) return id;
    if (!existing.ok()) return existing.status();
  }
  return absl::ResourceExhaustedError("no free member id found");
}

absl::StatusOr<std::string> DecideEnroll(
    const loyalty::v1::EnrollMemberRequest& request,
    const std::vector<std::string>& code_candidates, const TimeBounds& bounds,
    const evaluator::CompiledRules& rules, ledger::Transaction& transaction) {
  loyalty::v1::MemberProfile profile = request.profile();
  const std::string& referral_code = request.referral_code();
  RETURN_IF_ERROR(CheckProfile(profile));
  ASSIGN_OR_RETURN(const absl::Time enroll_time,
                   CallerTime(request.has_enroll_time() ? &request.enroll_time() : nullptr,
                              "enroll_time", transaction.now(), bounds));
  if (profile.member_id().empty()) {
    ASSIGN_OR_RETURN(std::string id, AssignMemberId(transaction));
    profile.set_member_id(id);
  }
  RETURN_IF_ERROR(
      PrepareReferral(referral_code, code_candidates, &profile, transaction));
  *profile.mutable_enroll_time() = ToTimestamp(enroll_time);
  MemberRecord record;
  *record.mutable_profile() = profile;
  StartTier(rules, &record);
  RETURN_IF_ERROR(transaction.AddMember(std::move(record)));
  loyalty::v1::JournalEntry entry;
  entry.set_kind(loyalty::v1::ENTRY_KIND_ENROLL);
  entry.set_member_id(profile.member_id());
  entry.set_description("enrolled");
  *entry.mutable_effective_time() = ToTimestamp(enroll_time);
  ASSIGN_OR_RETURN(int64_t sequence, transaction.Append(std::move(entry)));
  loyalty::v1::EnrollMemberResponse response;
  *response.mutable_member() = std::move(profile);
  response.set_transaction_id(absl::StrCat(sequence));
  return response.SerializeAsString();
}

std::string OrderKey(const loyalty::v1::Purchase& purchase) {
  return program::OrderKey(purchase.partner_id(), purchase.order_id());
}

// When the sale happened: its purchase_time within `bounds`, not before the
// member enrolled; now when unset.
absl::StatusOr<absl::Time> PurchaseTimeOf(const loyalty::v1::Purchase& purchase,
                                          const MemberRecord& member, absl::Time now,
                                          const TimeBounds& bounds) {
  std::optional<absl::Time> enrolled;
  if (member.profile().has_enroll_time()) {
    enrolled = FromTimestamp(member.profile().enroll_time());
  }
  return CallerTime(purchase.has_purchase_time() ? &purchase.purchase_time() : nullptr,
                    "purchase.purchase_time", now, bounds, enrolled);
}

// The member as the evaluator prices a sale at `when`: with the tier held
// then (tiers.h keeps the changes within the back-dating horizon).
evaluator::MemberState MemberStateAt(const MemberRecord& member,
                                     const evaluator::CompiledRules& rules,
                                     absl::string_view currency, absl::Time when) {
  evaluator::MemberState state = MemberStateOf(member, rules, currency, when);
  state.tier = TierAt(member, when).value_or(member.tier());
  return state;
}

absl::StatusOr<std::string> DecidePurchase(
    const loyalty::v1::Purchase& purchase, const RuleBook& book,
    const TimeBounds& bounds, ledger::Transaction& transaction) {
  const std::shared_ptr<const evaluator::CompiledRules> now_rules =
      book.ActiveAt(transaction.now());
  const evaluator::CompiledRules& current = *now_rules;
  auto member_or = transaction.Member(purchase.member_id());
  if (member_or.status().code() == absl::StatusCode::kNotFound) {
    return NotFound("UNKNOWN_MEMBER", "purchase.member_id",
                    absl::StrCat("no member with id ", Quoted(purchase.member_id())));
  }
  RETURN_IF_ERROR(member_or.status());
  ASSIGN_OR_RETURN(const absl::Time purchase_time,
                   PurchaseTimeOf(purchase, **member_or, transaction.now(), bounds));
  // Releases, expiries and a tier review that are due come first: the sale
  // burns only points that are available and unexpired now.
  RETURN_IF_ERROR(RunUpkeep(current, transaction, purchase.member_id()).status());
  ASSIGN_OR_RETURN(const MemberRecord* member, transaction.Member(purchase.member_id()));
  // Priced by the version active at the sale's time, the tier held then.
  const std::shared_ptr<const evaluator::CompiledRules> then_rules =
      book.ActiveAt(purchase_time);
  const evaluator::CompiledRules& rules = *then_rules;
  ASSIGN_OR_RETURN(
      loyalty::v1::PricedPurchase priced,
      evaluator::PricePurchase(
          rules, MemberStateAt(*member, rules, purchase.currency(), purchase_time),
          ProgramStateOf(rules, purchase, transaction), purchase, purchase_time));
  ASSIGN_OR_RETURN(auto committed, transaction.GetAux(OrderKey(purchase)));
  if (committed.has_value()) {
    loyalty::v1::OrderRecord earlier;
    if (!earlier.ParseFromString(*committed)) {
      return MakeError(absl::StatusCode::kDataLoss, "STORED_RECORD_UNREADABLE",
                       "purchase.order_id",
                       absl::StrCat("order '", purchase.order_id(),
                                    "' was committed, but its record cannot be read"));
    }
    return MakeError(absl::StatusCode::kAlreadyExists,
                     "ORDER_ALREADY_COMMITTED", "purchase.order_id",
                     absl::StrCat("order ", Quoted(purchase.order_id()),
                                  " was committed as transaction ",
                                  earlier.sequence()));
  }
  const LotDates earned{ReleaseFor(rules, purchase_time), ExpiryFor(rules, purchase_time)};
  loyalty::v1::JournalEntry entry =
      PurchaseEntry(purchase, priced, purchase_time, earned);
  // Coalition funding and referral rewards (partners.h, referral.h); after
  // these calls `member` may dangle.
  ASSIGN_OR_RETURN(PartnerFunding funding,
                   FundingFor(purchase.partner_id(), transaction));
  FundPurchasePoints(*member, funding, priced.redeemed_points(),
                     priced.points_earned(), &entry);
  entry.set_point_value_minor(rules.rule_set().program().point_value_minor());
  ASSIGN_OR_RETURN(ReferralOutcome referral,
                   DecideReferral(*member, priced, purchase_time, rules, transaction));
  if (referral.reward.has_value()) {
    AddReferralPostings(*referral.reward, purchase.member_id(), priced.currency(), &entry);
    *priced.mutable_referral_reward() = *referral.reward;
  }
  // Tier progress counts the sale; a threshold crossed raises the tier in
  // this same entry (the sale itself was priced with the tier before it).
  // Tier fields are not balances: they may change before the Append, and a
  // refused Append drops the whole decision anyway.
  // The ladder and window are today's; the period is the sale's, so a
  // rolling window that has moved past it does not count it.
  const std::string period = QualifyingPeriodAt(current, purchase_time);
  if (!period.empty()) {
    ASSIGN_OR_RETURN(MemberRecord * progress,
                     transaction.MutableMember(purchase.member_id()));
    const std::string tier_before = progress->tier();
    AddQualifying(current, period, priced.total_due_minor(), priced.points_earned(), 1,
                  transaction.now(), progress);
    if (RaiseTier(current, transaction.now(), progress)) {
      entry.set_tier_before(tier_before);
      entry.set_tier_after(progress->tier());
    }
  }
  // Only this entry's burn (the upkeep before it may have taken lots too).
  const size_t consumed_before = transaction.consumed_lots().size();
  ASSIGN_OR_RETURN(int64_t sequence, transaction.Append(entry));
  RETURN_IF_ERROR(RecordReferral(purchase.member_id(), referral, transaction));
  loyalty::v1::OrderRecord order;
  order.set_sequence(sequence);
  order.set_point_value_minor(entry.point_value_minor());
  order.set_settlement_partner_id(funding.partner_id);
  *order.mutable_purchase() = purchase;
  *order.mutable_priced() = priced;
  for (size_t i = consumed_before; i < transaction.consumed_lots().size(); ++i) {
    const ledger::ConsumedLot& lot = transaction.consumed_lots()[i];
    loyalty::v1::PointLot* burned = order.add_burned_lots();
    *burned->mutable_earn_time() = lot.earn_time;
    if (lot.expire_time.seconds() != 0 || lot.expire_time.nanos() != 0) {
      *burned->mutable_expire_time() = lot.expire_time;
    }
    burned->set_remaining(lot.amount);
    burned->set_partner_id(lot.partner_id);
  }
  order.set_qualifying_period(period);
  order.set_qualifying_spend_minor(priced.total_due_minor());
  if (earned.release) order.set_points_pending(priced.points_earned());
  transaction.PutAux(OrderKey(purchase), order.SerializeAsString());
  ASSIGN_OR_RETURN(MemberRecord * after,
                   transaction.MutableMember(purchase.member_id()));
  after->set_purchase_count(after->purchase_count() + 1);
  RecordUsage(priced, rules, purchase_time, after, transaction);
  const std::vector<ledger::ConsumedLot> burned_now(
      transaction.consumed_lots().begin() + consumed_before,
      transaction.consumed_lots().end());
  RETURN_IF_ERROR(analytics::CountPurchase(entry, burned_now, after, transaction));
  loyalty::v1::CommitPurchaseResponse response;
  response.set_transaction_id(absl::StrCat(sequence));
  *response.mutable_priced() = std::move(priced);
  *response.mutable_balance() = BalanceAt(current, *after, transaction.now());
  return response.SerializeAsString();
}

absl::Status CheckFeedback(const loyalty::v1::Feedback& feedback) {
  int low = 0, high = 0;
  switch (feedback.survey()) {
    case loyalty::v1::SURVEY_KIND_NPS: low = 0; high = 10; break;
    case loyalty::v1::SURVEY_KIND_CSAT: low = 1; high = 5; break;
    case loyalty::v1::SURVEY_KIND_CES: low = 1; high = 7; break;
    default:
      return InvalidArgument("MISSING_FIELD", "feedback.survey",
                             "say which survey: NPS, CSAT or CES");
  }
  if (feedback.score() < low || feedback.score() > high) {
    return InvalidArgument("INVALID_SCORE", "feedback.score",
                           absl::StrCat("this survey takes ", low, " to ", high,
                                        ", got ", feedback.score()));
  }
  if (feedback.order_id().size() > kMaxOrderIdBytes) {
    return InvalidArgument("TEXT_TOO_LONG", "feedback.order_id",
                           absl::StrCat("at most ", kMaxOrderIdBytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> DecideFeedback(const loyalty::v1::Feedback& feedback,
                                           const evaluator::CompiledRules& rules,
                                           ledger::Transaction& transaction) {
  RETURN_IF_ERROR(CheckFeedback(feedback));
  if (!feedback.reason_code().empty()) {
    RETURN_IF_ERROR(CheckReason(feedback.reason_code(),
                                rules.rule_set().feedback_reasons(),
                                DefaultFeedbackReasons(), "feedback.reason_code"));
  }
  if (!feedback.member_id().empty()) {
    auto member = transaction.Member(feedback.member_id());
    if (member.status().code() == absl::StatusCode::kNotFound) {
      return NotFound("UNKNOWN_MEMBER", "feedback.member_id",
                      absl::StrCat("no member with id ", Quoted(feedback.member_id())));
    }
    RETURN_IF_ERROR(member.status());
  }
  loyalty::v1::JournalEntry entry;
  entry.set_kind(loyalty::v1::ENTRY_KIND_FEEDBACK);
  entry.set_member_id(feedback.member_id());
  entry.set_order_id(feedback.order_id());
  entry.set_store_id(feedback.store_id());
  entry.set_partner_id(feedback.partner_id());
  *entry.mutable_feedback() = feedback;
  entry.set_description("survey answer");
  ASSIGN_OR_RETURN(int64_t sequence, transaction.Append(std::move(entry)));
  analytics::CountFeedback(feedback, transaction.now(), transaction);
  loyalty::v1::RecordFeedbackResponse response;
  response.set_transaction_id(absl::StrCat(sequence));
  return response.SerializeAsString();
}

absl::Status CheckMemberId(absl::string_view member_id) {
  if (member_id.empty()) {
    return InvalidArgument("MISSING_FIELD", "member_id", "a member id is needed");
  }
  return absl::OkStatus();
}

}  // namespace

Operations::Operations(ledger::Ledger* ledger,
                       std::shared_ptr<const evaluator::CompiledRules> rules,
                       Clock* clock, TimeBounds bounds)
    : ledger_(ledger), clock_(clock), bounds_(bounds) {
  // Until LoadStoredRules runs, `rules` prices everything.
  loyalty::v1::RuleSetVersion meta;
  meta.set_version(rules->version());
  meta.set_source_name(rules->rule_set().source_name());
  {
    absl::MutexLock lock(&terms_mu_);
    decided_terms_ = {rules->rule_set().program().currency(),
                      rules->rule_set().program().point_value_minor()};
  }
  book_.Add(std::move(meta), std::move(rules));
}

std::shared_ptr<const evaluator::CompiledRules> Operations::rules() const {
  return book_.ActiveAt(clock_->Now());
}

void Operations::EnrollMember(const loyalty::v1::EnrollMemberRequest& request,
                              Reply<loyalty::v1::EnrollMemberResponse> reply,
                              absl::Time deadline) {
  SubmitToLedger(ledger_, request.request_id(),
                 Fingerprint("EnrollMember", request),
                 [this, request, candidates = NewReferralCodes()](ledger::Transaction& t) {
                   return DecideEnroll(request, candidates, bounds_,
                                       *book_.ActiveAt(t.now()), t);
                 },
                 std::move(reply), deadline);
}

void Operations::CommitPurchase(
    const loyalty::v1::CommitPurchaseRequest& request,
    Reply<loyalty::v1::CommitPurchaseResponse> reply,
    absl::Time deadline) {
  // The rule set is read on the writer thread, at decision time, so that a
  // purchase is priced by exactly one version: the one active at its
  // purchase_time among those stored when it commits.
  SubmitToLedger(ledger_, request.request_id(),
                 Fingerprint("CommitPurchase", request),
                 [this, purchase = request.purchase()](ledger::Transaction& t) {
                   return DecidePurchase(purchase, book_, bounds_, t);
                 },
                 std::move(reply), deadline);
}

void Operations::RefundPurchase(
    const loyalty::v1::RefundPurchaseRequest& request,
    Reply<loyalty::v1::RefundPurchaseResponse> reply,
    absl::Time deadline) {
  SubmitToLedger(ledger_, request.request_id(),
                 Fingerprint("RefundPurchase", request),
                 [this, request](ledger::Transaction& t) {
                   return DecideRefund(request, *book_.ActiveAt(t.now()), t);
                 },
                 std::move(reply), deadline);
}

void Operations::RecordFeedback(
    const loyalty::v1::RecordFeedbackRequest& request,
    Reply<loyalty::v1::RecordFeedbackResponse> reply, absl::Time deadline) {
  SubmitToLedger(ledger_, request.request_id(),
                 Fingerprint("RecordFeedback", request),
                 [this, feedback = request.feedback()](ledger::Transaction& t) {
                   return DecideFeedback(feedback, *book_.ActiveAt(t.now()), t);
                 },
                 std::move(reply), deadline);
}

namespace {

constexpr char kApiKeyPrefix[] = "apikey/";
}  // namespace

void Operations::CreateApiKeyRecord(
    const std::string& request_id,
    const loyalty::v1::CreateApiKeyRequest& request,
    loyalty::v1::ApiKeyRecord record,
    Reply<loyalty::v1::ApiKeyRecord> reply, absl::Time deadline) {
  SubmitToLedger(
      ledger_, request_id, Fingerprint("CreateApiKey", request),
      [record = std::move(record)](
          ledger::Transaction& t) mutable -> absl::StatusOr<std::string> {
        const std::string key = kApiKeyPrefix + record.key_id();
        ASSIGN_OR_RETURN(auto existing, t.GetAux(key));
        if (existing.has_value()) {
          return MakeError(absl::StatusCode::kAlreadyExists, "KEY_EXISTS",
                           "key_id", "generate the key again");
        }
        *record.mutable_create_time() = ToTimestamp(t.now());
        t.PutAux(key, record.SerializeAsString());
        return record.SerializeAsString();
      },
      std::move(reply), deadline);
}

void Operations::RevokeApiKeyRecord(
    const loyalty::v1::RevokeApiKeyRequest& request,
    Reply<loyalty::v1::ApiKeyRecord> reply, absl::Time deadline) {
  SubmitToLedger(
      ledger_, request.request_id(), Fingerprint("RevokeApiKey", request),
      [key_id = request.key_id()](
          ledger::Transaction& t) -> absl::StatusOr<std::string> {
        ASSIGN_OR_RETURN(auto existing, t.GetAux(kApiKeyPrefix + key_id));
        if (!existing.has_value()) {
          return NotFound("UNKNOWN_KEY", "key_id",
                          absl::StrCat("no API key ", Quoted(key_id)));
        }
        loyalty::v1::ApiKeyRecord record;
        if (!record.ParseFromString(*existing)) {
          return MakeError(absl::StatusCode::kDataLoss, "STORED_RECORD_UNREADABLE",
                           "key_id",
                           absl::StrCat("the record of API key '", key_id,
                                        "' cannot be read; it was not revoked"));
        }
        record.set_revoked(true);
        t.PutAux(kApiKeyPrefix + key_id, record.SerializeAsString());
        return record.SerializeAsString();
      },
      std::move(reply), deadline);
}

absl::StatusOr<std::vector<loyalty::v1::ApiKeyRecord>>
Operations::ApiKeyRecords() const {
  ASSIGN_OR_RETURN(auto stored, ledger_->ReadAux(kApiKeyPrefix));
  std::vector<loyalty::v1::ApiKeyRecord> records;
  for (const auto& [key, value] : stored) {
    loyalty::v1::ApiKeyRecord record;
    if (!record.ParseFromString(value)) {
      return absl::DataLossError(absl::StrCat("record ", key, " does not parse"));
    }
    records.push_back(std::move(record));
  }
  return records;
}

absl::StatusOr<loyalty::v1::GetMemberResponse> Operations::GetMember(
    const loyalty::v1::GetMemberRequest& request) const {
  RETURN_IF_ERROR(CheckMemberId(request.member_id()));
  ASSIGN_OR_RETURN(MemberRecord record, ledger_->GetMember(request.member_id()));
  loyalty::v1::GetMemberResponse response;
  *response.mutable_member() = record.profile();
  const absl::Time now = clock_->Now();
  *response.mutable_balance() = BalanceAt(*book_.ActiveAt(now), record, now);
  return response;
}

absl::StatusOr<loyalty::v1::GetBalanceResponse> Operations::GetBalance(
    const loyalty::v1::GetBalanceRequest& request) const {
  RETURN_IF_ERROR(CheckMemberId(request.member_id()));
  ASSIGN_OR_RETURN(MemberRecord record, ledger_->GetMember(request.member_id()));
  loyalty::v1::GetBalanceResponse response;
  const absl::Time now = clock_->Now();
  *response.mutable_balance() = BalanceAt(*book_.ActiveAt(now), record, now);
  return response;
}

absl::StatusOr<loyalty::v1::ListEntriesResponse> Operations::ListEntries(
    const loyalty::v1::ListEntriesRequest& request,
    absl::string_view partner_id) const {
  RETURN_IF_ERROR(CheckMemberId(request.member_id()));
  if (request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return InvalidArgument("INVALID_PAGE_SIZE", "page_size",
                           absl::StrCat("use 1 to ", kMaxPageSize,
                                        ", or 0 for ", kDefaultPageSize));
  }
  int64_t after = 0;
  if (!request.page_token().empty() &&
      (!absl::SimpleAtoi(request.page_token(), &after) || after < 0)) {
    return InvalidArgument("INVALID_PAGE_TOKEN", "page_token",
                           "pass the next_page_token of the previous page");
  }
  RETURN_IF_ERROR(ledger_->GetMember(request.member_id()).status());
  const int page_size =
      request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  ASSIGN_OR_RETURN(auto entries, ledger_->ListMemberEntries(
                                     request.member_id(), after, page_size + 1));
  loyalty::v1::ListEntriesResponse response;
  const bool more = static_cast<int>(entries.size()) > page_size;
  if (more) entries.pop_back();
  const int64_t last = entries.empty() ? after : entries.back().sequence();
  for (auto& entry : entries) {
    if (partner_id.empty() || entry.partner_id() == partner_id) {
      *response.add_entries() = std::move(entry);
    }
  }
  if (more) response.set_next_page_token(absl::StrCat(last));
  return response;
}

absl::StatusOr<loyalty::v1::QuotePurchaseResponse> Operations::QuotePurchase(
    const loyalty::v1::QuotePurchaseRequest& request) const {
  const loyalty::v1::Purchase& purchase = request.purchase();
  if (purchase.member_id().empty()) {
    return InvalidArgument("MISSING_FIELD", "purchase.member_id",
                           "a member id is needed");
  }
  auto record_or = ledger_->GetMember(purchase.member_id());
  if (record_or.status().code() == absl::StatusCode::kNotFound) {
    return NotFound("UNKNOWN_MEMBER", "purchase.member_id",
                    absl::StrCat("no member with id ", Quoted(purchase.member_id())));
  }
  ASSIGN_OR_RETURN(MemberRecord record, std::move(record_or));
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(const absl::Time purchase_time,
                   PurchaseTimeOf(purchase, record, now, bounds_));
  // Priced as the commit would be: with the upkeep that is due done, by
  // the version and the tier of the sale's time.
  loyalty::v1::Balance balance = BalanceAt(*rules(), record, now);
  const std::shared_ptr<const evaluator::CompiledRules> then = book_.ActiveAt(purchase_time);
  ASSIGN_OR_RETURN(evaluator::ProgramState program, StoredProgramState(*then, *ledger_));
  evaluator::MemberState member =
      MemberStateOf(record, *then, purchase.currency(), purchase_time);
  member.points_available = balance.points_available();
  member.tier = TierAt(record, purchase_time).value_or(balance.tier());
  ASSIGN_OR_RETURN(loyalty::v1::PricedPurchase priced,
                   evaluator::PricePurchase(*then, member, program, purchase,
                                            purchase_time));
  loyalty::v1::QuotePurchaseResponse response;
  *response.mutable_priced() = std::move(priced);
  *response.mutable_balance() = std::move(balance);
  return response;
}

}  // namespace loyalty::program
