// export: streams Audit.ExportLedger into a CSV or JSON-lines file, one page
// at a time, so that memory stays bounded by one page however long the
// ledger is.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "args.h"
#include "client.h"
#include "commands.h"
#include "entry_format.h"
#include "loyalty/v1/audit.grpc.pb.h"
#include "output.h"
#include "progress.h"
#include "time_flags.h"

namespace loyaltyctl {
namespace {

using loyalty::v1::ExportLedgerRequest;
using loyalty::v1::ExportLedgerResponse;

// An export of millions of entries takes minutes, not seconds.
constexpr double kExportDeadlineSeconds = 3600.0;

enum class Format { kCsv, kJsonl };

// --out - : the entries go to standard output, the summary to stderr.
constexpr char kStdout[] = "-";

// "cannot write PATH: No space left on device", with a code that says
// whether trying again may help.
absl::Status ErrnoError(const std::string& what, const std::string& path) {
  const int error = errno;
  const std::string message =
      absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(error));
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

// The export file. It is written as PATH.partial and renamed to PATH only
// once complete and synced, so that a file named PATH is always a whole
// export; a failed export removes its partial file. PATH "-" is standard
// output, written as it comes and flushed at the end.
class ExportFile {
 public:
  static absl::StatusOr<std::unique_ptr<ExportFile>> Create(
      const std::string& path) {
    if (path == kStdout) {
      return std::unique_ptr<ExportFile>(new ExportFile(path, path, stdout));
    }
    const std::string partial_path = absl::StrCat(path, ".partial");
    std::FILE* file = std::fopen(partial_path.c_str(), "wb");
    if (file == nullptr) return ErrnoError("create", partial_path);
    return std::unique_ptr<ExportFile>(
        new ExportFile(path, partial_path, file));
  }
  ExportFile(const ExportFile&) = delete;
  ExportFile& operator=(const ExportFile&) = delete;
  ~ExportFile() {
    if (file_ == nullptr || path_ == kStdout) return;
    std::fclose(file_);
    std::remove(partial_path_.c_str());
  }

  absl::Status Write(const std::string& bytes) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
      return ErrnoError("write", partial_path_);
    }
    return absl::OkStatus();
  }

  // Flushes, syncs and renames PATH.partial to PATH.
  absl::Status Commit() {
    std::FILE* file = std::exchange(file_, nullptr);
    if (path_ == kStdout) {
      if (std::fflush(file) != 0) return ErrnoError("write", "standard output");
      return absl::OkStatus();
    }
    absl::Status status = absl::OkStatus();
    if (std::fflush(file) != 0 || fsync(fileno(file)) != 0) {
      status = ErrnoError("write", partial_path_);
    }
    if (std::fclose(file) != 0 && status.ok()) {
      status = ErrnoError("write", partial_path_);
    }
    if (status.ok() && std::rename(partial_path_.c_str(), path_.c_str()) != 0) {
      status = ErrnoError("rename the export to", path_);
    }
    if (!status.ok()) std::remove(partial_path_.c_str());
    return status;
  }

 private:
  ExportFile(std::string path, std::string partial_path, std::FILE* file)
      : path_(std::move(path)),
        partial_path_(std::move(partial_path)),
        file_(file) {}

  const std::string path_;
  const std::string partial_path_;
  std::FILE* file_;  // owned; null once committed
};

absl::StatusOr<Format> ParseFormat(const std::string& text) {
  if (text == "csv") return Format::kCsv;
  if (text == "jsonl") return Format::kJsonl;
  return absl::InvalidArgumentError(
      absl::StrCat("--format must be csv or jsonl, got '", text, "'"));
}

absl::StatusOr<ExportLedgerRequest> BuildRequest(const ParsedFlags& flags) {
  ExportLedgerRequest request;
  if (flags.Has("from")) {
    absl::StatusOr<google::protobuf::Timestamp> from =
        ParseInstantFlag("from", flags.Get("from"), RangeEnd::kFrom);
    if (!from.ok()) return from.status();
    *request.mutable_from_time() = *from;
  }
  if (flags.Has("to")) {
    absl::StatusOr<google::protobuf::Timestamp> to =
        ParseInstantFlag("to", flags.Get("to"), RangeEnd::kTo);
    if (!to.ok()) return to.status();
    *request.mutable_to_time() = *to;
  }
  if (absl::Status status = CheckRange(request.from_time(), request.to_time(),
                                       flags.Get("from"), flags.Get("to"));
      !status.ok()) {
    return status;
  }
  request.set_member_id(flags.Get("member"));
  request.set_partner_id(flags.Get("partner"));
  return request;
}

