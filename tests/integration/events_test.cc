// Events.WatchEvents on a real ledger over gRPC: a member's life told as
// typed events that match the journal and the balances; filters; a
// consumer that drops and resumes at random points while 16 clients commit
// gets every entry exactly once, in order; a stalled consumer holds commits
// back in nothing and makes the server hold at most a page for it.
#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/base/clock.h"
#include "gtest/gtest.h"
#include "loyalty/v1/events.grpc.pb.h"
#include "tests/support/served_ledger.h"

namespace loyalty {
namespace {

using v1::Event;
using v1::EventKind;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);  // 2026-01-01 UTC
constexpr absl::Duration kDay = absl::Hours(24);

// 1 point per 1.00 EUR; points pending 7 days, expiring 30 days after the
// sale; silver from 100.00 EUR in a 30-day window, reviewed 30 days after it
// is reached; a 5-point coffee; a referral worth 50 points to the referrer
// and 20 to the newcomer on a purchase of 10.00 EUR or more.
std::string LifeRules() {
  return testing::RulesYaml(100, 50) +
         "points:\n  pending_days: 7\n  lifetime_days: 30\n"
         "tiers:\n  measure: spend\n  window: rolling\n  window_days: 30\n"
         "  levels:\n    - id: member\n      name: Member\n      threshold: 0\n"
         "    - id: silver\n      name: Silver\n      threshold: 100.00\n"
         "rewards:\n  - id: coffee\n    description: A coffee\n    points: 5\n"
         "referral:\n  referrer_points: 50\n  newcomer_points: 20\n"
         "  min_purchase_minor: 1000\n";
}

std::chrono::system_clock::time_point In(int seconds) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

// What one stream sent, in order.
struct Watched {
  std::vector<Event> events;
  std::vector<v1::WatchEventsResponse> messages;  // without their events
  grpc::Status status;
};

class EventsTest : public ::testing::Test {
 protected:
  void StartServer(const std::string& rules = testing::RulesYaml()) {
    server::ServerOptions options = testing::ServedOptions(rules);
    options.clock = &clock_;
    ASSERT_NO_FATAL_FAILURE(served_.Start(options));
    events_ = v1::Events::NewStub(served_.channel());
  }

  // The backlog (follow off): every message until the stream ends.
  Watched Backlog(v1::WatchEventsRequest request) {
    request.set_follow(false);
    grpc::ClientContext context;
    context.set_deadline(In(30));
    Watched watched;
    auto reader = events_->WatchEvents(&context, request);
    v1::WatchEventsResponse message;
    while (reader->Read(&message)) Keep(&message, &watched);
    watched.status = reader->Finish();
    return watched;
  }

  static void Keep(v1::WatchEventsResponse* message, Watched* watched) {
    for (Event& event : *message->mutable_events()) {
      watched->events.push_back(std::move(event));
    }
    message->clear_events();
    watched->messages.push_back(*message);
  }

  grpc::Status Enroll(const std::string& id, const std::string& code = "") {
    grpc::ClientContext context;
    context.set_deadline(In(30));
    v1::EnrollMemberRequest request;
    request.set_request_id("enroll-" + id);
    request.mutable_profile()->set_member_id(id);
    request.set_referral_code(code);
    v1::EnrollMemberResponse response;
    return served_.members().EnrollMember(&context, request, &response);
  }

  grpc::Status Buy(const std::string& member, const std::string& order,
                   const std::string& partner, int64_t price_minor,
                   v1::Checkout::Stub* checkout = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(In(60));
    v1::CommitPurchaseRequest request;
    request.set_request_id("buy-" + order);
    auto* purchase = request.mutable_purchase();
    purchase->set_member_id(member);
    purchase->set_order_id(order);
    purchase->set_partner_id(partner);
    purchase->set_currency("EUR");
    auto* line = purchase->add_lines();
    line->set_sku("thing");
    line->set_quantity(1);
    line->set_unit_price_minor(price_minor);
    v1::CommitPurchaseResponse response;
    if (checkout == nullptr) checkout = &served_.checkout();
    return checkout->CommitPurchase(&context, request, &response);
  }

