// The journal entry of a committed purchase: its postings follow the chart
// of accounts in engine/ledger/accounts.h. Burning comes before earning, so
// the ledger itself refuses to let points earned on an order pay for it.
#ifndef LOYALTY_ENGINE_PROGRAM_PURCHASE_ENTRY_H_
#define LOYALTY_ENGINE_PROGRAM_PURCHASE_ENTRY_H_

#include <optional>

#include "absl/time/time.h"
#include "loyalty/v1/types.pb.h"

namespace loyalty::program {

// The dates of the lot the earned points make: with a release time they
// are pending until then; with an expiry time they expire then.
struct LotDates {
  std::optional<absl::Time> release;
  std::optional<absl::Time> expiry;
};

loyalty::v1::JournalEntry PurchaseEntry(
    const loyalty::v1::Purchase& purchase,
    const loyalty::v1::PricedPurchase& priced, absl::Time purchase_time,
    const LotDates& earned);

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_PURCHASE_ENTRY_H_
