// checkout import FILE: back-dated sales from a file of JSON lines, sent in
// batches through Checkout.CommitPurchases. The file is read twice: once to
// check every line (nothing is sent when one is bad), once to send. Each
// line carries its own request_id, so running the import again records
// nothing twice: what was recorded is answered from its records ("already
// recorded").
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "args.h"
#include "client.h"
#include "commands.h"
#include "engine/base/limits.h"
#include "google/protobuf/io/coded_stream.h"
#include "loyalty/v1/checkout.grpc.pb.h"
#include "output.h"

namespace loyaltyctl {
namespace {

using loyalty::v1::CommitPurchaseRequest;
using loyalty::v1::PurchaseOutcome;

constexpr int kMaxBadLinesShown = 10;
constexpr int kMaxRefusalsShown = 20;
// Sends of a batch whose call or purchases failed for a passing reason
// (UNAVAILABLE, ABORTED, DEADLINE_EXCEEDED), a second apart, then more.
constexpr int kAttempts = 5;

// One sale of the file and the line it came from (1-based).
struct Sale {
  int64_t line = 0;
  CommitPurchaseRequest request;
};

// A line of the file as a sale: a CommitPurchaseRequest in protobuf's JSON
// mapping, with its request_id and its purchase_time.
absl::StatusOr<CommitPurchaseRequest> ParseSale(const std::string& text) {
  CommitPurchaseRequest request;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // a misspelt field is an error
  const auto parsed =
      google::protobuf::util::JsonStringToMessage(text, &request, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a sale in JSON: ", parsed.message().ToString()));
  }
  if (request.request_id().empty()) {
    return absl::InvalidArgumentError(
        "request_id is required: it is what makes a second run record "
        "nothing twice");
  }
  if (!request.purchase().has_purchase_time()) {
    return absl::InvalidArgumentError(
        "purchase.purchase_time is required: without it the sale would be "
        "recorded as sold now");
  }
  return request;
}

// Reads the sales of a file one by one, skipping blank lines.
class SaleReader {
 public:
  explicit SaleReader(const std::string& path) : file_(path) {}
  bool is_open() const { return file_.is_open(); }
  // The next sale, or the line's problem; false at the end of the file.
  bool Next(Sale* sale, absl::Status* problem) {
    std::string text;
    while (std::getline(file_, text)) {
      ++line_;
      if (absl::StripAsciiWhitespace(text).empty()) continue;
      sale->line = line_;
      absl::StatusOr<CommitPurchaseRequest> request = ParseSale(text);
      *problem = request.status();
      if (request.ok()) sale->request = *std::move(request);
      return true;
    }
    return false;
  }

 private:
  std::ifstream file_;
  int64_t line_ = 0;
};

// Pass 1: the number of sales, or every bad line (the first few named).
absl::StatusOr<int64_t> CheckFile(const std::string& path) {
  SaleReader reader(path);
  if (!reader.is_open()) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  }
  int64_t sales = 0;
  int64_t bad = 0;
  std::string problems;
  Sale sale;
  absl::Status problem;
  while (reader.Next(&sale, &problem)) {
    ++sales;
    if (problem.ok()) continue;
    if (++bad <= kMaxBadLinesShown) {
      absl::StrAppend(&problems, "\n  ", path, ":", sale.line, ": ",
                      problem.message());
    }
  }
  if (bad > 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        bad, " bad line", bad == 1 ? "" : "s", " (nothing was sent):", problems,
        bad > kMaxBadLinesShown ? "\n  ..." : ""));
  }
  if (sales == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, " holds no sales"));
  }
  return sales;
}

// A refused purchase, as the summary names it.
struct Refusal {
  int64_t line = 0;
  std::string request_id;
  std::string code;
  std::string reason;
  std::string field;
  std::string message;
};

// What became of the sales sent so far.
struct Tally {
  int64_t sent = 0;
  int64_t committed = 0;
  int64_t already = 0;  // committed by an earlier run (replayed)
  int64_t refused = 0;
  int64_t failed = 0;  // a passing fault, still there after every attempt
  std::map<std::string, int64_t> reasons;
  std::vector<Refusal> refusals;
};

