#include "engine/ledger/format.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/base/status_macros.h"
#include "engine/ledger/format_members.h"
#include "engine/ledger/rocksdb_options.h"

namespace loyalty::ledger {

const FormatHistory& LedgerFormats() {
  // "loyalty-ledger-1": the shapes of proto/loyalty/v1/storage.proto as of
  // the fixture tests/fixtures/ledger-1. Add a format with its step below.
  static const FormatHistory* const history = new FormatHistory{
      "loyalty-ledger-5",
      {
          // A sale's idempotency record keeps its answer without the priced
          // purchase (IdempotencyRecord.kept; the order record holds it).
          // Records of the format before keep the whole answer in
          // `response` and are read as they are: nothing to rewrite. The
          // key moves so that an older loyaltyd, which would answer a retry
          // with an empty response, refuses this ledger.
          {"loyalty-ledger-1", "loyalty-ledger-2",
           [](rocksdb::DB&, const std::function<void(absl::string_view)>&) {
             return absl::OkStatus();
           }},
          // Members' personal fields sealed under a per-member key in
          // records of their own, the search index built, enrollment
          // answers stored without personal fields (format_members.cc).
          {"loyalty-ledger-2", "loyalty-ledger-3", SealMemberProfiles},
          // A sale's records without what they repeat: the order record
          // without the ids its key holds, the priced currency and the
          // qualifying spend when they are the purchase's currency and the
          // total due (OrderRecord.left_out); the kept answer without the
          // member's id (the request holds it); the member's month record
          // without the counts that are its total
          // (MemberMonth.every_purchase_groups). Records of the formats
          // before are read as they are: nothing to rewrite. The key moves
          // so that an older loyaltyd, which would read the fields left out
          // as empty, refuses this ledger.
          {"loyalty-ledger-3", "loyalty-ledger-4",
           [](rocksdb::DB&, const std::function<void(absl::string_view)>&) {
             return absl::OkStatus();
           }},
          // Expiry notices: journal entries of kind EXPIRY_NOTICE
          // (JournalEntry.expiring) and the lots they announced
          // (PointLot.notice_sequence). Added fields only: records of the
          // formats before read as "nothing announced yet", so nothing to
          // rewrite. The key moves so that an older loyaltyd, which knows
          // no such entry and would announce every lot again, refuses this
          // ledger.
          {"loyalty-ledger-4", "loyalty-ledger-5",
           [](rocksdb::DB&, const std::function<void(absl::string_view)>&) {
             return absl::OkStatus();
           }},
      },
  };
  return *history;
}

absl::Status BringFormatUpToDate(
    rocksdb::DB& db, const FormatHistory& history, const std::string& stored,
    const std::function<void(absl::string_view)>& progress) {
  if (stored == history.current) return absl::OkStatus();
  auto step =
      std::find_if(history.steps.begin(), history.steps.end(),
                   [&](const FormatStep& s) { return s.from == stored; });
  if (step == history.steps.end()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "unknown ledger format '", stored.substr(0, 64),
        "' (this loyaltyd reads '", history.current,
        "' and older formats; a newer loyaltyd may have written it)"));
  }
  for (; step != history.steps.end(); ++step) {
    const auto say = [&](absl::string_view line) {
      if (progress) progress(line);
    };
    say(absl::StrCat("ledger format ", step->from, " -> ", step->to));
    RETURN_IF_ERROR(step->migrate(db, say));
    rocksdb::WriteBatch batch(0, 0, kProtectionBytesPerKey, 0);
    batch.Put(kFormatKey, step->to);
    const rocksdb::Status moved = db.Write(DurableWriteOptions(), &batch);
    if (!moved.ok()) {
      return absl::UnavailableError(absl::StrCat(
          "move the ledger format to ", step->to, ": ", moved.ToString()));
    }
  }
  return absl::OkStatus();
}

}  // namespace loyalty::ledger