  grpc::Status RunExpiry(const std::string& id) {
    grpc::ClientContext context;
    context.set_deadline(In(60));
    v1::RunExpiryRequest request;
    request.set_request_id(id);
    auto reader = served_.program().RunExpiry(&context, request);
    v1::RunExpiryResponse figures;
    while (reader->Read(&figures)) {
    }
    return reader->Finish();
  }

  // A member's points as the ledger holds them: available + pending.
  int64_t Points(const std::string& member) {
    grpc::ClientContext context;
    context.set_deadline(In(30));
    v1::GetBalanceRequest request;
    request.set_member_id(member);
    v1::GetBalanceResponse response;
    EXPECT_TRUE(
        served_.members().GetBalance(&context, request, &response).ok());
    return response.balance().points_available() +
           response.balance().points_pending();
  }

  // The whole journal, from one export.
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

  // `clients` threads, each with its own channel, member m<c> and
  // `sales` sales one after another.
  std::vector<std::thread> Commit(int clients, int sales) {
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([this, c, sales] {
        auto channel = grpc::CreateChannel(served_.address(),
                                           grpc::InsecureChannelCredentials());
        auto checkout = v1::Checkout::NewStub(channel);
        for (int s = 0; s < sales; ++s) {
          EXPECT_TRUE(Buy(absl::StrCat("m", c), absl::StrCat("o", c, "-", s),
                          "", 1000 + s, checkout.get())
                          .ok());
        }
      });
    }
    return threads;
  }

