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
  // "loyalty-ledger-2" (issue 18, members' data): profiles sealed under
  // per-member keys, the search index, enrollment answers without personal
  // fields (format_members.h).
  static const FormatHistory* const history = new FormatHistory{
      "loyalty-ledger-2",
      {{"loyalty-ledger-1", "loyalty-ledger-2", SealMemberProfiles}},
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
