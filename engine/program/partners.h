// Coalition partners: their records, and how their points are funded.
//
// A partner is a record beside the ledger (key "partner/{id}"), written by
// UpsertPartner through the ledger writer like every write. A purchase at a
// registered partner is funded by it: of the points earned, the partner
// funds floor(points x funded_share_bp / 10000) (its lot, debited from
// partner/{id}/points/issued) and the program funds the rest (a second lot,
// from program/points/issued); points that only fill a negative balance
// make no lot and are the program's. Rounding happens there, once, in whole
// points; everything later moves whole lots or parts of them, so value
// never drifts. Points burned at the partner are credited to
// partner/{id}/points/redeemed, one posting per funder of the lots taken,
// tagged with that funder (see engine/ledger/accounts.h).
//
// A suspended partner cannot accrue or redeem: its purchases are refused
// with FAILED_PRECONDITION (PARTNER_SUSPENDED) naming purchase.partner_id.
// A purchase naming a partner id with no record is served as before
// partners existed: the id is a label, and the program operator funds its
// points and receives its burns.
#ifndef LOYALTY_ENGINE_PROGRAM_PARTNERS_H_
#define LOYALTY_ENGINE_PROGRAM_PARTNERS_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/ledger/transaction.h"
#include "loyalty/v1/program.pb.h"
#include "loyalty/v1/storage.pb.h"

namespace loyalty::program {

inline constexpr int64_t kBasisPointsWhole = 10000;
inline constexpr char kPartnerKeyPrefix[] = "partner/";

std::string PartnerKey(absl::string_view partner_id);

// Who funds a purchase's points and receives its burns.
struct PartnerFunding {
  std::string partner_id;  // empty: the program operator
  int64_t funded_share_bp = 0;
};

// The funding of a purchase at `partner_id` (see the file comment).
absl::StatusOr<PartnerFunding> FundingFor(absl::string_view partner_id,
                                          ledger::Transaction& transaction);

// Adds debits of `amount` available points of `record`'s member, planned
// on its lots (first those of entry `preferred`, then oldest first): one
// debit per funder, each taking only that funder's lots, balanced by a
// credit to `to(funder)` tagged with the funder. Any part the lots do not
// hold is one plain debit balanced to `to("")` (which the ledger refuses
// as INSUFFICIENT_POINTS unless the posting allows it).
// With `pending`, the same over the member's pending points and lots.
void DebitLots(const loyalty::v1::MemberRecord& record, int64_t amount,
               int64_t preferred,
               const std::function<std::string(const std::string&)>& to,
               loyalty::v1::JournalEntry* entry, bool pending = false);

// Replaces the points postings of a purchase entry made by PurchaseEntry
// with funded ones: the burn of `redeemed` points planned on `member`'s
// lots, and the `earned` points split between the partner and the program.
void FundPurchasePoints(const loyalty::v1::MemberRecord& member,
                        const PartnerFunding& funding, int64_t redeemed,
                        int64_t earned, loyalty::v1::JournalEntry* entry);

// UpsertPartner on the writer thread; returns a serialized
// UpsertPartnerResponse.
absl::StatusOr<std::string> DecideUpsertPartner(
    const loyalty::v1::UpsertPartnerRequest& request,
    ledger::Transaction& transaction);

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_PARTNERS_H_