  // The month of the test below, through the public RPCs.
  void LiveAMonth() {
    ASSERT_TRUE(Enroll("ann").ok());
    v1::GetMemberRequest get;
    get.set_member_id("ann");
    v1::GetMemberResponse ann;
    {
      grpc::ClientContext context;
      ASSERT_TRUE(served_.members().GetMember(&context, get, &ann).ok());
    }
    ASSERT_TRUE(Enroll("bob", ann.member().referral_code()).ok());
    clock_.Advance(absl::Hours(1));
    ASSERT_TRUE(Buy("ann", "a1", "fuelco", 15000).ok());
    ASSERT_TRUE(Buy("bob", "b1", "grocer", 2000).ok());
    clock_.Advance(8 * kDay);
    ASSERT_TRUE(RunExpiry("run-1").ok());
    {
      grpc::ClientContext context;
      v1::RedeemRewardRequest redeem;
      redeem.set_request_id("coffee-1");
      redeem.set_member_id("ann");
      redeem.set_reward_id("coffee");
      v1::RedeemRewardResponse redeemed;
      ASSERT_TRUE(
          served_.checkout().RedeemReward(&context, redeem, &redeemed).ok());
    }
    {
      grpc::ClientContext context;
      v1::AdjustBalanceRequest adjust;
      adjust.set_request_id("goodwill-1");
      adjust.set_member_id("ann");
      adjust.set_points(10);
      adjust.set_reason_code("GOODWILL");
      adjust.set_note("late delivery");
      v1::AdjustBalanceResponse adjusted;
      ASSERT_TRUE(
          served_.program().AdjustBalance(&context, adjust, &adjusted).ok());
    }
    {
      grpc::ClientContext context;
      v1::RefundPurchaseRequest refund;
      refund.set_request_id("refund-b1");
      refund.set_order_id("b1");
      refund.set_partner_id("grocer");
      v1::RefundPurchaseResponse refunded;
      const grpc::Status status =
          served_.checkout().RefundPurchase(&context, refund, &refunded);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
    clock_.Advance(31 * kDay);
    ASSERT_TRUE(RunExpiry("run-2").ok());
  }

  ManualClock clock_{kStart};
  testing::ServedLedger served_;  // after the clock: stops first
  std::unique_ptr<v1::Events::Stub> events_;
};

// A short name of an event: "PURCHASE_COMMITTED ann +150".
std::string Said(const Event& event) {
  std::string kind = v1::EventKind_Name(event.kind());
  kind = kind.substr(std::string("EVENT_KIND_").size());
  return absl::StrCat(kind, " ", event.member_id(), " ",
                      event.points() >= 0 ? "+" : "", event.points());
}

// Each event names its entry; the entry is of the event's member (or, for
// the referrer's side, of the newcomer), of its partner and its order.
void ExpectEntriesOf(const std::vector<Event>& events,
                     const std::vector<v1::JournalEntry>& entries) {
  std::map<int64_t, v1::JournalEntry> journal;
  for (const auto& entry : entries) journal[entry.sequence()] = entry;
  for (const Event& event : events) {
    SCOPED_TRACE(Said(event));
    ASSERT_TRUE(journal.count(event.sequence()));
    const v1::JournalEntry& entry = journal[event.sequence()];
    EXPECT_EQ(
        event.newcomer_id().empty() ? event.member_id() : event.newcomer_id(),
        entry.member_id());
    EXPECT_EQ(event.partner_id(), entry.partner_id());
    EXPECT_EQ(event.order_id(), entry.order_id());
    EXPECT_EQ(event.record_time().seconds(), entry.record_time().seconds());
  }
}

// A month of one member and her referral, worked by hand: 150.00 EUR at
// fuelco earns 150 pending points and silver; bob, referred by ann, pays
// 20.00 EUR at grocer (20 + 20 points for him, 50 for her); a week later
// the maintenance run releases the pending points and announces that they
// expire within its 30-day window (bob's 20 as well); ann buys a coffee (5)
// and gets 10 points of goodwill; bob's order is refunded, which takes his
// points and ann's referral reward back; 31 days on, the points of January
// expire and ann's review finds her below silver.
TEST_F(EventsTest, AMembersMonthIsToldAsEventsThatMatchTheJournal) {
  ASSERT_NO_FATAL_FAILURE(StartServer(LifeRules()));
  ASSERT_NO_FATAL_FAILURE(LiveAMonth());

  const Watched watched = Backlog({});
  ASSERT_TRUE(watched.status.ok()) << watched.status.error_message();
  std::vector<std::string> said;
  for (const Event& event : watched.events) said.push_back(Said(event));
  const std::vector<std::string> expected = {
      "MEMBER_ENROLLED ann +0",
      "MEMBER_ENROLLED bob +0",
      "PURCHASE_COMMITTED ann +150",
      "TIER_CHANGED ann +0",
      "PURCHASE_COMMITTED bob +40",
      "REFERRAL_REWARDED ann +50",
      "POINTS_RELEASED ann +150",
      "POINTS_EXPIRING ann +0",
      "POINTS_RELEASED bob +20",
      "POINTS_EXPIRING bob +0",
      "REWARD_REDEEMED ann -5",
      "ADJUSTMENT_MADE ann +10",
      "REFUND bob -40",
      "REFERRAL_REVERSED ann -50",
      "POINTS_EXPIRED ann -155",
      "TIER_CHANGED ann +0",
  };
  EXPECT_EQ(said, expected);

  ExpectEntriesOf(watched.events, Journal());
  // The sale and the tier change: what a CRM says to ann.
  const Event& sale = watched.events[2];
  EXPECT_EQ(sale.total_due_minor(), 15000);
  EXPECT_EQ(sale.points_earned(), 150);
  EXPECT_EQ(sale.partner_id(), "fuelco");
  const Event& up = watched.events[3];
  EXPECT_EQ(up.tier_before(), "member");
  EXPECT_EQ(up.tier_after(), "silver");
  EXPECT_EQ(up.direction(), v1::TIER_DIRECTION_UP);
  EXPECT_EQ(up.reason(), "purchase");
  EXPECT_EQ(watched.events[7].points_expiring(), 150);
  EXPECT_EQ(watched.events[9].points_expiring(), 20);
  EXPECT_EQ(watched.events[11].reason(), "GOODWILL");
  EXPECT_EQ(watched.events[10].reward_id(), "coffee");
  const Event& down = watched.events.back();
  EXPECT_EQ(down.direction(), v1::TIER_DIRECTION_DOWN);
  EXPECT_EQ(down.reason(), "review");
  // The points events of each member add up to what the ledger holds
  // (a release only moves pending points to available).
  std::map<std::string, int64_t> total;
  for (const Event& event : watched.events) {
    if (event.kind() != v1::EVENT_KIND_POINTS_RELEASED) {
      total[event.member_id()] += event.points();
    }
  }
  EXPECT_EQ(total["ann"], Points("ann"));
  EXPECT_EQ(total["bob"], Points("bob"));
  // Indexes count the events of one entry.
  EXPECT_EQ(watched.events[2].index(), 0);
  EXPECT_EQ(watched.events[3].index(), 1);
  EXPECT_EQ(watched.events[5].index(), 1);
  EXPECT_EQ(watched.messages.back().durable_sequence(),
            watched.events.back().sequence());
}

TEST_F(EventsTest, FiltersByKindMemberPartnerAndSequence) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ASSERT_TRUE(Enroll("ann").ok());
  ASSERT_TRUE(Enroll("bob").ok());
  ASSERT_TRUE(Buy("ann", "a1", "fuelco", 1000).ok());
  ASSERT_TRUE(Buy("bob", "b1", "grocer", 2000).ok());
  ASSERT_TRUE(Buy("ann", "a2", "grocer", 3000).ok());

