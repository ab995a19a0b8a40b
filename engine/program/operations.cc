#include "engine/program/operations.h"

#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "engine/analytics/counters.h"
#include "engine/base/error.h"
#include "engine/base/limits.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"
#include "engine/ledger/accounts.h"
#include "engine/program/decisions.h"
#include "engine/program/member_data.h"
#include "engine/program/member_view.h"
#include "engine/program/reasons.h"
#include "engine/program/referral.h"
#include "engine/program/refund.h"
#include "engine/program/submit.h"
#include "engine/program/tiers.h"
#include "engine/program/upkeep.h"

namespace loyalty::program {
namespace {

using internal::Fingerprint;
using internal::SubmitToLedger;

using loyalty::v1::MemberRecord;

// Tries at most this many numbers when assigning a member id.
constexpr int kMaxAssignAttempts = 1000;

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

// An id that belonged to an erased member is never enrolled again.
absl::Status CheckNotErased(absl::string_view member_id,
                            ledger::Transaction& transaction) {
  auto existing = transaction.Member(member_id);
  if (existing.ok() && (*existing)->erased()) {
    return FailedPrecondition(
        "MEMBER_ERASED", "profile.member_id",
        "this id belonged to an erased member and cannot be enrolled again");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> DecideEnroll(
    const loyalty::v1::EnrollMemberRequest& request,
    const std::vector<std::string>& code_candidates,
    const ProfileSecrets& secrets, const TimeBounds& bounds,
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
  RETURN_IF_ERROR(CheckNotErased(profile.member_id(), transaction));
  RETURN_IF_ERROR(
      PrepareReferral(referral_code, code_candidates, &profile, transaction));
  *profile.mutable_enroll_time() = ToTimestamp(enroll_time);
  MemberRecord record;
  *record.mutable_profile() = WithoutPersonal(profile);
  record.set_birthday(BirthdayMonthDay(profile.birth_date()));
  StartTier(rules, &record);
  RETURN_IF_ERROR(transaction.AddMember(std::move(record)));
  RETURN_IF_ERROR(StagePersonal(profile, loyalty::v1::MemberProfile(), secrets,
                                transaction));
  loyalty::v1::JournalEntry entry;
  entry.set_kind(loyalty::v1::ENTRY_KIND_ENROLL);
  entry.set_member_id(profile.member_id());
  entry.set_description("enrolled");
  *entry.mutable_effective_time() = ToTimestamp(enroll_time);
  ASSIGN_OR_RETURN(int64_t sequence, transaction.Append(std::move(entry)));
  // Kept under the request id: no personal fields (EnrollMember merges
  // them in from the request).
  loyalty::v1::EnrollMemberResponse response;
  *response.mutable_member() = WithoutPersonal(std::move(profile));
  response.set_transaction_id(absl::StrCat(sequence));
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

}  // namespace

namespace internal {

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
    RETURN_IF_ERROR(
        ExistingMember(transaction, feedback.member_id(), "feedback.member_id")
            .status());
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

}  // namespace internal

namespace {

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
  Reply<loyalty::v1::EnrollMemberResponse> with_personal =
      [personal = request.profile(), reply = std::move(reply)](
          absl::StatusOr<loyalty::v1::EnrollMemberResponse> answer) mutable {
        if (answer.ok()) MergePersonal(personal, answer->mutable_member());
        reply(std::move(answer));
      };
  SubmitToLedger(
      ledger_, request.request_id(), Fingerprint("EnrollMember", request),
      [this, request, candidates = NewReferralCodes(),
       secrets = NewProfileSecrets()](ledger::Transaction& t) {
        return DecideEnroll(request, candidates, secrets, bounds_,
                            *book_.ActiveAt(t.now()), t);
      },
      std::move(with_personal), deadline);
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
  SubmitToLedger(
      ledger_, request.request_id(), Fingerprint("RecordFeedback", request),
      [this, feedback = request.feedback()](ledger::Transaction& t) {
        return internal::DecideFeedback(feedback, *book_.ActiveAt(t.now()), t);
      },
      std::move(reply), deadline);
}

namespace {

constexpr char kApiKeyPrefix[] = "apikey/";
}  // namespace

void Operations::CreateApiKeyRecord(
    const std::string& request_id,
    const loyalty::v1::CreateApiKeyRequest& request,
    loyalty::v1::ApiKeyRecord record, Reply<loyalty::v1::ApiKeyRecord> reply,
    absl::Time deadline) {
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
  ASSIGN_OR_RETURN(*response.mutable_member(), FullProfile(*ledger_, record));
  const absl::Time now = clock_->Now();
  *response.mutable_balance() = BalanceAt(*book_.ActiveAt(now), record, now);
  return response;
}

absl::StatusOr<loyalty::v1::GetBalanceResponse> Operations::GetBalance(
    const loyalty::v1::GetBalanceRequest& request) const {
  loyalty::v1::GetMemberRequest member_request;
  member_request.set_member_id(request.member_id());
  ASSIGN_OR_RETURN(loyalty::v1::GetMemberResponse member,
                   GetMember(member_request));
  loyalty::v1::GetBalanceResponse response;
  *response.mutable_balance() = std::move(*member.mutable_balance());
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

}  // namespace loyalty::program
