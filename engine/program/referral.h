// Referrals: every member gets a code at enrollment; a newcomer who enrolls
// with another member's code brings both sides the rule set's `referral`
// rewards when the newcomer's first qualifying purchase commits.
//
// - Codes: 10 characters of an alphabet without look-alikes (no 0/O, 1/I/L),
//   drawn from OpenSSL's CSPRNG (RAND_bytes) when the request is handed to
//   the writer (a few candidates travel with the operation, so the writer's
//   decision stays a deterministic function of the operation log); the
//   writer takes the first candidate not in use, keeps it in the member's
//   profile and in the index record "referral/{CODE}" -> member id, so a
//   lookup is one read.
// - Refused at enrollment: an unknown code (NOT_FOUND UNKNOWN_REFERRAL_CODE),
//   a malformed one (INVALID_ARGUMENT INVALID_REFERRAL_CODE), one's own code
//   (FAILED_PRECONDITION SELF_REFERRAL), and a second referrer for a member
//   who has one (FAILED_PRECONDITION ALREADY_REFERRED); all name
//   referral_code.
// - Qualifying purchase: the newcomer's first purchase whose money paid
//   (total_due_minor) is at least referral.min_purchase_minor. Its entry
//   holds the rewards (program-funded points lots and cashback). A referrer
//   past referral.max_per_referrer_per_month rewarded referrals in the
//   purchase's month (program zone) gets nothing, and neither does the
//   newcomer: the referral is settled without reward.
// - A refund that leaves the order paying less than that minimum, or
//   refunds it in full, reverses both rewards in the refund's own entry
//   (points below zero if spent; cashback as far as the wallet holds), frees
//   the referrer's slot of that month, and reopens the newcomer's referral:
//   a later qualifying purchase is rewarded again.
#ifndef LOYALTY_ENGINE_PROGRAM_REFERRAL_H_
#define LOYALTY_ENGINE_PROGRAM_REFERRAL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/evaluator/evaluator.h"
#include "engine/ledger/transaction.h"
#include "loyalty/v1/storage.pb.h"

namespace loyalty::program {

inline constexpr int kReferralCodeLength = 10;
inline constexpr char kReferralAlphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
inline constexpr int kMaxReferralMonths = 24;
// Candidate codes drawn per enrollment; a collision is one in 31^10.
inline constexpr int kReferralCodeCandidates = 4;

// kReferralCodeCandidates fresh random codes.
std::vector<std::string> NewReferralCodes();

// Before a new member is added: clears what the caller may not set, links
// `profile` to the owner of `referral_code` (when given) and gives it the
// first of `candidates` that no member holds.
absl::Status PrepareReferral(absl::string_view referral_code,
                             const std::vector<std::string>& candidates,
                             loyalty::v1::MemberProfile* profile,
                             ledger::Transaction& transaction);

struct ReferralOutcome {
  bool qualifying = false;  // settles the newcomer's referral
  std::optional<loyalty::v1::ReferralReward> reward;  // unset when capped
};

// What a purchase about to commit does for the newcomer's referral.
absl::StatusOr<ReferralOutcome> DecideReferral(
    const loyalty::v1::MemberRecord& newcomer,
    const loyalty::v1::PricedPurchase& priced, absl::Time purchase_time,
    const evaluator::CompiledRules& rules, ledger::Transaction& transaction);

// The reward's postings, added to the purchase entry.
void AddReferralPostings(const loyalty::v1::ReferralReward& reward,
                         const std::string& newcomer, const std::string& currency,
                         loyalty::v1::JournalEntry* entry);

// After the purchase entry is appended: settles the newcomer's referral and
// counts the referrer's month.
absl::Status RecordReferral(const std::string& newcomer,
                            const ReferralOutcome& outcome,
                            ledger::Transaction& transaction);

// In a refund of `order` whose cumulative money refunded becomes
// `money_refunded_minor`: adds the reversal postings to `entry` and marks
// the order when the rewards must be reversed (see the file comment).
// Call FreeReferral after the entry is appended when it returns true.
absl::StatusOr<bool> ReverseReferral(loyalty::v1::OrderRecord* order,
                                     int64_t money_refunded_minor,
                                     bool fully_refunded,
                                     ledger::Transaction& transaction,
                                     loyalty::v1::JournalEntry* entry);
absl::Status FreeReferral(const loyalty::v1::OrderRecord& order,
                          ledger::Transaction& transaction);

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_REFERRAL_H_
