#include "engine/ledger/accounts.h"
#include "engine/base/limits.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace loyalty::ledger {

std::string MemberPointsAvailable(absl::string_view member_id) {
  return absl::StrCat("member/", member_id, "/points/available");
}

std::string MemberPointsPending(absl::string_view member_id) {
  return absl::StrCat("member/", member_id, "/points/pending");
}

std::string MemberCashback(absl::string_view member_id,
                           absl::string_view currency) {
  return absl::StrCat("member/", member_id, "/cashback/", currency);
}

std::string ProgramCashbackIssued(absl::string_view currency) {
  return absl::StrCat("program/cashback/", currency, "/issued");
}

std::string ProgramCashbackRedeemed(absl::string_view currency) {
  return absl::StrCat("program/cashback/", currency, "/redeemed");
}

std::string ProgramCashbackForfeited(absl::string_view currency) {
  return absl::StrCat("program/cashback/", currency, "/forfeited");
}

std::string PointsIssued(absl::string_view partner_id) {
  return partner_id.empty() ? std::string(kProgramPointsIssued)
                            : absl::StrCat("partner/", partner_id, "/points/issued");
}

std::string PointsRedeemed(absl::string_view partner_id) {
  return partner_id.empty() ? std::string(kProgramPointsRedeemed)
                            : absl::StrCat("partner/", partner_id, "/points/redeemed");
}

namespace {
bool IsPartnerPoints(absl::string_view account, absl::string_view last) {
  std::vector<absl::string_view> parts = absl::StrSplit(account, '/');
  return parts.size() == 4 && parts[0] == "partner" && IsValidMemberId(parts[1]) &&
         parts[2] == "points" && parts[3] == last;
}
}  // namespace

bool IsPointsIssued(absl::string_view account) {
  return account == kProgramPointsIssued || IsPartnerPoints(account, "issued");
}

bool IsPointsRedeemed(absl::string_view account) {
  return account == kProgramPointsRedeemed || IsPartnerPoints(account, "redeemed");
}

std::optional<MemberAccount> ParseMemberAccount(absl::string_view account) {
  std::vector<absl::string_view> parts = absl::StrSplit(account, '/');
  if (parts.size() != 4 || parts[0] != "member" || !IsValidMemberId(parts[1])) {
    return std::nullopt;
  }
  MemberAccount parsed{std::string(parts[1]),
                       MemberAccount::Kind::kPointsAvailable, ""};
  if (parts[2] == "points" && parts[3] == "available") return parsed;
  if (parts[2] == "points" && parts[3] == "pending") {
    parsed.kind = MemberAccount::Kind::kPointsPending;
    return parsed;
  }
  if (parts[2] == "cashback" && parts[3].size() == 3) {
    parsed.kind = MemberAccount::Kind::kCashback;
    parsed.currency = std::string(parts[3]);
    return parsed;
  }
  return std::nullopt;
}

bool IsValidMemberId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxMemberIdBytes) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace loyalty::ledger
