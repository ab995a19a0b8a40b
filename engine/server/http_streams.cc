// The two streams over HTTP, as JSON lines (http_api.h): ExportLedger, one
// line per page of entries read from one snapshot, and RunExpiry, one line
// per page of the maintenance run's figures.
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "engine/base/error.h"
#include "engine/server/export_admission.h"
#include "engine/server/http_api.h"

namespace loyalty::server {
namespace {

constexpr char kJsonLines[] = "application/x-ndjson";

// An admitted export, written a page per line as the client reads them, on
// the door's thread, under the export's reader slot.
class ExportLines {
 public:
  ExportLines(AdmittedExport admitted, const std::atomic<bool>* stopping)
      : export_(std::move(admitted)), stopping_(stopping) {}

  // The next line, or the end; false when the client went away.
  bool WriteNext(httplib::DataSink& sink) {
    if (ended_) {
      sink.done();
      return true;
    }
    const std::optional<std::string> line = NextLine();
    if (!line.has_value()) {
      sink.done();
      return true;
    }
    return sink.write(line->data(), line->size());
  }

 private:
  std::optional<std::string> NextLine() {
    if (stopping_->load()) {
      ended_ = true;
      return ErrorLine(
          MakeError(absl::StatusCode::kUnavailable, "SERVER_STOPPING", "",
                    "the server is stopping; export again once it is back"));
    }
    auto page = export_.reader->Next(kExportPageEntries);
    if (!page.ok()) {
      export_.log.Failure(page.status());
      ended_ = true;
      return ErrorLine(page.status());
    }
    // An export with no matching entry still sends one (empty) page, so the
    // client learns the snapshot's sequence.
    if (page->empty() && wrote_a_page_) return std::nullopt;
    wrote_a_page_ = true;
    v1::ExportLedgerResponse response;
    response.set_snapshot_sequence(export_.reader->snapshot_sequence());
    for (auto& entry : *page) *response.add_entries() = std::move(entry);
    return JsonLine(response);
  }

  AdmittedExport export_;
  const std::atomic<bool>* const stopping_;
  bool wrote_a_page_ = false;
  bool ended_ = false;
};

// A maintenance run's figures, written as they come: the newest figures
// whenever the last line is written, so a slow client never holds the run
// back (it runs on its own thread, maintenance_runs.h).
class RunLines {
 public:
  void Progress(const v1::RunExpiryResponse& figures) {
    absl::MutexLock lock(&mu_);
    waiting_ = figures;
  }
  void End(absl::Status status) {
    absl::MutexLock lock(&mu_);
    ended_ = true;
    status_ = std::move(status);
  }

  // Waits for the next figures or the end of the run.
  bool WriteNext(httplib::DataSink& sink) {
    std::string line;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &RunLines::HasNews));
      if (waiting_.has_value()) {
        line = JsonLine(*waiting_);
        waiting_.reset();
      } else if (!status_.ok() && !reported_) {
        line = ErrorLine(status_);
        reported_ = true;
      }
    }
    if (line.empty()) {
      sink.done();
      return true;
    }
    return sink.write(line.data(), line.size());
  }

 private:
  bool HasNews() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return waiting_.has_value() || ended_;
  }

  absl::Mutex mu_;
  std::optional<v1::RunExpiryResponse> waiting_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool reported_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

template <>
void HttpApi::ServeStream<v1::ExportLedgerRequest>(
    const httplib::Request& http, const PathParams& params,
    httplib::Response& response) {
  absl::StatusOr<AdmittedExport> admitted =
      AdmitExport(*parts_.path, parts_.ledger, parts_.readers,
                  HttpOrigin(http, parts_.call_timeout),
                  ReadHttp<v1::ExportLedgerRequest>(http, params));
  if (!admitted.ok()) {
    WriteError(admitted.status(), response);
    return;
  }
  auto lines = std::make_shared<ExportLines>(*std::move(admitted), &stopping_);
  response.set_chunked_content_provider(
      kJsonLines, [lines](size_t, httplib::DataSink& sink) {
        return lines->WriteNext(sink);
      });
}

template <>
void HttpApi::ServeStream<v1::RunExpiryRequest>(const httplib::Request& http,
                                                const PathParams& params,
                                                httplib::Response& response) {
  const absl::StatusOr<v1::RunExpiryRequest> request =
      ReadHttp<v1::RunExpiryRequest>(http, params);
  Admission call =
      parts_.path->Admit(HttpOrigin(http, parts_.call_timeout), request);
  if (!call.refusal.ok()) {
    call.log.Failure(call.refusal);
    WriteError(call.refusal, response);
    return;
  }
  auto lines = std::make_shared<RunLines>();
  const absl::Status started = parts_.runs->Start(
      *request, std::move(call.log),
      [lines](const v1::RunExpiryResponse& figures) {
        lines->Progress(figures);
      },
      [lines](absl::Status status) { lines->End(std::move(status)); });
  if (!started.ok()) {
    WriteError(started, response);
    return;
  }
  response.set_chunked_content_provider(
      kJsonLines, [lines](size_t, httplib::DataSink& sink) {
        return lines->WriteNext(sink);
      });
}

}  // namespace loyalty::server
