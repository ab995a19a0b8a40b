// RunExpiry: the maintenance run over every member (upkeep.h).
//
// Members are read a page at a time in id order; those with something due
// are handed to the ledger in chunks, one operation per chunk, and the run
// waits for a page's chunks before it reads the next page. Each chunk's
// operation decides every member of it on the writer thread against the
// member's latest record, so a run and the sales that go on meanwhile never
// step on each other, and a member with nothing due any more is left alone.
// After a member's upkeep comes its expiry notice (expiry_notice.h), in the
// same chunk.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "engine/base/clock.h"
#include "engine/base/error.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"
#include "engine/program/expiry_notice.h"
#include "engine/program/operations.h"
#include "engine/program/submit.h"
#include "engine/program/upkeep.h"

namespace loyalty::program {
namespace {

constexpr int kPageMembers = 1000;
constexpr int kChunkMembers = 64;
constexpr size_t kMaxRunIdBytes = 96;  // leaves room for "/<chunk>"

void AddFigures(const loyalty::v1::RunExpiryResponse& part,
                loyalty::v1::RunExpiryResponse* total) {
  total->set_members_changed(total->members_changed() + part.members_changed());
  total->set_points_released(total->points_released() + part.points_released());
  total->set_points_expired(total->points_expired() + part.points_expired());
  total->set_birthday_points(total->birthday_points() + part.birthday_points());
  total->set_tiers_lowered(total->tiers_lowered() + part.tiers_lowered());
  total->set_expiry_notices(total->expiry_notices() + part.expiry_notices());
  total->set_points_expiring(total->points_expiring() + part.points_expiring());
}

// One member's upkeep and notice in the figures of a run.
loyalty::v1::RunExpiryResponse FiguresOf(const UpkeepFigures& done,
                                         const NoticeFigures& notice) {
  loyalty::v1::RunExpiryResponse figures;
  figures.set_expiry_notices(notice.written ? 1 : 0);
  figures.set_points_expiring(notice.points_expiring);
  figures.set_members_changed(done.written ? 1 : 0);
  figures.set_points_released(done.points_released);
  figures.set_points_expired(done.points_expired);
  figures.set_birthday_points(done.birthday_points);
  figures.set_tiers_lowered(done.tier_lowered ? 1 : 0);
  return figures;
}

// The id under which the run's chunks are written: the caller's request id
// (or "expiry") and the time the run starts (read from `clock`). Every chunk's
// write is a new request: the run is idempotent by nature (what was done is no
// longer due), not by request id.
absl::StatusOr<std::string> RunIdOf(
    const loyalty::v1::RunExpiryRequest& request, Clock& clock) {
  if (request.request_id().size() > kMaxRunIdBytes) {
    return InvalidArgument("INVALID_REQUEST_ID", "request_id",
                           absl::StrCat("at most ", kMaxRunIdBytes, " bytes"));
  }
  return absl::StrCat(
      request.request_id().empty() ? "expiry" : request.request_id(), "@",
      absl::FormatTime("%Y%m%dT%H%M%E6S", clock.Now(), absl::UTCTimeZone()));
}

// The run's own notice window, when it names one, is 0..365 days.
absl::Status CheckNoticeDays(const loyalty::v1::RunExpiryRequest& request) {
  if (!request.has_expiry_notice_days()) return absl::OkStatus();
  const int32_t days = request.expiry_notice_days();
  if (days >= 0 && days <= kMaxExpiryNoticeDays) return absl::OkStatus();
  return InvalidArgument(
      "INVALID_EXPIRY_NOTICE_DAYS", "expiry_notice_days",
      absl::StrCat("must be 0 (no notices) to ", kMaxExpiryNoticeDays,
                   " days, got ", days));
}

// The members of one page with upkeep due, and how many the page held (0:
// the scan is over).
struct Page {
  std::vector<std::string> due;
  int64_t scanned = 0;
};

// The notice window's days a run asked for (unset: the rule set's).
using NoticeDays = std::optional<int64_t>;

NoticeDays NoticeDaysOf(const loyalty::v1::RunExpiryRequest& request) {
  if (!request.has_expiry_notice_days()) return std::nullopt;
  return request.expiry_notice_days();
}

// The end of the notice window of a run at `now`; nullopt: no notices.
std::optional<absl::Time> NoticeEnd(const evaluator::CompiledRules& rules,
                                    absl::Time now, NoticeDays notice_days) {
  const int64_t days = ExpiryNoticeDays(rules, notice_days);
  if (days <= 0) return std::nullopt;
  return ExpiryNoticeEnd(rules, now, days);
}

// Reads the page of members after `*after`, and moves `*after` past it.
absl::StatusOr<Page> ReadPage(const ledger::Ledger& ledger,
                              const RuleBook& book, Clock& clock,
                              NoticeDays notice_days, std::string* after) {
  ASSIGN_OR_RETURN(std::vector<loyalty::v1::MemberRecord> members,
                   ledger.ReadMembers(*after, kPageMembers));
  Page page;
  if (members.empty()) return page;
  *after = members.back().profile().member_id();
  const absl::Time now = clock.Now();
  const std::shared_ptr<const evaluator::CompiledRules> rules =
      book.ActiveAt(now);
  const std::optional<absl::Time> notice_end =
      NoticeEnd(*rules, now, notice_days);
  for (const loyalty::v1::MemberRecord& member : members) {
    if (UpkeepDue(*rules, member, now) ||
        (notice_end && ExpiryNoticeDue(member, now, *notice_end)))
      page.due.push_back(member.profile().member_id());
  }
  page.scanned = static_cast<int64_t>(members.size());
  return page;
}

// A chunk's decision, on the writer thread: the upkeep of each of
// `members` against its latest record (nothing, for one with nothing due
// any more). Returns a serialized RunExpiryResponse of its figures.
absl::StatusOr<std::string> DecideChunk(const RuleBook& book,
                                        const std::vector<std::string>& members,
                                        NoticeDays notice_days,
                                        ledger::Transaction& transaction) {
  const evaluator::CompiledRules& active = *book.ActiveAt(transaction.now());
  const std::optional<absl::Time> notice_end =
      NoticeEnd(active, transaction.now(), notice_days);
  loyalty::v1::RunExpiryResponse figures;
  for (const std::string& id : members) {
    ASSIGN_OR_RETURN(UpkeepFigures done, RunUpkeep(active, transaction, id));
    NoticeFigures notice;
    if (notice_end) {
      ASSIGN_OR_RETURN(notice, RunExpiryNotice(transaction, id, *notice_end));
    }
    AddFigures(FiguresOf(done, notice), &figures);
  }
  return figures.SerializeAsString();
}

// Hands `due` to the ledger in chunks (numbered on from `*chunk_number`)
// and waits until every chunk is answered: their figures summed, or the
// first failure.
absl::StatusOr<loyalty::v1::RunExpiryResponse> UpkeepMembers(
    ledger::Ledger* ledger, const RuleBook& book,
    const std::vector<std::string>& due, const std::string& run_id,
    NoticeDays notice_days, int64_t* chunk_number) {
  const int chunks =
      static_cast<int>((due.size() + kChunkMembers - 1) / kChunkMembers);
  absl::BlockingCounter finished(chunks);
  absl::Mutex mu;
  absl::Status failure;
  loyalty::v1::RunExpiryResponse figures;
  for (int c = 0; c < chunks; ++c) {
    std::vector<std::string> members(
        due.begin() + c * kChunkMembers,
        due.begin() + std::min<size_t>(due.size(), (c + 1) * kChunkMembers));
    const std::string request_id = absl::StrCat(run_id, "/", ++*chunk_number);
    internal::SubmitToLedger<loyalty::v1::RunExpiryResponse>(
        ledger, request_id, Sha256Pair("RunExpiry", request_id),
        [&book, notice_days,
         members = std::move(members)](ledger::Transaction& t) {
          return DecideChunk(book, members, notice_days, t);
        },
        [&](absl::StatusOr<loyalty::v1::RunExpiryResponse> answer) {
          {
            absl::MutexLock lock(&mu);
            if (answer.ok()) {
              AddFigures(*answer, &figures);
            } else if (failure.ok()) {
              failure = answer.status();
            }
          }
          finished.DecrementCount();
        });
  }
  finished.Wait();
  RETURN_IF_ERROR(failure);
  return figures;
}

}  // namespace

absl::StatusOr<loyalty::v1::RunExpiryResponse> Operations::RunExpiry(
    const loyalty::v1::RunExpiryRequest& request,
    absl::FunctionRef<void(const loyalty::v1::RunExpiryResponse&)> progress,
    const std::atomic<bool>* stop) {
  RETURN_IF_ERROR(CheckNoticeDays(request));
  ASSIGN_OR_RETURN(const std::string run_id, RunIdOf(request, *clock_));
  loyalty::v1::RunExpiryResponse total;
  total.set_members_total(ledger_->Head().member_count());
  std::string after;
  int64_t chunk_number = 0;
  while (true) {
    if (stop != nullptr && stop->load()) {
      return absl::CancelledError("the maintenance run was stopped");
    }
    ASSIGN_OR_RETURN(Page page, ReadPage(*ledger_, book_, *clock_,
                                         NoticeDaysOf(request), &after));
    if (page.scanned == 0) break;
    total.set_members_scanned(total.members_scanned() + page.scanned);
    ASSIGN_OR_RETURN(loyalty::v1::RunExpiryResponse figures,
                     UpkeepMembers(ledger_, book_, page.due, run_id,
                                   NoticeDaysOf(request), &chunk_number));
    AddFigures(figures, &total);
    progress(total);
  }
  total.set_done(true);
  progress(total);
  return total;
}

}  // namespace loyalty::program
