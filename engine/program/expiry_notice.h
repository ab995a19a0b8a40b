// Expiry notices: the maintenance run's word that a member's points expire
// soon, so that a CRM can say "100 of your points expire on 1 March".
//
// The notice window runs from the run's time to the end of the day
// `days` days after today (program time zone): a lot expiring at 00:00 at
// the end of that last day is in, one a second later is not. Available
// lots only (pending points are announced once released, at a later run).
//
// For each member with lots in the window that no notice has announced,
// the run writes ONE entry of kind EXPIRY_NOTICE: no postings (it moves
// nothing), the member id, and the announced points by expiry time
// (JournalEntry.expiring), no personal data. It marks the lots it announced
// (PointLot.notice_sequence) in the same write, so a second run the same day
// writes nothing, and a later one announces only the lots that have come
// into the window since: each lot is announced once.
#ifndef LOYALTY_ENGINE_PROGRAM_EXPIRY_NOTICE_H_
#define LOYALTY_ENGINE_PROGRAM_EXPIRY_NOTICE_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/evaluator/evaluator.h"
#include "engine/ledger/transaction.h"
#include "loyalty/v1/storage.pb.h"

namespace loyalty::program {

// The window when neither the run nor the rule set names one (the days of
// GetBalance's points_expiring_30_days), and the longest allowed.
inline constexpr int64_t kDefaultExpiryNoticeDays = 30;
inline constexpr int64_t kMaxExpiryNoticeDays = 365;

// The window's days for a run: `requested` (the run's own), else the rule
// set's points.expiry_notice_days, else the default. 0: no notices.
int64_t ExpiryNoticeDays(const evaluator::CompiledRules& rules,
                         std::optional<int64_t> requested);

// The window's end for a run at `now`: the start of the day `days` + 1
// days after now's day, in the program time zone.
absl::Time ExpiryNoticeEnd(const evaluator::CompiledRules& rules,
                           absl::Time now, int64_t days);

// True when the member has available lots in the window that no notice
// has announced (a cheap test on a record read outside the writer).
bool ExpiryNoticeDue(const loyalty::v1::MemberRecord& member, absl::Time now,
                     absl::Time end);

struct NoticeFigures {
  int64_t points_expiring = 0;
  bool written = false;  // an EXPIRY_NOTICE entry was appended
};

// Appends the member's EXPIRY_NOTICE for the window ending at `end`, if
// any lot is due one, and marks the lots it announced.
absl::StatusOr<NoticeFigures> RunExpiryNotice(ledger::Transaction& transaction,
                                              absl::string_view member_id,
                                              absl::Time end);

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_EXPIRY_NOTICE_H_
