// The chart of accounts. Account names are paths; the asset of a posting is
// "PTS" for points or an ISO 4217 code for money.
//
// | account                               | kind                 | moves |
// |---------------------------------------|----------------------|----------------------------------------|
// | member/{id}/points/available          | liability to member  | + accrual, -
// burn (FIFO over lots)     | | member/{id}/points/pending            |
// liability to member  | + held accrual, - release              | |
// member/{id}/cashback/{CUR}            | liability, money     | + cashback
// earned, - cashback used     | | program/points/issued                 |
// funding source       | - every point issued                   | |
// program/points/redeemed               | burned points        | + every point
// burned                   | | program/points/expired                | breakage
// | + every point that expired             | | program/cashback/{CUR}/issued |
// funding, money       | - every cashback credit                | |
// program/cashback/{CUR}/redeemed       | cashback spent       | + every
// cashback debit                 | | program/cashback/{CUR}/forfeited      |
// cashback released    | + wallets of erased members            | |
// partner/{id}/points/issued            | funding source       | - the
// partner's share of points earned | |                                       |
// |   at it (coalition partners)           | | partner/{id}/points/redeemed |
// burned points        | + points burned at the partner         |
//
// Coalition funding: every lot remembers its funder (PointLot.partner_id,
// empty for the program). A debit of a member's available points that takes
// lots names the funder of the lots it takes (Posting.by_lot_partner and
// lot_partner_id, planned with PlanBurn in transaction.h), and its balancing
// posting carries the same lot_partner_id. So for every partner P, the
// non-member points postings tagged P sum to minus the points in lots P
// funds; Ledger::Audit checks it. Points burned at partner S from lots of
// funder F are a claim of S on F (engine/program/settlement.h).
//
// Member accounts never go negative; program accounts may (funding accounts
// are negative by construction). Postings of an entry sum to zero per asset.
#ifndef LOYALTY_ENGINE_LEDGER_ACCOUNTS_H_
#define LOYALTY_ENGINE_LEDGER_ACCOUNTS_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace loyalty::ledger {

inline constexpr absl::string_view kPointsAsset = "PTS";
inline constexpr absl::string_view kProgramPointsIssued =
    "program/points/issued";
inline constexpr absl::string_view kProgramPointsRedeemed =
    "program/points/redeemed";
inline constexpr absl::string_view kProgramPointsExpired =
    "program/points/expired";

std::string MemberPointsAvailable(absl::string_view member_id);
std::string MemberPointsPending(absl::string_view member_id);
std::string MemberCashback(absl::string_view member_id,
                           absl::string_view currency);
std::string ProgramCashbackIssued(absl::string_view currency);
std::string ProgramCashbackRedeemed(absl::string_view currency);
// Where the cashback of an erased member goes (Members.EraseMember).
std::string ProgramCashbackForfeited(absl::string_view currency);
// The funding / burned-points account of a partner; of the program when
// `partner_id` is empty.
std::string PointsIssued(absl::string_view partner_id);
std::string PointsRedeemed(absl::string_view partner_id);
// True for program/points/issued and every partner/{id}/points/issued (and
// the same for .../redeemed): what metrics count as issued and redeemed.
bool IsPointsIssued(absl::string_view account);
bool IsPointsRedeemed(absl::string_view account);

// A member account named by its parts.
struct MemberAccount {
  enum class Kind { kPointsAvailable, kPointsPending, kCashback };
  std::string member_id;
  Kind kind;
  std::string currency;  // only for kCashback
};

// The parts of a member account name; nullopt for any other account
// (program and partner accounts) or a malformed member account.
std::optional<MemberAccount> ParseMemberAccount(absl::string_view account);

// True when `id` may name a member (and so appear in account paths and keys):
// 1..64 characters of [A-Za-z0-9_.-].
bool IsValidMemberId(absl::string_view id);

}  // namespace loyalty::ledger

#endif  // LOYALTY_ENGINE_LEDGER_ACCOUNTS_H_