  v1::WatchEventsRequest sales;
  sales.add_kinds(v1::EVENT_KIND_PURCHASE_COMMITTED);
  const Watched all_sales = Backlog(sales);
  ASSERT_EQ(all_sales.events.size(), 3u);

  v1::WatchEventsRequest of_ann = sales;
  of_ann.set_member_id("ann");
  std::vector<std::string> orders;
  for (const Event& event : Backlog(of_ann).events) {
    orders.push_back(event.order_id());
  }
  EXPECT_EQ(orders, (std::vector<std::string>{"a1", "a2"}));

  v1::WatchEventsRequest at_grocer;
  at_grocer.set_partner_id("grocer");
  orders.clear();
  for (const Event& event : Backlog(at_grocer).events) {
    EXPECT_EQ(event.partner_id(), "grocer");
    orders.push_back(event.order_id());
  }
  EXPECT_EQ(orders, (std::vector<std::string>{"b1", "a2"}));

  // After the second sale's sequence: the third only.
  v1::WatchEventsRequest later = sales;
  later.set_after_sequence(all_sales.events[1].sequence());
  const Watched rest = Backlog(later);
  ASSERT_EQ(rest.events.size(), 1u);
  EXPECT_EQ(rest.events[0].order_id(), "a2");

  // Nothing matches: one empty message that says how far the journal goes.
  v1::WatchEventsRequest none = sales;
  none.set_member_id("nobody");
  const Watched empty = Backlog(none);
  ASSERT_TRUE(empty.status.ok());
  EXPECT_TRUE(empty.events.empty());
  ASSERT_EQ(empty.messages.size(), 1u);
  EXPECT_EQ(empty.messages[0].scanned_sequence(),
            all_sales.events[2].sequence());

  v1::WatchEventsRequest bad;
  bad.set_after_sequence(-1);
  Watched refused = Backlog(bad);
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(testing::DetailOf(refused.status).field(), "after_sequence");
  bad = {};
  bad.add_kinds(static_cast<EventKind>(99));
  refused = Backlog(bad);
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(testing::DetailOf(refused.status).field(), "kinds[0]");
}

// 16 clients commit while one consumer follows the stream, drops the call
// after a random number of messages (or at a random moment) and resumes
// after the last sequence it handled. Once the commits are done and the
// consumer caught up, what it kept (deduplicated by sequence and index) is
// every event of the journal exactly once, in order.
TEST_F(EventsTest, AConsumerThatDropsAndResumesGetsEveryEntryOnceInOrder) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  constexpr int kClients = 16;
  constexpr int kSalesPerClient = 40;
  for (int c = 0; c < kClients; ++c) {
    ASSERT_TRUE(Enroll(absl::StrCat("m", c)).ok());
  }
  std::vector<std::thread> clients = Commit(kClients, kSalesPerClient);
  std::mt19937 random(17);
  std::vector<Event> kept;
  std::pair<int64_t, int> last{0, -1};
  int calls = 0;
  int64_t target = -1;  // the head once every sale is durable
  const int64_t total = kClients * (kSalesPerClient + 1);
  auto all_durable = [&] {
    if (target < 0 && served_.server().ledger().Head().sequence() == total) {
      target = total;
    }
  };
  while (target < 0 || last.first < target) {
    all_durable();
    ++calls;
    grpc::ClientContext context;
    context.set_deadline(In(30));
    v1::WatchEventsRequest request;
    request.set_after_sequence(last.first);
    request.set_follow(true);
    auto reader = events_->WatchEvents(&context, request);
    const int messages = std::uniform_int_distribution<int>(1, 4)(random);
    v1::WatchEventsResponse message;
    for (int m = 0; m < messages && reader->Read(&message); ++m) {
      for (const Event& event : message.events()) {
        const std::pair<int64_t, int> id{event.sequence(), event.index()};
        if (id <= last) continue;  // seen before the drop
        last = id;
        kept.push_back(event);
      }
      all_durable();
      if (target >= 0 && last.first >= target) break;
    }
    context.TryCancel();
    reader->Finish();
  }
  for (std::thread& client : clients) client.join();
  EXPECT_GT(calls, 2);

  std::vector<std::pair<int64_t, int>> expected;
  for (const v1::JournalEntry& entry : Journal()) {
    expected.push_back({entry.sequence(), 0});  // enrolls and sales: one each
  }
  std::vector<std::pair<int64_t, int>> got;
  for (const Event& event : kept)
    got.push_back({event.sequence(), event.index()});
  EXPECT_EQ(got, expected);
  EXPECT_EQ(got.size(), static_cast<size_t>(kClients * (kSalesPerClient + 1)));
}

