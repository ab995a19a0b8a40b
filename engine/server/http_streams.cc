// The three streams over HTTP, as JSON lines (http_api.h): ExportLedger,
// one line per page of entries read from one snapshot; RunExpiry, one line
// per page of the maintenance run's figures; SimulateRules, one line per
// page of the replay, the last with the report.
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
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

// A long run's figures (a maintenance run's, a simulation's), written as
// they come: the newest figures whenever the last line is written, so a
// slow client never holds the run back (it runs on a thread of its own,
// maintenance_runs.h, simulation_runs.h).
template <typename Response>
class ProgressLines {
 public:
  void Progress(const Response& figures) {
    absl::MutexLock lock(&mu_);
    waiting_ = figures;
  }
  void End(absl::Status status) {
    absl::MutexLock lock(&mu_);
    ended_ = true;
    status_ = std::move(status);
  }

  // Waits for the first figures or the end of the run: the run's status
  // when it ended without any (a refusal the door answers as such, with
  // its HTTP status), else OK.
  absl::Status RefusalBeforeFirstLine() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &ProgressLines::HasNews));
    if (waiting_.has_value() || status_.ok()) return absl::OkStatus();
    reported_ = true;
    return status_;
  }

  // Waits for the next figures or the end of the run.
  bool WriteNext(httplib::DataSink& sink) {
    std::string line;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &ProgressLines::HasNews));
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
  std::optional<Response> waiting_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool reported_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

// How a long run starts (MaintenanceRuns::Start, SimulationRuns::Start):
// with the admitted call, where its figures and its end go, and the stop a
// client that goes away sets; a refusal at once, or OK.
template <typename Response>
using StartRun = absl::FunctionRef<absl::Status(
    Admission& call, std::function<void(const Response&)> progress,
    std::function<void(absl::Status)> end,
    std::shared_ptr<std::atomic<bool>> stop)>;

// A long run over HTTP (RunExpiry, SimulateRules): admitted by the path,
// started by `start`, its figures written as JSON lines as they come. A
// refusal at the door or at the start is an ordinary error answer, as for
// any call; so is one the run itself finds before its first figures (a bad
// file or period of a simulation) when `refuse_before_first_line`.
template <typename Request>
void ServeRun(const CallPath& path, const CallOrigin& origin,
              const absl::StatusOr<Request>& request,
              bool refuse_before_first_line,
              StartRun<ResponseOf<Request>> start,
              httplib::Response& response) {
  Admission call = path.Admit(origin, request);
  if (!call.refusal.ok()) {
    call.log.Failure(call.refusal);
    WriteError(call.refusal, response);
    return;
  }
  auto lines = std::make_shared<ProgressLines<ResponseOf<Request>>>();
  // Set when the client goes away (or the answer is over): a run that
  // reads it ends at its next page.
  auto stop = std::make_shared<std::atomic<bool>>(false);
  absl::Status refused = start(
      call,
      [lines](const ResponseOf<Request>& figures) { lines->Progress(figures); },
      [lines](absl::Status status) { lines->End(std::move(status)); }, stop);
  if (refused.ok() && refuse_before_first_line) {
    refused = lines->RefusalBeforeFirstLine();
  }
  if (!refused.ok()) {
    WriteError(refused, response);
    return;
  }
  response.set_chunked_content_provider(
      kJsonLines,
      [lines](size_t, httplib::DataSink& sink) {
        return lines->WriteNext(sink);
      },
      [stop](bool) { *stop = true; });
}

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
  ServeRun<v1::RunExpiryRequest>(
      *parts_.path, HttpOrigin(http, parts_.call_timeout), request, false,
      [&](Admission& call, auto progress, auto end, auto) {
        return parts_.runs->Start(*request, std::move(call.log),
                                  std::move(progress), std::move(end));
      },
      response);
}

template <>
void HttpApi::ServeStream<v1::SimulateRulesRequest>(
    const httplib::Request& http, const PathParams& params,
    httplib::Response& response) {
  const absl::StatusOr<v1::SimulateRulesRequest> request =
      ReadHttp<v1::SimulateRulesRequest>(http, params);
  ServeRun<v1::SimulateRulesRequest>(
      *parts_.path, HttpOrigin(http, parts_.call_timeout), request, true,
      [&](Admission& call, auto progress, auto end, auto stop) {
        return parts_.simulations->Start(*request, std::move(call.partner_id),
                                         std::move(call.log), std::move(stop),
                                         std::move(progress), std::move(end));
      },
      response);
}

}  // namespace loyalty::server
