#include "engine/program/referral.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "engine/base/status_macros.h"
#include "engine/evaluator/compiled.h"
#include "engine/evaluator/time_zone.h"
#include "engine/ledger/accounts.h"
#include "engine/program/member_view.h"
#include "engine/program/partners.h"
#include "engine/program/postings.h"

namespace loyalty::program {
namespace {

using loyalty::v1::JournalEntry;
using loyalty::v1::ReferralReward;

constexpr int kAlphabetSize = sizeof(kReferralAlphabet) - 1;

std::string ReferralKey(absl::string_view code) {
  return absl::StrCat("referral/", code);
}

// A random code; rejection sampling keeps every character equally likely.
std::string RandomCode() {
  std::string code;
  unsigned char bytes[32];
  while (static_cast<int>(code.size()) < kReferralCodeLength) {
    // RAND_bytes only fails when the system has no entropy source at all.
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();
    for (unsigned char byte : bytes) {
      if (byte >= 256 / kAlphabetSize * kAlphabetSize) continue;
      code.push_back(kReferralAlphabet[byte % kAlphabetSize]);
      if (static_cast<int>(code.size()) == kReferralCodeLength) break;
    }
  }
  return code;
}

bool IsCodeShape(absl::string_view code) {
  return code.size() == kReferralCodeLength &&
         std::all_of(code.begin(), code.end(), [](char c) {
           return std::strchr(kReferralAlphabet, c) != nullptr && c != '\0';
         });
}

absl::StatusOr<std::string> LookUpReferrer(absl::string_view code,
                                           ledger::Transaction& transaction) {
  const std::string normalized = absl::AsciiStrToUpper(code);
  if (!IsCodeShape(normalized)) {
    return InvalidArgument("INVALID_REFERRAL_CODE", "referral_code",
                           absl::StrCat("a referral code has ", kReferralCodeLength,
                                        " characters of ", kReferralAlphabet));
  }
  ASSIGN_OR_RETURN(auto owner, transaction.GetAux(ReferralKey(normalized)));
  if (!owner.has_value()) {
    return NotFound("UNKNOWN_REFERRAL_CODE", "referral_code",
                    absl::StrCat("no member has referral code ", Quoted(normalized)));
  }
  return *owner;
}

bool HasReward(const loyalty::v1::ReferralSettings& settings) {
  return settings.referrer_points() > 0 || settings.newcomer_points() > 0 ||
         settings.referrer_cashback_minor() > 0 || settings.newcomer_cashback_minor() > 0;
}

// Takes back `points` and `cashback` from `member` as the entry so far
// leaves them: points from lots first (by funder), the rest below zero;
// cashback as far as the wallet holds.
absl::Status TakeBack(const std::string& member, int64_t points, int64_t cashback,
                      const std::string& currency, int64_t order_sequence,
                      ledger::Transaction& transaction, JournalEntry* entry) {
  if (points == 0 && cashback == 0) return absl::OkStatus();
  ASSIGN_OR_RETURN(const loyalty::v1::MemberRecord* stored, transaction.Member(member));
  ASSIGN_OR_RETURN(loyalty::v1::MemberRecord now,
                   ledger::ApplyMemberPostings(*stored, *entry));
  const int64_t covered =
      std::min(points, std::max<int64_t>(now.points_available(), 0));
  DebitLots(now, covered, order_sequence,
            [](const std::string& funder) { return ledger::PointsIssued(funder); },
            entry);
  if (points > covered) TakePointsBelowZero(entry, member, points - covered);
  const int64_t wallet = CashbackIn(now, currency);
  Move(entry, ledger::MemberCashback(member, currency),
       ledger::ProgramCashbackIssued(currency), currency,
       std::min(cashback, std::max<int64_t>(wallet, 0)));
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> NewReferralCodes() {
  std::vector<std::string> codes;
  for (int i = 0; i < kReferralCodeCandidates; ++i) codes.push_back(RandomCode());
  return codes;
}

absl::Status PrepareReferral(absl::string_view referral_code,
                             const std::vector<std::string>& candidates,
                             loyalty::v1::MemberProfile* profile,
                             ledger::Transaction& transaction) {
  profile->clear_referral_code();
  profile->clear_referred_by();
  if (!referral_code.empty()) {
    ASSIGN_OR_RETURN(std::string referrer, LookUpReferrer(referral_code, transaction));
    if (referrer == profile->member_id()) {
      return FailedPrecondition("SELF_REFERRAL", "referral_code",
                                "a member cannot use their own referral code");
    }
    auto existing = transaction.Member(profile->member_id());
    if (existing.ok() && !(*existing)->profile().referred_by().empty()) {
      return FailedPrecondition(
          "ALREADY_REFERRED", "referral_code",
          absl::StrCat("member ", Quoted(profile->member_id()), " was referred by '",
                       (*existing)->profile().referred_by(), "' already"));
    }
    profile->set_referred_by(referrer);
  }
  for (const std::string& code : candidates) {
    ASSIGN_OR_RETURN(auto taken, transaction.GetAux(ReferralKey(code)));
    if (taken.has_value()) continue;
    transaction.PutAux(ReferralKey(code), profile->member_id());
    profile->set_referral_code(code);
    return absl::OkStatus();
  }
  return MakeError(absl::StatusCode::kAborted, "REFERRAL_CODE_TAKEN", "",
                   "every drawn referral code is in use; retry the request");
}

absl::StatusOr<ReferralOutcome> DecideReferral(
    const loyalty::v1::MemberRecord& newcomer,
    const loyalty::v1::PricedPurchase& priced, absl::Time purchase_time,
    const evaluator::CompiledRules& rules, ledger::Transaction& transaction) {
  const loyalty::v1::ReferralSettings& settings = rules.rule_set().referral();
  const std::string referrer = newcomer.profile().referred_by();
  const std::string newcomer_id = newcomer.profile().member_id();
  ReferralOutcome outcome;
  if (referrer.empty() || referrer == newcomer_id || newcomer.referral_settled() ||
      !HasReward(settings) || priced.total_due_minor() < settings.min_purchase_minor()) {
    return outcome;
  }
  outcome.qualifying = true;
  const std::string month =
      evaluator::internal::PeriodKeysAt(purchase_time, rules.program().zone).month;
  ASSIGN_OR_RETURN(const loyalty::v1::MemberRecord* referrer_record,
                   transaction.Member(referrer));
  if (referrer_record->erased()) return outcome;  // settled without reward
  auto used = referrer_record->referrals_rewarded().find(month);
  const int64_t rewarded =
      used == referrer_record->referrals_rewarded().end() ? 0 : used->second;
  if (settings.has_max_per_referrer_per_month() &&
      rewarded >= settings.max_per_referrer_per_month()) {
    return outcome;  // capped: settled without reward
  }
  ReferralReward reward;
  reward.set_referrer_id(referrer);
  reward.set_referrer_points(settings.referrer_points());
  reward.set_newcomer_points(settings.newcomer_points());
  reward.set_referrer_cashback_minor(settings.referrer_cashback_minor());
  reward.set_newcomer_cashback_minor(settings.newcomer_cashback_minor());
  reward.set_month(month);
  reward.set_min_purchase_minor(settings.min_purchase_minor());
  outcome.reward = std::move(reward);
  return outcome;
}

void AddReferralPostings(const ReferralReward& reward, const std::string& newcomer,
                         const std::string& currency, JournalEntry* entry) {
  const absl::string_view issued = ledger::kProgramPointsIssued;
  const absl::string_view points = ledger::kPointsAsset;
  Move(entry, issued, ledger::MemberPointsAvailable(reward.referrer_id()),
       points, reward.referrer_points());
  Move(entry, issued, ledger::MemberPointsAvailable(newcomer), points,
       reward.newcomer_points());
  Move(entry, ledger::ProgramCashbackIssued(currency),
       ledger::MemberCashback(reward.referrer_id(), currency), currency,
       reward.referrer_cashback_minor());
  Move(entry, ledger::ProgramCashbackIssued(currency),
       ledger::MemberCashback(newcomer, currency), currency,
       reward.newcomer_cashback_minor());
}

absl::Status RecordReferral(const std::string& newcomer, const ReferralOutcome& outcome,
                            ledger::Transaction& transaction) {
  if (!outcome.qualifying) return absl::OkStatus();
  ASSIGN_OR_RETURN(loyalty::v1::MemberRecord * record, transaction.MutableMember(newcomer));
  record->set_referral_settled(true);
  if (!outcome.reward.has_value()) return absl::OkStatus();
  ASSIGN_OR_RETURN(loyalty::v1::MemberRecord * referrer,
                   transaction.MutableMember(outcome.reward->referrer_id()));
  auto& months = *referrer->mutable_referrals_rewarded();
  ++months[outcome.reward->month()];
  while (static_cast<int>(months.size()) > kMaxReferralMonths) {
    auto oldest = std::min_element(months.begin(), months.end(),
                                   [](const auto& a, const auto& b) { return a.first < b.first; });
    months.erase(oldest);
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> ReverseReferral(loyalty::v1::OrderRecord* order,
                                     int64_t money_refunded_minor, bool fully_refunded,
                                     ledger::Transaction& transaction, JournalEntry* entry) {
  if (!order->priced().has_referral_reward() || order->referral_reversed()) return false;
  const ReferralReward& reward = order->priced().referral_reward();
  const int64_t kept = order->priced().total_due_minor() - money_refunded_minor;
  if (!fully_refunded && kept >= reward.min_purchase_minor()) return false;
  const std::string& currency = order->priced().currency();
  const std::string& newcomer = order->purchase().member_id();
  RETURN_IF_ERROR(TakeBack(newcomer, reward.newcomer_points(),
                           reward.newcomer_cashback_minor(), currency,
                           order->sequence(), transaction, entry));
  RETURN_IF_ERROR(TakeBack(reward.referrer_id(), reward.referrer_points(),
                           reward.referrer_cashback_minor(), currency,
                           order->sequence(), transaction, entry));
  order->set_referral_reversed(true);
  return true;
}

absl::Status FreeReferral(const loyalty::v1::OrderRecord& order,
                          ledger::Transaction& transaction) {
  const ReferralReward& reward = order.priced().referral_reward();
  ASSIGN_OR_RETURN(loyalty::v1::MemberRecord * referrer,
                   transaction.MutableMember(reward.referrer_id()));
  auto& months = *referrer->mutable_referrals_rewarded();
  auto it = months.find(reward.month());
  if (it != months.end() && --it->second <= 0) months.erase(it);
  ASSIGN_OR_RETURN(loyalty::v1::MemberRecord * newcomer,
                   transaction.MutableMember(order.purchase().member_id()));
  newcomer->set_referral_settled(false);
  return absl::OkStatus();
}

}  // namespace loyalty::program