// A consumer that reads its first message and then nothing: commits go on
// (they would hang here otherwise), the server holds at most one page for
// it, and when it reads again it gets every event, the later ones read from
// the journal after the commits ended.
TEST_F(EventsTest, AStalledConsumerNeitherSlowsCommitsNorMakesTheServerBuffer) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  constexpr int kClients = 4;
  constexpr int kSalesPerClient = 600;
  for (int c = 0; c < kClients; ++c) {
    ASSERT_TRUE(Enroll(absl::StrCat("m", c)).ok());
  }
  // A consumer whose connection takes little before the application reads
  // it (no window growth), as a slow consumer's over a real network.
  grpc::ChannelArguments narrow;
  narrow.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  narrow.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 * 1024);
  auto stalled = v1::Events::NewStub(grpc::CreateCustomChannel(
      served_.address(), grpc::InsecureChannelCredentials(), narrow));
  grpc::ClientContext context;
  context.set_deadline(In(300));
  v1::WatchEventsRequest request;
  request.set_follow(true);
  auto reader = stalled->WatchEvents(&context, request);
  v1::WatchEventsResponse message;
  ASSERT_TRUE(reader->Read(&message));
  size_t events = message.events_size();
  std::vector<std::thread> clients = Commit(kClients, kSalesPerClient);
  for (std::thread& client : clients) client.join();
  const int64_t head = served_.server().ledger().Head().sequence();
  ASSERT_EQ(head, kClients * (kSalesPerClient + 1));
  const server::EventHub& hub = served_.server().events_hub();
  EXPECT_EQ(hub.streams(), 1);
  // One page of 256 sales' events is well under 128 KiB.
  EXPECT_GT(hub.max_held_bytes(), 0);
  EXPECT_LT(hub.max_held_bytes(), 128 * 1024);

  int64_t read_late = 0;  // events of pages read after the commits ended
  while (events < static_cast<size_t>(head) && reader->Read(&message)) {
    events += message.events_size();
    if (message.durable_sequence() == head) read_late += message.events_size();
  }
  EXPECT_EQ(events, static_cast<size_t>(head));
  // Most of them: what the connection could not take waited in the journal.
  EXPECT_GT(read_late, head / 2);
  context.TryCancel();
  reader->Finish();
}

TEST_F(EventsTest, AFollowingStreamEndsWhenTheServerStops) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ASSERT_TRUE(Enroll("ann").ok());
  grpc::ClientContext context;
  context.set_deadline(In(30));
  v1::WatchEventsRequest request;
  request.set_follow(true);
  auto reader = events_->WatchEvents(&context, request);
  v1::WatchEventsResponse message;
  ASSERT_TRUE(reader->Read(&message));
  ASSERT_EQ(message.events_size(), 1);
  std::thread stopper([this] { served_.Stop(); });
  while (reader->Read(&message)) {
  }
  const grpc::Status status = reader->Finish();
  stopper.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(testing::DetailOf(status).reason(), "SERVER_STOPPING");
}

}  // namespace
}  // namespace loyalty
