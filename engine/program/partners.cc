#include "engine/program/partners.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "engine/base/limits.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"
#include "engine/ledger/accounts.h"
#include "engine/program/operations.h"
#include "engine/program/postings.h"
#include "engine/program/submit.h"

namespace loyalty::program {
namespace {

using loyalty::v1::JournalEntry;
using loyalty::v1::Partner;

// A posting of points tagged with their funder.
loyalty::v1::Posting* AddPoints(JournalEntry* entry, const std::string& account,
                                int64_t amount, const std::string& funder) {
  loyalty::v1::Posting* posting =
      Post(entry, account, ledger::kPointsAsset, amount);
  posting->set_lot_partner_id(funder);
  return posting;
}

absl::Status CheckPartnerRequest(const loyalty::v1::UpsertPartnerRequest& request) {
  if (!ledger::IsValidMemberId(request.partner_id())) {
    return InvalidArgument("INVALID_PARTNER_ID", "partner_id",
                           "use 1 to 64 letters, digits, '-', '_' or '.'");
  }
  if (request.name().size() > kMaxProfileTextBytes) {
    return InvalidArgument("TEXT_TOO_LONG", "name",
                           absl::StrCat("at most ", kMaxProfileTextBytes, " bytes"));
  }
  if (request.funded_share_bp() < 0 || request.funded_share_bp() > kBasisPointsWhole) {
    return InvalidArgument("INVALID_SHARE", "funded_share_bp",
                           "use 0 to 10000 basis points (10000 = 100%)");
  }
  if (!loyalty::v1::PartnerStatus_IsValid(request.status())) {
    return InvalidArgument("INVALID_STATUS", "status", "use ACTIVE or SUSPENDED");
  }
  return absl::OkStatus();
}

}  // namespace

std::string PartnerKey(absl::string_view partner_id) {
  return absl::StrCat(kPartnerKeyPrefix, partner_id);
}

absl::StatusOr<PartnerFunding> FundingFor(absl::string_view partner_id,
                                          ledger::Transaction& transaction) {
  if (partner_id.empty()) return PartnerFunding{};
  ASSIGN_OR_RETURN(auto stored, transaction.GetAux(PartnerKey(partner_id)));
  if (!stored.has_value()) return PartnerFunding{};  // a label only
  Partner partner;
  if (!partner.ParseFromString(*stored)) {
    return absl::DataLossError(absl::StrCat("partner record ", partner_id,
                                            " does not parse"));
  }
  if (partner.status() == loyalty::v1::PARTNER_STATUS_SUSPENDED) {
    return FailedPrecondition("PARTNER_SUSPENDED", "purchase.partner_id",
                              absl::StrCat("partner ", Quoted(partner_id),
                                           " is suspended: no accrual or redemption"));
  }
  return PartnerFunding{partner.partner_id(), partner.funded_share_bp()};
}

void DebitLots(const loyalty::v1::MemberRecord& record, int64_t amount,
               int64_t preferred,
               const std::function<std::string(const std::string&)>& to,
               JournalEntry* entry, bool pending) {
  if (amount <= 0) return;
  const std::string& member = record.profile().member_id();
  const std::string account = pending ? ledger::MemberPointsPending(member)
                                      : ledger::MemberPointsAvailable(member);
  int64_t left = amount;
  for (const auto& [funder, points] :
       ledger::PlanBurn(record, amount, preferred, pending)) {
    auto* debit = AddPoints(entry, account, -points, funder);
    debit->set_by_lot_partner(true);
    debit->set_from_lot_sequence(preferred);
    AddPoints(entry, to(funder), points, funder);
    left -= points;
  }
  if (left > 0) {
    AddPoints(entry, account, -left, "");
    AddPoints(entry, to(""), left, "");
  }
}

void FundPurchasePoints(const loyalty::v1::MemberRecord& member,
                        const PartnerFunding& funding, int64_t redeemed,
                        int64_t earned, JournalEntry* entry) {
  // PurchaseEntry's earn credit is the template of the lots (account:
  // available or pending; dates); its other points postings are replaced.
  loyalty::v1::Posting credit;
  std::vector<loyalty::v1::Posting> others;
  for (const auto& posting : entry->postings()) {
    if (posting.asset() != ledger::kPointsAsset) {
      others.push_back(posting);
    } else if (ledger::ParseMemberAccount(posting.account()) && posting.amount() > 0) {
      credit = posting;
    }
  }
  entry->clear_postings();
  // Burning first: points earned on the order cannot pay for it.
  DebitLots(member, redeemed, 0,
            [&](const std::string&) { return ledger::PointsRedeemed(funding.partner_id); },
            entry);
  for (auto& posting : others) *entry->add_postings() = std::move(posting);
  if (earned <= 0 || credit.account().empty()) return;
  // Points that only fill a negative balance make no lot: the program
  // funds them (it took the clawback that made the balance negative), and
  // the partner's share applies to the points that make lots.
  const bool available =
      credit.account() == ledger::MemberPointsAvailable(member.profile().member_id());
  const int64_t hole = available ? std::max<int64_t>(-member.points_available(), 0) : 0;
  const int64_t in_lots = earned - std::min(earned, hole);
  const int64_t by_partner = static_cast<int64_t>(
      static_cast<__int128>(in_lots) * funding.funded_share_bp / kBasisPointsWhole);
  std::pair<std::string, int64_t> parts[] = {{funding.partner_id, by_partner},
                                             {std::string(), earned - by_partner}};
  if (hole > 0) std::swap(parts[0], parts[1]);  // the program's fills the hole
  for (const auto& [funder, points] : parts) {
    if (points == 0) continue;
    AddPoints(entry, ledger::PointsIssued(funder), -points, funder);
    loyalty::v1::Posting* lot = entry->add_postings();
    *lot = credit;
    lot->set_amount(points);
    lot->set_lot_partner_id(funder);
  }
}

absl::StatusOr<std::string> DecideUpsertPartner(
    const loyalty::v1::UpsertPartnerRequest& request,
    ledger::Transaction& transaction) {
  RETURN_IF_ERROR(CheckPartnerRequest(request));
  Partner partner;
  partner.set_partner_id(request.partner_id());
  partner.set_name(request.name());
  partner.set_status(request.status() == loyalty::v1::PARTNER_STATUS_UNSPECIFIED
                         ? loyalty::v1::PARTNER_STATUS_ACTIVE
                         : request.status());
  partner.set_funded_share_bp(request.funded_share_bp());
  *partner.mutable_update_time() = ToTimestamp(transaction.now());
  transaction.PutAux(PartnerKey(request.partner_id()), partner.SerializeAsString());
  loyalty::v1::UpsertPartnerResponse response;
  *response.mutable_partner() = std::move(partner);
  return response.SerializeAsString();
}

void Operations::UpsertPartner(const loyalty::v1::UpsertPartnerRequest& request,
                               Reply<loyalty::v1::UpsertPartnerResponse> reply,
                               absl::Time deadline) {
  internal::SubmitToLedger(
      ledger_, request.request_id(),
      internal::Fingerprint("UpsertPartner", request),
      [request](ledger::Transaction& t) {
        return DecideUpsertPartner(request, t);
      },
      std::move(reply), deadline);
}

absl::StatusOr<loyalty::v1::ListPartnersResponse> Operations::ListPartners(
    absl::string_view partner_id) const {
  ASSIGN_OR_RETURN(auto stored, ledger_->ReadAux(kPartnerKeyPrefix));
  loyalty::v1::ListPartnersResponse response;
  for (const auto& [key, value] : stored) {
    loyalty::v1::Partner partner;
    if (!partner.ParseFromString(value)) {
      return absl::DataLossError(absl::StrCat("record ", key, " does not parse"));
    }
    if (!partner_id.empty() && partner.partner_id() != partner_id) continue;
    *response.add_partners() = std::move(partner);
  }
  return response;
}

}  // namespace loyalty::program
