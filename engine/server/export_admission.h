// An export's admission, the same for every door (the gRPC stream in
// audit_service.cc, the JSON-lines stream in http_streams.cc): the call
// path's steps 1-4, the export's own check of its period, the filter it
// reads with, the `export_started` line and a reader slot
// (reader_pool.h) held for as long as the export streams.
#ifndef LOYALTY_ENGINE_SERVER_EXPORT_ADMISSION_H_
#define LOYALTY_ENGINE_SERVER_EXPORT_ADMISSION_H_

#include <memory>

#include "absl/status/statusor.h"
#include "engine/ledger/ledger.h"
#include "engine/server/call_path.h"
#include "engine/server/reader_pool.h"

namespace loyalty::server {

// Entries per ExportLedger message.
inline constexpr int kExportPageEntries = 256;

struct AdmittedExport {
  CallLog log;
  // Reads the entries from one snapshot, confined to the call's partner.
  std::unique_ptr<ledger::EntryReader> reader;
  ReaderPool::Slot slot;
};

// The admitted export, or why it is refused (already logged).
absl::StatusOr<AdmittedExport> AdmitExport(
    const CallPath& path, ledger::Ledger* ledger, ReaderPool* readers,
    const CallOrigin& origin,
    const absl::StatusOr<v1::ExportLedgerRequest>& request);

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_EXPORT_ADMISSION_H_
