#include "engine/server/export_admission.h"

#include <string>
#include <utility>

#include "engine/base/time_util.h"
#include "engine/server/handlers.h"

namespace loyalty::server {
namespace {

std::string FormatUtc(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<AdmittedExport> AdmitExport(
    const CallPath& path, ledger::Ledger* ledger, ReaderPool* readers,
    const CallOrigin& origin,
    const absl::StatusOr<v1::ExportLedgerRequest>& request) {
  Admission call = path.Admit(origin, request);
  if (call.refusal.ok()) {
    call.refusal =
        CheckTimeRange(request->from_time(), request->to_time(),
                       request->has_from_time(), request->has_to_time());
  }
  if (!call.refusal.ok()) {
    call.log.Failure(call.refusal);
    return call.refusal;
  }
  ledger::EntryFilter filter;
  if (request->has_from_time())
    filter.from_time = FromTimestamp(request->from_time());
  if (request->has_to_time())
    filter.to_time = FromTimestamp(request->to_time());
  filter.member_id = request->member_id();
  filter.partner_id = call.partner_id;
  // Who exported which period; a member filter is said, not named.
  call.log.Event(
      LogLevel::kInfo, "export_started",
      {{"from_time",
        request->has_from_time() ? FormatUtc(*filter.from_time) : ""},
       {"to_time", request->has_to_time() ? FormatUtc(*filter.to_time) : ""},
       {"partner_id", filter.partner_id},
       {"one_member", filter.member_id.empty() ? 0 : 1}});
  absl::StatusOr<ReaderPool::Slot> slot = readers->Take();
  if (!slot.ok()) {
    call.log.Failure(slot.status());
    return slot.status();
  }
  return AdmittedExport{std::move(call.log),
                        ledger->NewEntryReader(std::move(filter)),
                        *std::move(slot)};
}

}  // namespace loyalty::server
