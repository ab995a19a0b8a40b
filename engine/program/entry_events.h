// Entry events: a committed journal entry as the typed events a CRM or a
// data warehouse reacts to (loyalty.v1.Event), so that no consumer needs to
// know the chart of accounts (engine/ledger/accounts.h) or read postings.
//
//   entry kind  events, in index order
//   ENROLL      MEMBER_ENROLLED
//   PURCHASE    PURCHASE_COMMITTED; TIER_CHANGED (reason "purchase") when
//               the sale crossed a threshold; REFERRAL_REWARDED when it was
//               a newcomer's qualifying purchase (member_id: the referrer)
//   REFUND      REFUND; REFERRAL_REVERSED when it took back a referral
//   REWARD      REWARD_REDEEMED
//   ADJUSTMENT  ADJUSTMENT_MADE (reason: the reason code)
//   UPKEEP      POINTS_RELEASED, POINTS_EXPIRED, BIRTHDAY_GIFT, each when
//               it moved points; TIER_CHANGED (reason "review") when the
//               review changed the tier
//   EXPIRY_NOTICE  POINTS_EXPIRING (points_expiring, and `expiring` by
//               expiry time; nothing moves)
//   FEEDBACK    none (survey answers are read through metrics)
//
// Amounts are read from the entry's postings on the member's own accounts.
// Pure and thread-safe.
#ifndef LOYALTY_ENGINE_PROGRAM_ENTRY_EVENTS_H_
#define LOYALTY_ENGINE_PROGRAM_ENTRY_EVENTS_H_

#include <string>
#include <vector>

#include "loyalty/v1/events.pb.h"
#include "loyalty/v1/types.pb.h"

namespace loyalty::program {

// The rule set's tier ids, lowest first: which way a tier change went. A
// tier not on it gives TIER_DIRECTION_UNSPECIFIED; "" (no tier) is below
// every level.
using TierLadder = std::vector<std::string>;

// The events of `entry`, in index order (index 0, 1, ...).
std::vector<loyalty::v1::Event> EventsOfEntry(
    const loyalty::v1::JournalEntry& entry, const TierLadder& ladder);

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_ENTRY_EVENTS_H_