bool IsPassing(int code) {
  return code == grpc::StatusCode::UNAVAILABLE ||
         code == grpc::StatusCode::ABORTED ||
         code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

Refusal RefusalOf(const Sale& sale, const loyalty::v1::RpcStatus& status) {
  loyalty::v1::ErrorDetail detail;
  if (status.details_size() == 1) {
    detail.ParseFromString(status.details(0).value());
  }
  return {sale.line,
          sale.request.request_id(),
          CodeName(static_cast<grpc::StatusCode>(status.code())),
          detail.reason(),
          detail.field(),
          status.message()};
}

void Count(const Sale& sale, const PurchaseOutcome& outcome, Tally* tally) {
  ++tally->sent;
  if (outcome.has_committed()) {
    ++(outcome.replayed() ? tally->already : tally->committed);
    return;
  }
  Refusal refusal = RefusalOf(sale, outcome.refused());
  ++(IsPassing(outcome.refused().code()) ? tally->failed : tally->refused);
  ++tally->reasons[refusal.reason.empty() ? refusal.code : refusal.reason];
  tally->refusals.push_back(std::move(refusal));
}

// Sends one batch, again for the purchases (or the whole call) that met a
// passing fault, and counts what became of each. A call refused for
// another reason (a key, a limit) is returned as it is.
grpc::Status SendBatch(loyalty::v1::Checkout::Stub& stub,
                       const GlobalOptions& global,
                       const std::vector<Sale>& batch, Tally* tally) {
  std::vector<const Sale*> pending;
  for (const Sale& sale : batch) pending.push_back(&sale);
  for (int attempt = 1; !pending.empty(); ++attempt) {
    if (attempt > 1) std::this_thread::sleep_for(std::chrono::seconds(1));
    const bool last = attempt == kAttempts;
    loyalty::v1::CommitPurchasesRequest request;
    for (const Sale* sale : pending) *request.add_purchases() = sale->request;
    loyalty::v1::CommitPurchasesResponse response;
    grpc::ClientContext context;
    PrepareCall(global, &context);
    const grpc::Status status =
        stub.CommitPurchases(&context, request, &response);
    if (!status.ok()) {
      if (IsPassing(status.error_code()) && !last) continue;
      return status;
    }
    std::vector<const Sale*> again;
    for (size_t i = 0; i < pending.size(); ++i) {
      const PurchaseOutcome& outcome = response.outcomes(static_cast<int>(i));
      if (!last && outcome.has_refused() &&
          IsPassing(outcome.refused().code())) {
        again.push_back(pending[i]);
      } else {
        Count(*pending[i], outcome, tally);
      }
    }
    pending = std::move(again);
  }
  return grpc::Status::OK;
}

// The bytes a sale adds to a CommitPurchasesRequest (its tag and length too).
size_t WireBytes(const CommitPurchaseRequest& request) {
  const size_t bytes = request.ByteSizeLong();
  return 1 + google::protobuf::io::CodedOutputStream::VarintSize64(bytes) +
         bytes;
}

// The progress line, redrawn in place on stderr at most four times a
// second, and only when stderr is a terminal (a log gets no \r noise).
class ImportProgress {
 public:
  explicit ImportProgress(int64_t total)
      : enabled_(isatty(STDERR_FILENO) == 1), total_(total) {}
  void Update(const Tally& tally) {
    const auto now = std::chrono::steady_clock::now();
    if (!enabled_ || now - last_draw_ < std::chrono::milliseconds(250)) return;
    last_draw_ = now;
    std::cerr << "\rsent " << tally.sent << " of " << total_ << " sales ("
              << tally.sent * 100 / total_ << "%)  "
              << std::llround(Rate(tally)) << " sales/s  committed "
              << tally.committed << "  already " << tally.already
              << "  refused " << tally.refused << "\033[K" << std::flush;
    drawn_ = true;
  }
  void Finish() {
    if (drawn_) std::cerr << "\r\033[K" << std::flush;
  }
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start_)
        .count();
  }
  double Rate(const Tally& tally) const {
    return tally.sent / std::max(Seconds(), 1e-3);
  }

 private:
  const bool enabled_;
  const int64_t total_;
  const std::chrono::steady_clock::time_point start_ =
      std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_ = start_;
  bool drawn_ = false;
};

