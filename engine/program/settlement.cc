#include "engine/program/settlement.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/base/checked_math.h"
#include "engine/base/error.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"
#include "engine/ledger/accounts.h"
#include "engine/program/operations.h"

namespace loyalty::program {
namespace {

using loyalty::v1::PartnerSettlement;

// Entries read per page of the scan.
constexpr int kSettlementPageEntries = 1024;

// "partner/{id}/points/..." -> id; "program/..." -> "".
std::string PartyOf(const std::string& account) {
  if (account.rfind("partner/", 0) != 0) return "";
  std::vector<std::string> parts = absl::StrSplit(account, '/');
  return parts[1];
}

struct Tally {
  std::map<std::string, PartnerSettlement> parties;
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> claims;
  bool overflow = false;

  int64_t Sum(int64_t a, int64_t b) {
    auto sum = CheckedAdd(a, b);
    if (!sum) overflow = true;
    return sum.value_or(0);
  }
  int64_t Value(int64_t points, int64_t point_value) {
    auto value = CheckedMul(points, point_value);
    if (!value) overflow = true;
    return value.value_or(0);
  }
  PartnerSettlement& Party(const std::string& id) {
    PartnerSettlement& party = parties[id];
    party.set_partner_id(id);
    return party;
  }

  void AddEntry(const loyalty::v1::JournalEntry& entry, int64_t default_value) {
    const int64_t point_value =
        entry.point_value_minor() != 0 ? entry.point_value_minor() : default_value;
    for (const auto& posting : entry.postings()) {
      if (posting.asset() != ledger::kPointsAsset) continue;
      if (ledger::IsPointsIssued(posting.account())) {
        PartnerSettlement& party = Party(PartyOf(posting.account()));
        party.set_points_issued(party.points_issued() - posting.amount());
        party.set_funded_minor(
            Sum(party.funded_minor(), Value(-posting.amount(), point_value)));
      } else if (ledger::IsPointsRedeemed(posting.account())) {
        const std::string at = PartyOf(posting.account());
        const std::string& funder = posting.lot_partner_id();
        PartnerSettlement& party = Party(at);
        party.set_points_burned(party.points_burned() + posting.amount());
        Party(funder);
        if (funder == at) continue;
        const int64_t value = Value(posting.amount(), point_value);
        auto& claim = claims[{funder, at}];
        claim.first += posting.amount();
        claim.second = Sum(claim.second, value);
        PartnerSettlement& to = Party(at);
        to.set_claims_in_minor(Sum(to.claims_in_minor(), value));
        PartnerSettlement& from = Party(funder);
        from.set_claims_out_minor(Sum(from.claims_out_minor(), value));
      }
    }
  }
};

// One partner's view of a settlement: its own row and the claims it is a
// party to.
void NarrowToPartner(absl::string_view partner_id,
                     loyalty::v1::SettlePartnersResponse* settled) {
  auto* parties = settled->mutable_parties();
  parties->erase(
      std::remove_if(parties->begin(), parties->end(),
                     [&](const loyalty::v1::PartnerSettlement& party) {
                       return party.partner_id() != partner_id;
                     }),
      parties->end());
  auto* claims = settled->mutable_claims();
  claims->erase(std::remove_if(claims->begin(), claims->end(),
                               [&](const loyalty::v1::PartnerClaim& claim) {
                                 return claim.from_partner_id() != partner_id &&
                                        claim.to_partner_id() != partner_id;
                               }),
                claims->end());
}

}  // namespace

absl::StatusOr<loyalty::v1::SettlePartnersResponse> SettleFromJournal(
    const ledger::Ledger& ledger, const loyalty::v1::SettlePartnersRequest& request,
    const std::vector<loyalty::v1::Partner>& partners,
    const loyalty::v1::RuleSet& active_rules) {
  if (request.has_from_time() && request.has_to_time() &&
      FromTimestamp(request.to_time()) <= FromTimestamp(request.from_time())) {
    return InvalidArgument("INVALID_RANGE", "to_time", "to_time must be after from_time");
  }
  ledger::EntryFilter filter;
  if (request.has_from_time()) filter.from_time = FromTimestamp(request.from_time());
  if (request.has_to_time()) filter.to_time = FromTimestamp(request.to_time());
  std::unique_ptr<ledger::EntryReader> reader = ledger.NewEntryReader(filter);
  Tally tally;
  tally.Party("");
  for (const auto& partner : partners) tally.Party(partner.partner_id()).set_name(partner.name());
  loyalty::v1::SettlePartnersResponse response;
  response.set_currency(active_rules.program().currency());
  while (true) {
    ASSIGN_OR_RETURN(auto page, reader->Next(kSettlementPageEntries));
    if (page.empty()) break;
    for (const auto& entry : page) {
      tally.AddEntry(entry, active_rules.program().point_value_minor());
    }
    response.set_entries_read(response.entries_read() + static_cast<int64_t>(page.size()));
  }
  if (tally.overflow) {
    return InvalidArgument("AMOUNT_OVERFLOW", "from_time",
                           "the period's amounts do not fit in 64 bits; settle a shorter period");
  }
  for (auto& [id, party] : tally.parties) {
    if (id.empty()) party.set_name("program operator");
    party.set_net_minor(party.claims_in_minor() - party.claims_out_minor());
    *response.add_parties() = std::move(party);  // "" sorts first
  }
  for (const auto& [pair, amounts] : tally.claims) {
    if (amounts.first == 0 && amounts.second == 0) continue;
    auto* claim = response.add_claims();
    claim->set_from_partner_id(pair.first);
    claim->set_to_partner_id(pair.second);
    claim->set_points(amounts.first);
    claim->set_value_minor(amounts.second);
  }
  return response;
}

absl::StatusOr<loyalty::v1::SettlePartnersResponse> Operations::SettlePartners(
    const loyalty::v1::SettlePartnersRequest& request,
    absl::string_view partner_id) const {
  ASSIGN_OR_RETURN(loyalty::v1::ListPartnersResponse partners, ListPartners());
  ASSIGN_OR_RETURN(loyalty::v1::SettlePartnersResponse settled,
                   SettleFromJournal(*ledger_, request,
                                     std::vector<loyalty::v1::Partner>(
                                         partners.partners().begin(),
                                         partners.partners().end()),
                                     rules()->rule_set()));
  if (!partner_id.empty()) NarrowToPartner(partner_id, &settled);
  return settled;
}

}  // namespace loyalty::program
