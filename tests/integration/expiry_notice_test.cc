// Expiry notices on a real ledger over gRPC: the maintenance run
// (Program.RunExpiry) announces the points that expire within the notice
// window as EXPIRY_NOTICE entries, read by Events.WatchEvents as
// points_expiring events. A hand-worked case in a program time zone that is
// not UTC, with lots expiring at the run's time, on the window's first and
// last day, at the window's closing midnight, a second after it, and at
// midnight UTC (outside: the window closes at midnight in Berlin); a second
// run the same day announces nothing; the notices move nothing, verify, and
// match the events one for one.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "engine/base/clock.h"
#include "engine/base/time_util.h"
#include "gtest/gtest.h"
#include "loyalty/v1/events.grpc.pb.h"
#include "tests/support/served_ledger.h"

namespace loyalty {
namespace {

using v1::Event;

constexpr absl::Duration kDay = absl::Hours(24);

absl::Time Utc(int month, int day, int hour, int minute, int second) {
  return absl::FromCivil(
      absl::CivilSecond(2026, month, day, hour, minute, second),
      absl::UTCTimeZone());
}

// The first run: 2026-03-01 10:00 UTC, 11:00 in Berlin (UTC+1 in March
// before the 29th). With a 10-day window it announces what expires up to
// the start of 12 March in Berlin: 2026-03-11 23:00 UTC.
const absl::Time kRun = Utc(3, 1, 10, 0, 0);
const absl::Time kWindowEnd = Utc(3, 11, 23, 0, 0);
// The next day's run, 00:30 on 2 March in Berlin: the window now ends at
// 2026-03-12 23:00 UTC.
const absl::Time kNextDayRun = Utc(3, 1, 23, 30, 0);

// 1 point per 1.00 EUR, lots live 40 days, notices 10 days ahead, Berlin.
std::string NoticeRules() {
  return "program:\n  id: test\n  currency: EUR\n  point_value_minor: 1\n"
         "  time_zone: Europe/Berlin\n"
         "earn:\n  points: 1\n  per_minor: 100\n  rounding: down\n"
         "burn:\n  max_basket_share_percent: 50\n"
         "  earned_points_pay_same_order: false\n"
         "points:\n  lifetime_days: 40\n  expiry_notice_days: 10\n";
}

std::chrono::system_clock::time_point In(int seconds) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

std::string At(absl::Time time) {
  return absl::FormatTime(absl::RFC3339_full, time, absl::UTCTimeZone());
}

// An event's announcement: "ann 60: 20@<time> 40@<time>".
std::string Announced(
    const google::protobuf::RepeatedPtrField<v1::ExpiringPoints>& expiring,
    const std::string& member, int64_t total) {
  std::string said = absl::StrCat(member, " ", total, ":");
  for (const v1::ExpiringPoints& points : expiring) {
    absl::StrAppend(&said, " ", points.points(), "@",
                    At(FromTimestamp(points.expire_time())));
  }
  return said;
}

class ExpiryNoticeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerOptions options = testing::ServedOptions(NoticeRules());
    options.clock = &clock_;
    ASSERT_NO_FATAL_FAILURE(served_.Start(options));
    events_ = v1::Events::NewStub(served_.channel());
  }