std::string RefusalLine(const Refusal& refusal) {
  return absl::StrCat("line ", refusal.line, " (", refusal.request_id,
                      "): ", refusal.code, ": ", refusal.message);
}

void PrintSummary(const std::string& path, const Tally& tally, int64_t batches,
                  double seconds) {
  std::cout << "imported " << path << ": " << tally.sent << " sales in "
            << batches << " batch" << (batches == 1 ? "" : "es") << ", "
            << absl::StrFormat("%.1f", seconds) << " s\n";
  KeyValues rows = {{"committed", absl::StrCat(tally.committed)},
                    {"already recorded", absl::StrCat(tally.already)},
                    {"refused", absl::StrCat(tally.refused)}};
  if (tally.failed > 0) {
    rows.emplace_back("failed (not recorded)", absl::StrCat(tally.failed));
  }
  for (const auto& [reason, count] : tally.reasons) {
    rows.emplace_back(absl::StrCat("  ", reason), absl::StrCat(count));
  }
  PrintKeyValues(rows);
  if (tally.refusals.empty()) return;
  std::cout << "\n";
  const int64_t shown =
      std::min<int64_t>(tally.refusals.size(), kMaxRefusalsShown);
  for (int64_t i = 0; i < shown; ++i) {
    std::cout << RefusalLine(tally.refusals[i]) << "\n";
  }
  if (tally.refusals.size() > static_cast<size_t>(shown)) {
    std::cout << "... and " << tally.refusals.size() - shown
              << " more (--json lists every one)\n";
  }
}

void PrintSummaryJson(const Tally& tally, int64_t batches) {
  std::cout << "{\"sales\": " << tally.sent << ", \"batches\": " << batches
            << ", \"committed\": " << tally.committed
            << ", \"already_recorded\": " << tally.already
            << ", \"refused\": " << tally.refused
            << ", \"failed\": " << tally.failed << ", \"refusals\": [";
  for (size_t i = 0; i < tally.refusals.size(); ++i) {
    const Refusal& refusal = tally.refusals[i];
    std::cout << (i == 0 ? "" : ", ") << "{\"line\": " << refusal.line
              << ", \"request_id\": " << JsonString(refusal.request_id)
              << ", \"code\": " << JsonString(refusal.code)
              << ", \"reason\": " << JsonString(refusal.reason)
              << ", \"field\": " << JsonString(refusal.field)
              << ", \"message\": " << JsonString(refusal.message) << "}";
  }
  std::cout << "]}\n";
}

// The batch size --batch asks for, 1 to kMaxBatchPurchases.
absl::StatusOr<int> BatchSize(const ParsedFlags& flags) {
  int size = loyalty::kMaxBatchPurchases;
  if (flags.Has("batch") && (!absl::SimpleAtoi(flags.Get("batch"), &size) ||
                             size < 1 || size > loyalty::kMaxBatchPurchases)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--batch must be 1 to ", loyalty::kMaxBatchPurchases,
                     ", got '", flags.Get("batch"), "'"));
  }
  return size;
}

// Pass 2: the sales, in batches of at most `batch_size` purchases and
// kMaxBatchBytes, in the file's order. Returns the exit status.
int SendFile(const Invocation& invocation, int batch_size, int64_t total,
             Tally* tally, int64_t* batches) {
  auto stub = loyalty::v1::Checkout::NewStub(MakeChannel(invocation.global));
  ImportProgress progress(total);
  SaleReader reader(invocation.positional);
  std::vector<Sale> batch;
  size_t bytes = 0;
  Sale sale;
  absl::Status problem;
  bool more = true;
  while (more) {
    more = reader.Next(&sale, &problem);
    if (more && !problem.ok()) {  // the file changed since it was checked
      progress.Finish();
      return PrintStatusError(
          absl::InvalidArgumentError(absl::StrCat(
              invocation.positional, ":", sale.line, ": ", problem.message())),
          invocation.global.json);
    }
    const size_t sale_bytes = more ? WireBytes(sale.request) : 0;
    const bool full = static_cast<int>(batch.size()) == batch_size ||
                      bytes + sale_bytes > loyalty::kMaxBatchBytes;
    if (!batch.empty() && (!more || full)) {
      const grpc::Status status =
          SendBatch(*stub, invocation.global, batch, tally);
      ++*batches;
      progress.Update(*tally);
      if (!status.ok()) {
        progress.Finish();
        std::cerr << "lines " << batch.front().line << "-" << batch.back().line
                  << " were not imported; what was recorded before stays "
                     "recorded, and running the import again is safe\n";
        return PrintRpcError(status, invocation.global.json);
      }
      batch.clear();
      bytes = 0;
    }
    if (more) {
      bytes += sale_bytes;
      batch.push_back(std::move(sale));
    }
  }
  progress.Finish();
  return 0;
}

