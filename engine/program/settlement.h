// Partner settlement for a period, read from the journal (one snapshot scan
// of the entries recorded in [from_time, to_time)).
//
// Parties: the program operator (partner_id "") and every partner. Claims
// come from the postings on points/redeemed accounts: a posting of `n`
// points on the redeemed account of party S tagged with funder F
// (Posting.lot_partner_id) is F's points burned at S (n < 0 when a refund
// gives them back). When F != S, F owes S n x v minor units, where v is the
// entry's point_value_minor (the point value when the order was priced).
// Values are exact integers; nothing is rounded here (the only rounding is
// the funded share at accrual, in whole points, see partners.h).
//
// Per party: points_issued = minus the movement of its points/issued
// account; points_burned = the movement of its points/redeemed account;
// funded_minor = points_issued valued per entry (entries without a point
// value, such as adjustments, at the active rule set's); claims_in /
// claims_out as above; net = claims_in - claims_out. The nets sum to zero,
// and for every party S the claims it receives plus its own points burned
// at itself equal its redeemed account's movement, valued: the settlement
// reconciles to the ledger's postings to the minor unit.
#ifndef LOYALTY_ENGINE_PROGRAM_SETTLEMENT_H_
#define LOYALTY_ENGINE_PROGRAM_SETTLEMENT_H_

#include <vector>

#include "absl/status/statusor.h"
#include "engine/ledger/ledger.h"
#include "loyalty/v1/audit.pb.h"
#include "loyalty/v1/program.pb.h"
#include "loyalty/v1/rules.pb.h"

namespace loyalty::program {

absl::StatusOr<loyalty::v1::SettlePartnersResponse> SettleFromJournal(
    const ledger::Ledger& ledger, const loyalty::v1::SettlePartnersRequest& request,
    const std::vector<loyalty::v1::Partner>& partners,
    const loyalty::v1::RuleSet& active_rules);

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_SETTLEMENT_H_