  // A sale of `euros` EUR by `member` at `time`: a lot of `euros` points
  // that expires 40 days later.
  void Buy(const std::string& member, int euros, absl::Time time) {
    clock_.Set(time);
    grpc::ClientContext context;
    context.set_deadline(In(60));
    v1::CommitPurchaseRequest request;
    request.set_request_id(absl::StrCat("buy-", member, "-", euros));
    auto* purchase = request.mutable_purchase();
    purchase->set_member_id(member);
    purchase->set_order_id(absl::StrCat(member, "-", euros));
    purchase->set_currency("EUR");
    auto* line = purchase->add_lines();
    line->set_sku("thing");
    line->set_quantity(1);
    line->set_unit_price_minor(euros * 100);
    v1::CommitPurchaseResponse response;
    const grpc::Status status =
        served_.checkout().CommitPurchase(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // The run's last figures, or its refusal.
  grpc::Status Run(const std::string& id, v1::RunExpiryResponse* figures,
                   std::optional<int> notice_days = std::nullopt) {
    grpc::ClientContext context;
    context.set_deadline(In(60));
    v1::RunExpiryRequest request;
    request.set_request_id(id);
    if (notice_days) request.set_expiry_notice_days(*notice_days);
    auto reader = served_.program().RunExpiry(&context, request);
    v1::RunExpiryResponse message;
    while (reader->Read(&message)) *figures = message;
    return reader->Finish();
  }

  v1::RunExpiryResponse RunAt(absl::Time time, const std::string& id) {
    clock_.Set(time);
    v1::RunExpiryResponse figures;
    const grpc::Status status = Run(id, &figures);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(figures.done());
    return figures;
  }

  std::vector<Event> Watch(v1::WatchEventsRequest request) {
    grpc::ClientContext context;
    context.set_deadline(In(30));
    auto reader = events_->WatchEvents(&context, request);
    std::vector<Event> events;
    v1::WatchEventsResponse message;
    while (reader->Read(&message)) {
      for (const Event& event : message.events()) events.push_back(event);
    }
    const grpc::Status status = reader->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return events;
  }

  std::vector<Event> Notices(const std::string& partner = "") {
    v1::WatchEventsRequest request;
    request.add_kinds(v1::EVENT_KIND_POINTS_EXPIRING);
    request.set_partner_id(partner);
    return Watch(request);
  }

  v1::Balance Balance(const std::string& member) {
    grpc::ClientContext context;
    context.set_deadline(In(30));
    v1::GetBalanceRequest request;
    request.set_member_id(member);
    v1::GetBalanceResponse response;
    EXPECT_TRUE(
        served_.members().GetBalance(&context, request, &response).ok());
    return response.balance();
  }

  std::vector<v1::JournalEntry> Journal() {
    grpc::ClientContext context;
    context.set_deadline(In(60));
    auto reader = served_.audit().ExportLedger(&context, {});
    std::vector<v1::JournalEntry> entries;
    v1::ExportLedgerResponse page;
    while (reader->Read(&page)) {
      for (const auto& entry : page.entries()) entries.push_back(entry);
    }
    EXPECT_TRUE(reader->Finish().ok());
    return entries;
  }

  v1::VerifyLedgerResponse Verify() {
    grpc::ClientContext context;
    context.set_deadline(In(60));
    v1::VerifyLedgerResponse response;
    EXPECT_TRUE(served_.audit().VerifyLedger(&context, {}, &response).ok());
    return response;
  }

  // The lots of the hand-worked case (earned 40 days before they expire).
  void EarnTheLots() {
    clock_.Set(Utc(1, 1, 0, 0, 0));
    for (const char* member : {"ann", "bob", "cal", "dan", "eve"}) {
      ASSERT_TRUE(served_.Enroll(member).ok());
    }
    // cal: expires at the first run's very time (expired by it).
    ASSERT_NO_FATAL_FAILURE(Buy("cal", 10, kRun - 40 * kDay));
    // ann: a second later (the window's first day).
    ASSERT_NO_FATAL_FAILURE(
        Buy("ann", 20, kRun + absl::Seconds(1) - 40 * kDay));
    // bob: the last second of the window's last day.
    ASSERT_NO_FATAL_FAILURE(
        Buy("bob", 30, kWindowEnd - absl::Seconds(1) - 40 * kDay));
    // ann: at the midnight that closes the window (in).
    ASSERT_NO_FATAL_FAILURE(Buy("ann", 40, kWindowEnd - 40 * kDay));
    // ann and dan: a second after it (out, until the next day).
    ASSERT_NO_FATAL_FAILURE(
        Buy("ann", 50, kWindowEnd + absl::Seconds(1) - 40 * kDay));
    ASSERT_NO_FATAL_FAILURE(
        Buy("dan", 60, kWindowEnd + absl::Seconds(1) - 40 * kDay));
    // eve: midnight UTC on 12 March, 01:00 in Berlin (out).
    ASSERT_NO_FATAL_FAILURE(Buy("eve", 70, Utc(3, 12, 0, 0, 0) - 40 * kDay));
  }

  ManualClock clock_{Utc(1, 1, 0, 0, 0)};
  testing::ServedLedger served_;  // after the clock: stops first
  std::unique_ptr<v1::Events::Stub> events_;
};

TEST_F(ExpiryNoticeTest, AnnouncesEachLotOnceAtTheWindowsBoundaries) {
  ASSERT_NO_FATAL_FAILURE(EarnTheLots());
  const int64_t ann_before = Balance("ann").points_available();
  ASSERT_EQ(ann_before, 110);

  const v1::RunExpiryResponse first = RunAt(kRun, "day-1");
  EXPECT_EQ(first.expiry_notices(), 2);    // ann, bob
  EXPECT_EQ(first.points_expiring(), 90);  // 20 + 40 + 30
  EXPECT_EQ(first.points_expired(), 10);   // cal's
  EXPECT_EQ(first.members_changed(), 1);   // cal's UPKEEP only
  EXPECT_EQ(Balance("ann").points_available(), ann_before);  // moved nothing

  std::vector<std::string> said;
  for (const Event& event : Notices()) {
    said.push_back(Announced(event.expiring(), event.member_id(),
                             event.points_expiring()));
    EXPECT_EQ(event.points(), 0);
  }
  EXPECT_EQ(
      said,
      (std::vector<std::string>{
          absl::StrCat("ann 60: 20@", At(kRun + absl::Seconds(1)), " 40@",
                       At(kWindowEnd)),
          absl::StrCat("bob 30: 30@", At(kWindowEnd - absl::Seconds(1)))}));

  // Again the same day (23:00 in Berlin): ann's first lot has expired
  // meanwhile, nothing new is announced.
  const v1::RunExpiryResponse again = RunAt(Utc(3, 1, 22, 0, 0), "day-1-again");
  EXPECT_EQ(again.expiry_notices(), 0);
  EXPECT_EQ(again.points_expiring(), 0);
  EXPECT_EQ(again.points_expired(), 20);
  EXPECT_EQ(Notices().size(), 2u);

  // The next day, a run asked for no notices announces none; the next one
  // announces only the lots that came into the window: ann's third (not
  // her second again), dan's, and eve's midnight-UTC lot.
  clock_.Set(kNextDayRun);
  v1::RunExpiryResponse quiet;
  ASSERT_TRUE(Run("day-2-quiet", &quiet, 0).ok());
  EXPECT_EQ(quiet.expiry_notices(), 0);
  const v1::RunExpiryResponse next = RunAt(kNextDayRun, "day-2");
  EXPECT_EQ(next.expiry_notices(), 3);
  EXPECT_EQ(next.points_expiring(), 180);
  const std::vector<Event> notices = Notices();
  ASSERT_EQ(notices.size(), 5u);
  EXPECT_EQ(Announced(notices[2].expiring(), notices[2].member_id(),
                      notices[2].points_expiring()),
            absl::StrCat("ann 50: 50@", At(kWindowEnd + absl::Seconds(1))));
  EXPECT_EQ(notices[3].member_id(), "dan");
  EXPECT_EQ(Announced(notices[4].expiring(), notices[4].member_id(),
                      notices[4].points_expiring()),
            absl::StrCat("eve 70: 70@", At(Utc(3, 12, 0, 0, 0))));
  EXPECT_EQ(
      RunAt(kNextDayRun + absl::Hours(12), "day-2-again").expiry_notices(), 0);

  const v1::VerifyLedgerResponse verified = Verify();
  EXPECT_TRUE(verified.ok()) << verified.problem();
}

TEST_F(ExpiryNoticeTest, EventsEqualTheJournalsNotices) {
  ASSERT_NO_FATAL_FAILURE(EarnTheLots());
  RunAt(kRun, "day-1");
  RunAt(kNextDayRun, "day-2");

  std::map<int64_t, std::string> journal;
  for (const v1::JournalEntry& entry : Journal()) {
    if (entry.kind() != v1::ENTRY_KIND_EXPIRY_NOTICE) continue;
    EXPECT_EQ(entry.postings_size(), 0);
    int64_t total = 0;
    for (const auto& points : entry.expiring()) total += points.points();
    journal[entry.sequence()] =
        Announced(entry.expiring(), entry.member_id(), total);
  }
  std::map<int64_t, std::string> events;
  for (const Event& event : Notices()) {
    EXPECT_EQ(event.index(), 0);
    events[event.sequence()] =
        Announced(event.expiring(), event.member_id(), event.points_expiring());
  }
  EXPECT_EQ(journal.size(), 5u);
  EXPECT_EQ(events, journal);

  // Every kind unfiltered: the notices are among them, in sequence order.
  int seen = 0;
  int64_t last = 0;
  for (const Event& event : Watch({})) {
    EXPECT_GE(event.sequence(), last);
    last = event.sequence();
    if (event.kind() == v1::EVENT_KIND_POINTS_EXPIRING) ++seen;
  }
  EXPECT_EQ(seen, 5);
  // A partner sees none: notices are the program's, like the expiry itself.
  EXPECT_TRUE(Notices("grocer").empty());
}

TEST_F(ExpiryNoticeTest, RefusesAWindowOutOfRange) {
  for (int days : {-1, 366}) {
    v1::RunExpiryResponse figures;
    const grpc::Status status = Run(absl::StrCat("bad-", days), &figures, days);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    const v1::ErrorDetail detail = testing::DetailOf(status);
    EXPECT_EQ(detail.reason(), "INVALID_EXPIRY_NOTICE_DAYS");
    EXPECT_EQ(detail.field(), "expiry_notice_days");
  }
  v1::RunExpiryResponse figures;
  EXPECT_TRUE(Run("longest", &figures, 365).ok());
}

}  // namespace
}  // namespace loyalty