int RunImport(const Invocation& invocation) {
  const absl::StatusOr<int> batch_size = BatchSize(invocation.flags);
  if (!batch_size.ok()) return UsageError(invocation, batch_size.status());
  const absl::StatusOr<int64_t> total = CheckFile(invocation.positional);
  if (!total.ok()) {
    PrintStatusError(total.status(), invocation.global.json);
    return 2;  // a bad file, like a bad command line: nothing was sent
  }
  Tally tally;
  int64_t batches = 0;
  const auto start = std::chrono::steady_clock::now();
  if (const int failed =
          SendFile(invocation, *batch_size, *total, &tally, &batches);
      failed != 0) {
    return failed;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (invocation.global.json) {
    PrintSummaryJson(tally, batches);
  } else {
    PrintSummary(invocation.positional, tally, batches, seconds);
  }
  return tally.refused + tally.failed == 0 ? 0 : 1;
}

constexpr char kImportDetails[] =
    "FILE holds one sale per line, a CommitPurchaseRequest in protobuf's JSON\n"
    "mapping (field names as in proto/loyalty/v1, snake_case or camelCase);\n"
    "blank lines are skipped. request_id and purchase.purchase_time are\n"
    "required:\n"
    "  {\"request_id\": \"T7-000123\", \"purchase\": {\"member_id\": "
    "\"ann\",\n"
    "   \"order_id\": \"T7-000123\", \"purchase_time\": "
    "\"2026-05-01T10:30:00Z\",\n"
    "   \"currency\": \"EUR\", \"lines\": [{\"sku\": \"coffee\", \"quantity\": "
    "2,\n"
    "   \"unit_price_minor\": 350, \"category\": \"drinks\"}]}}\n"
    "\n"
    "Every line is checked before anything is sent; a bad line is named by\n"
    "its number and nothing is sent. Sales go in the file's order, in\n"
    "batches (Checkout.CommitPurchases) of --batch sales and at most 1 MiB.\n"
    "Each sale is priced at its purchase_time, as 'checkout commit --time'\n"
    "would price it: loyaltyd accepts a time at most --max-backdate (30 days\n"
    "by default) in the past and not before the member enrolled; an older\n"
    "sale is refused (TIME_TOO_OLD), the others go on.\n"
    "\n"
    "Running the same file again is safe: a sale recorded already is counted\n"
    "as 'already recorded' and recorded nothing new; a refusal is answered\n"
    "again. A call that fails for a passing reason (UNAVAILABLE, ABORTED,\n"
    "DEADLINE_EXCEEDED) is sent again, up to 5 times.\n"
    "\n"
    "Exit status: 0 when every sale was committed or already recorded, 1\n"
    "when any was refused or failed (the summary lists them), 2 for a bad\n"
    "command line or file.\n";

}  // namespace

CommandSpec ImportCommand() {
  return {"checkout",
          "import",
          "FILE",
          "A file of JSON lines, one sale each.",
          "Send a file of back-dated sales (an offline till, an e-shop's "
          "orders) in batches; safe to run twice.",
          {{"batch", "N",
            absl::StrCat("Sales per call, 1 to ", loyalty::kMaxBatchPurchases,
                         ". Default: ", loyalty::kMaxBatchPurchases, "."),
            "--batch 100"}},
          "loyaltyctl checkout import till-7-2026-05-01.jsonl",
          RunImport,
          false,
          kImportDetails};
}

}  // namespace loyaltyctl
