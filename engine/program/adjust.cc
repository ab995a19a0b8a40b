// AdjustBalance: goodwill credits and corrections, and the reason lists.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/base/error.h"
#include "engine/base/limits.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"
#include "engine/ledger/accounts.h"
#include "engine/program/decisions.h"
#include "engine/program/member_view.h"
#include "engine/program/operations.h"
#include "engine/program/partners.h"
#include "engine/program/postings.h"
#include "engine/program/reasons.h"
#include "engine/program/submit.h"
#include "engine/program/upkeep.h"

namespace loyalty::program {
namespace {

constexpr char kPointsGoodwill[] = "program/points/goodwill";

std::string CashbackGoodwill(absl::string_view currency) {
  return absl::StrCat("program/cashback/", currency, "/goodwill");
}

// The request's currency (the program's when unset), once the request is
// checked: a known reason code, an amount, a short note, the program's
// currency.
absl::StatusOr<std::string> CheckAdjust(
    const loyalty::v1::AdjustBalanceRequest& request,
    const loyalty::v1::RuleSet& rule_set) {
  RETURN_IF_ERROR(CheckReason(request.reason_code(), rule_set.adjustment_reasons(),
                              DefaultAdjustmentReasons(), "reason_code"));
  if (request.points() == 0 && request.cashback_minor() == 0) {
    return InvalidArgument("INVALID_AMOUNT", "points",
                           "give points or cashback_minor, not both zero");
  }
  if (request.note().size() > kMaxNoteBytes) {
    return InvalidArgument("TEXT_TOO_LONG", "note", "at most 500 bytes");
  }
  const std::string currency =
      request.currency().empty() ? rule_set.program().currency() : request.currency();
  if (currency != rule_set.program().currency()) {
    return InvalidArgument("UNSUPPORTED_CURRENCY", "currency",
                           absl::StrCat("the program pays cashback in ",
                                        rule_set.program().currency()));
  }
  return currency;
}

// The ADJUSTMENT entry. Goodwill points make a lot that lives as long as
// earned ones; a correction takes lots by funder, so partner-funded points
// go back to the partner that funded them (engine/program/partners.h).
absl::StatusOr<loyalty::v1::JournalEntry> AdjustEntry(
    const loyalty::v1::AdjustBalanceRequest& request,
    const std::string& currency, const evaluator::CompiledRules& rules,
    ledger::Transaction& transaction) {
  loyalty::v1::JournalEntry entry;
  entry.set_kind(loyalty::v1::ENTRY_KIND_ADJUSTMENT);
  entry.set_member_id(request.member_id());
  entry.set_reason_code(request.reason_code());
  entry.set_note(request.note());
  entry.set_rules_version(rules.version());
  entry.set_description(absl::StrCat(request.points() >= 0 && request.cashback_minor() >= 0
                                         ? "goodwill: " : "correction: ",
                                     request.reason_code()));
  if (request.points() > 0) {
    Move(&entry, kPointsGoodwill, ledger::MemberPointsAvailable(request.member_id()),
         ledger::kPointsAsset, request.points());
    if (auto expiry = ExpiryFor(rules, transaction.now())) {
      *entry.mutable_postings()->rbegin()->mutable_lot_expire_time() = ToTimestamp(*expiry);
    }
  } else if (request.points() < 0) {
    ASSIGN_OR_RETURN(const loyalty::v1::MemberRecord* current,
                     transaction.Member(request.member_id()));
    DebitLots(*current, -request.points(), 0,
              [](const std::string& funder) {
                return funder.empty() ? std::string(kPointsGoodwill)
                                      : ledger::PointsIssued(funder);
              },
              &entry);
  }
  Move(&entry, CashbackGoodwill(currency),
       ledger::MemberCashback(request.member_id(), currency), currency,
       request.cashback_minor());
  return entry;
}

}  // namespace

namespace internal {

absl::StatusOr<std::string> DecideAdjust(
    const loyalty::v1::AdjustBalanceRequest& request,
    const evaluator::CompiledRules& rules, ledger::Transaction& transaction) {
  ASSIGN_OR_RETURN(const std::string currency,
                   CheckAdjust(request, rules.rule_set()));
  RETURN_IF_ERROR(
      ExistingMember(transaction, request.member_id(), "member_id").status());
  // A correction must not take points that have expired already.
  RETURN_IF_ERROR(RunUpkeep(rules, transaction, request.member_id()).status());
  ASSIGN_OR_RETURN(loyalty::v1::JournalEntry entry,
                   AdjustEntry(request, currency, rules, transaction));
  ASSIGN_OR_RETURN(int64_t sequence, transaction.Append(std::move(entry)));
  ASSIGN_OR_RETURN(const loyalty::v1::MemberRecord* after,
                   transaction.Member(request.member_id()));
  loyalty::v1::AdjustBalanceResponse response;
  response.set_transaction_id(absl::StrCat(sequence));
  *response.mutable_balance() = BalanceAt(rules, *after, transaction.now());
  return response.SerializeAsString();
}

}  // namespace internal

absl::Status CheckReason(absl::string_view code,
                         const google::protobuf::RepeatedPtrField<std::string>& rule_set_list,
                         const std::vector<std::string>& defaults,
                         absl::string_view field) {
  std::vector<std::string> allowed(rule_set_list.begin(), rule_set_list.end());
  if (allowed.empty()) allowed = defaults;
  if (std::find(allowed.begin(), allowed.end(), code) != allowed.end()) {
    return absl::OkStatus();
  }
  return InvalidArgument(code.empty() ? "MISSING_FIELD" : "UNKNOWN_REASON_CODE", field,
                         absl::StrCat("use one of ", absl::StrJoin(allowed, ", ")));
}

void Operations::AdjustBalance(const loyalty::v1::AdjustBalanceRequest& request,
                               Reply<loyalty::v1::AdjustBalanceResponse> reply,
                               absl::Time deadline) {
  internal::SubmitToLedger(
      ledger_, request.request_id(),
      internal::Fingerprint("AdjustBalance", request),
      [this, request](ledger::Transaction& t) {
        return internal::DecideAdjust(request, *book_.ActiveAt(t.now()), t);
      },
      std::move(reply), deadline);
}

}  // namespace loyalty::program