absl::Status AppendPage(const ExportLedgerResponse& page, Format format,
                        std::string* out) {
  for (const loyalty::v1::JournalEntry& entry : page.entries()) {
    if (format == Format::kCsv) {
      AppendCsvRows(entry, out);
    } else if (absl::Status status = AppendJsonLine(entry, out); !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

struct ExportOutcome {
  absl::Status local;  // writing the file; wins over `call` when both failed
  grpc::Status call;
  int64_t entries = 0;
  int64_t snapshot_sequence = 0;
};

// Reads the stream page by page into `file`. A local failure (the disk)
// cancels the call.
ExportOutcome StreamInto(const Invocation& invocation,
                         const ExportLedgerRequest& request, Format format,
                         ExportFile* file) {
  grpc::ClientContext context;
  PrepareLongCall(invocation.global, kExportDeadlineSeconds, &context);
  const std::unique_ptr<loyalty::v1::Audit::Stub> stub =
      loyalty::v1::Audit::NewStub(MakeChannel(invocation.global));
  const std::unique_ptr<grpc::ClientReader<ExportLedgerResponse>> reader =
      stub->ExportLedger(&context, request);
  ExportProgress progress;
  ExportOutcome outcome;
  ExportLedgerResponse page;
  std::string bytes;  // one page's worth of the file
  while (outcome.local.ok() && reader->Read(&page)) {
    bytes.clear();
    outcome.local = AppendPage(page, format, &bytes);
    if (outcome.local.ok()) outcome.local = file->Write(bytes);
    outcome.entries += page.entries_size();
    outcome.snapshot_sequence = page.snapshot_sequence();
    const int64_t last_sequence =
        page.entries().empty()
            ? 0
            : page.entries(page.entries_size() - 1).sequence();
    progress.Update(outcome.entries, last_sequence, page.snapshot_sequence());
  }
  if (!outcome.local.ok()) context.TryCancel();
  outcome.call = reader->Finish();
  progress.Finish();
  return outcome;
}

// On stdout, or on stderr when the entries went to stdout.
void PrintSummary(const Invocation& invocation, const ExportOutcome& outcome,
                  double seconds) {
  const std::string path = invocation.flags.Get("out");
  std::ostream& out = path == kStdout ? std::cerr : std::cout;
  if (invocation.global.json) {
    out << "{\"entries\": " << outcome.entries
              << ", \"snapshot_sequence\": " << outcome.snapshot_sequence
              << ", \"file\": " << JsonString(path)
              << ", \"format\": " << JsonString(invocation.flags.Get("format"))
              << ", \"seconds\": " << absl::StrFormat("%.3f", seconds) << "}\n";
    return;
  }
  // The server sends no page at all when no entry matches.
  const std::string snapshot =
      outcome.snapshot_sequence > 0
          ? absl::StrCat(" (snapshot at sequence ", outcome.snapshot_sequence,
                         ")")
          : "";
  out << "exported " << outcome.entries << " entries" << snapshot
            << " to " << (path == kStdout ? "standard output" : path) << " in " << absl::StrFormat("%.1f", seconds)
            << " s\n";
}

int RunExport(const Invocation& invocation) {
  const absl::StatusOr<Format> format =
      ParseFormat(invocation.flags.Get("format"));
  if (!format.ok()) return UsageError(invocation, format.status());
  const absl::StatusOr<ExportLedgerRequest> request =
      BuildRequest(invocation.flags);
  if (!request.ok()) return UsageError(invocation, request.status());
  const bool json = invocation.global.json;

  absl::StatusOr<std::unique_ptr<ExportFile>> file =
      ExportFile::Create(invocation.flags.Get("out"));
  if (!file.ok()) return PrintStatusError(file.status(), json);
  if (*format == Format::kCsv) {
    if (absl::Status status = (*file)->Write(CsvHeader()); !status.ok()) {
      return PrintStatusError(status, json);
    }
  }
  const auto start = std::chrono::steady_clock::now();
  const ExportOutcome outcome =
      StreamInto(invocation, *request, *format, file->get());
  if (!outcome.local.ok()) return PrintStatusError(outcome.local, json);
  if (!outcome.call.ok()) return PrintRpcError(outcome.call, json);
  if (absl::Status status = (*file)->Commit(); !status.ok()) {
    return PrintStatusError(status, json);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  PrintSummary(invocation, outcome, seconds);
  return 0;
}

}  // namespace

std::vector<CommandSpec> ExportCommands() {
  return {
      {"export",
       "",
       "",
       "",
       "Write the ledger's entries (one snapshot) to a CSV or JSON-lines "
       "file.",
       {{"format", "csv|jsonl",
         "csv: one row per posting, for spreadsheets. jsonl: one entry per "
         "line, exactly as stored; the format 'loyaltyctl verify FILE' "
         "checks.",
         "--format jsonl", true},
        {"out", "FILE",
         "File to write (replaced). It is written as FILE.partial and "
         "renamed once complete. '-' writes to standard output (the "
         "summary then goes to stderr).",
         "--out ledger-2024-05.jsonl", true},
        {"from", "DATE|RFC3339",
         "Entries recorded at or after this time; a date means its "
         "midnight UTC. Default: the first entry.",
         "--from 2024-05-01"},
        {"to", "DATE|RFC3339",
         "Entries recorded before this time; a date includes that whole "
         "day (UTC). Default: the newest entry.",
         "--to 2024-05-31"},
        {"member", "ID",
         "Only entries that touch this member (such an export has gaps in "
         "the chain: verify refuses it).",
         "--member card-0042"},
        {"partner", "P", "Only entries of this partner (same caveat).",
         "--partner fuelco"}},
       "loyaltyctl export --from 2024-05-01 --to 2024-05-31 --format jsonl "
       "--out ledger-2024-05.jsonl",
       RunExport},
  };
}

}  // namespace loyaltyctl
