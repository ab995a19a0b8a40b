// Crash-kill test: the real loyaltyd binary as a child process, on one data
// dir, while 8-16 client threads commit sales (some earn, some burn points;
// some alone, some in batches of 2-8 through CommitPurchases, each retried
// alone), refund them (fully or one line) and redeem catalogue rewards, is
// killed with SIGKILL at a random moment, restarted, and checked:
//   (a) every commit whose answer reached a client is in the ledger exactly
//       once, under the transaction id it was answered with; every answered
//       refusal wrote nothing;
//   (b) nothing unanswered is half-present: every entry's postings balance,
//       and an unanswered request is either one whole entry or absent;
//   (c) VerifyLedger is clean and every member's balance equals the replay
//       of the exported journal;
//   (d) the hash chain verifies from the first entry;
//   (e) a retry of an unanswered request now gets an answer (the entry's
//       transaction id when it was recorded), and a retry of an answered one
//       gets exactly the first answer.
// LOYALTY_CRASH_CYCLES sets the number of cycles (default 20);
// LOYALTY_CRASH_SEED replays one run (the seed is printed).
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/ledger/accounts.h"
#include "engine/ledger/journal_checker.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "loyalty/v1/audit.grpc.pb.h"
#include "loyalty/v1/checkout.grpc.pb.h"
#include "loyalty/v1/members.grpc.pb.h"
#include "tests/crash/child_process.h"
#include "tests/crash/loyaltyd_process.h"
#include "tests/support/temp_dir.h"

namespace loyalty {
namespace {

using loyalty::v1::CommitPurchaseRequest;
using loyalty::v1::JournalEntry;

constexpr int kMembers = 40;
constexpr int kMinClients = 8;
constexpr int kMaxClients = 16;
constexpr int kMinKillDelayMs = 50;
constexpr int kMaxKillDelayMs = 800;
constexpr int kRetryThreads = 8;
constexpr int kMaxRedeemPoints = 20;
constexpr int kRefusalEvery = 40;
constexpr int kRefundEvery = 6;   // one call in 6 refunds an order
constexpr int kRedeemEvery = 12;  // one in 12 buys a reward
constexpr int kBatchEvery =
    8;  // one in 8 sends 2-8 sales in one CommitPurchases
constexpr int kMaxBatch = 8;
// The default rules plus a catalogue with a small stock, so that some
// redemptions are refused for stock as well as for points.
constexpr char kRewardsYaml[] =
    "\nrewards:\n"
    "  - id: coffee\n    description: A coffee\n    points: 15\n"
    "  - id: mug\n    description: A mug\n    points: 25\n    stock: 60\n";
constexpr absl::Duration kCallTimeout = absl::Seconds(10);
// Export and verification read the whole ledger, which grows every cycle.
constexpr absl::Duration kAuditTimeout = absl::Seconds(120);
constexpr absl::Duration kStopTimeout = absl::Seconds(30);

int EnvInt(const char* name, int fallback) {
  const char* text = std::getenv(name);
  int value = 0;
  if (text == nullptr || !absl::SimpleAtoi(text, &value) || value <= 0) return fallback;
  return value;
}

std::string MemberId(int index) { return absl::StrCat("m", index); }

void SetDeadline(grpc::ClientContext* context, absl::Duration timeout) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

// True when the status is an answer the ledger keeps under the request id (a
// success or a business refusal); false for a fault, after which the client
// cannot know whether the request was recorded.
bool IsAnswer(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::OUT_OF_RANGE:
      return true;
    default:
      return false;
  }
}

// What a client sees when the server dies under a call.
bool IsConnectionFault(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE ||
         code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

// One call a client sent (a sale, a refund or a reward), and what came back.
struct Attempt {
  enum class Kind { kCommit, kRefund, kRedeem };
  Kind kind = Kind::kCommit;
  CommitPurchaseRequest commit;
  v1::RefundPurchaseRequest refund;
  v1::RedeemRewardRequest redeem;
  std::string member_id;  // whose balance the call moves
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  std::string error_message;
  std::string error_details;
  std::string response;  // serialized, when committed
  std::string transaction;
  int64_t points_after = 0;  // the member's available points after it
  int64_t redeemed_points = 0;  // burned by a sale or a reward
  bool batched = false;  // sent in a CommitPurchases call (retried alone)

  const std::string& request_id() const {
    switch (kind) {
      case Kind::kRefund: return refund.request_id();
      case Kind::kRedeem: return redeem.request_id();
      default: return commit.request_id();
    }
  }
  bool answered() const { return IsAnswer(code); }
  bool committed() const { return code == grpc::StatusCode::OK; }
  int64_t transaction_id() const {
    int64_t id = 0;
    return absl::SimpleAtoi(transaction, &id) ? id : -1;
  }
  // The answer as one comparable string: the serialized response, or the
  // refusal with its code, message and detail trailer.
  std::string AnswerText() const {
    if (committed()) return response;
    return absl::StrCat("code ", code, ": ", error_message, " | ", error_details);
  }
  std::string Describe() const {
    const char* what = kind == Kind::kCommit ? "sale" : kind == Kind::kRefund ? "refund" : "reward";
    return absl::StrCat(what, " request ", request_id(), " (member ", member_id,
                        ") -> code ", code, " ", error_message);
  }
};

// Sends `attempt`'s request and fills in what came back.
Attempt Send(v1::Checkout::Stub& stub, Attempt attempt) {
  grpc::ClientContext context;
  SetDeadline(&context, kCallTimeout);
  grpc::Status status;
  switch (attempt.kind) {
    case Attempt::Kind::kCommit: {
      v1::CommitPurchaseResponse response;
      status = stub.CommitPurchase(&context, attempt.commit, &response);
      attempt.response = response.SerializeAsString();
      attempt.transaction = response.transaction_id();
      attempt.points_after = response.balance().points_available();
      attempt.redeemed_points = response.priced().redeemed_points();
      break;
    }
    case Attempt::Kind::kRefund: {
      v1::RefundPurchaseResponse response;
      status = stub.RefundPurchase(&context, attempt.refund, &response);
      attempt.response = response.SerializeAsString();
      attempt.transaction = response.transaction_id();
      attempt.points_after = response.balance().points_available();
      break;
    }
    case Attempt::Kind::kRedeem: {
      v1::RedeemRewardResponse response;
      status = stub.RedeemReward(&context, attempt.redeem, &response);
      attempt.response = response.SerializeAsString();
      attempt.transaction = response.transaction_id();
      attempt.points_after = response.balance().points_available();
      attempt.redeemed_points = response.points();
      break;
    }
  }
  attempt.code = status.error_code();
  attempt.error_message = status.error_message();
  attempt.error_details = status.error_details();
  return attempt;
}

// Sends `sales` (kCommit attempts) as one CommitPurchases call and fills in
// each one's outcome: a sale's own answer or fault, or, when the whole call
// failed (the server died under it), the call's status for every sale.
std::vector<Attempt> SendBatch(v1::Checkout::Stub& stub,
                               std::vector<Attempt> sales) {
  v1::CommitPurchasesRequest request;
  for (const Attempt& sale : sales) *request.add_purchases() = sale.commit;
  grpc::ClientContext context;
  SetDeadline(&context, kCallTimeout);
  v1::CommitPurchasesResponse response;
  const grpc::Status status =
      stub.CommitPurchases(&context, request, &response);
  const bool whole =
      status.ok() && response.outcomes_size() == static_cast<int>(sales.size());
  for (size_t i = 0; i < sales.size(); ++i) {
    Attempt& sale = sales[i];
    if (!whole) {
      sale.code =
          status.ok() ? grpc::StatusCode::INTERNAL : status.error_code();
      sale.error_message =
          status.ok() ? "outcomes missing" : status.error_message();
      sale.error_details = status.error_details();
      continue;
    }
    const v1::PurchaseOutcome& outcome = response.outcomes(static_cast<int>(i));
    if (outcome.has_refused()) {
      sale.code = static_cast<grpc::StatusCode>(outcome.refused().code());
      sale.error_message = outcome.refused().message();
      sale.error_details = outcome.refused().SerializeAsString();
      continue;
    }
    const v1::CommitPurchaseResponse& committed = outcome.committed();
    sale.code = grpc::StatusCode::OK;
    sale.response = committed.SerializeAsString();
    sale.transaction = committed.transaction_id();
    sale.points_after = committed.balance().points_available();
    sale.redeemed_points = committed.priced().redeemed_points();
  }
  return sales;
}

// A sale of 1-3 lines; burns up to kMaxRedeemPoints points one time in three
// when the member (as far as this client knows) has some, and one time in
// kRefusalEvery asks to burn more than the member has.
CommitPurchaseRequest Sale(const std::string& request_id, int member,
                           int client, int64_t known_points,
                           std::mt19937_64& random) {
  CommitPurchaseRequest request;
  request.set_request_id(request_id);
  v1::Purchase* purchase = request.mutable_purchase();
  purchase->set_member_id(MemberId(member));
  purchase->set_order_id(request_id);
  purchase->set_store_id(absl::StrCat("store-", random() % 4));
  purchase->set_terminal_id(absl::StrCat("till-", client));
  purchase->set_channel(v1::CHANNEL_POS);
  purchase->set_currency("EUR");
  const int lines = 1 + static_cast<int>(random() % 3);
  for (int l = 0; l < lines; ++l) {
    v1::PurchaseLine* line = purchase->add_lines();
    line->set_sku(absl::StrCat("sku-", random() % 50));
    line->set_category("grocery");
    line->set_quantity(1 + static_cast<int64_t>(random() % 3));
    line->set_unit_price_minor(99 + static_cast<int64_t>(random() % 2900));
  }
  if (random() % kRefusalEvery == 0) {
    // More than the member holds: a refusal, which is an answer too and
    // must survive a crash like a sale.
    purchase->set_redeem_points(known_points + 1000);
  } else if (known_points >= 5 && random() % 3 == 0) {
    const int64_t most = std::min<int64_t>(known_points, kMaxRedeemPoints);
    purchase->set_redeem_points(1 + static_cast<int64_t>(random() % most));
  }
  return request;
}

// A sale this client committed, for a later refund.
struct Sold {
  std::string order_id;
  int member = 0;
  int lines = 0;
};

// A refund of all of `sold`, or of one unit of one line; refunding what is
// refunded already is a refusal (an answer too).
v1::RefundPurchaseRequest Refund(const std::string& request_id, const Sold& sold,
                                 std::mt19937_64& random) {
  v1::RefundPurchaseRequest request;
  request.set_request_id(request_id);
  request.set_member_id(MemberId(sold.member));
  request.set_order_id(sold.order_id);
  if (random() % 2 == 0) {
    v1::RefundLine* line = request.add_lines();
    line->set_line_index(static_cast<int>(random() % sold.lines));
    line->set_quantity(1);
  }
  return request;
}

// Calls body(i, stub) for i in [0, count) on kRetryThreads threads.
void ParallelFor(const std::shared_ptr<grpc::Channel>& channel, size_t count,
                 const std::function<void(size_t, v1::Checkout::Stub&)>& body) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < kRetryThreads; ++t) {
    workers.emplace_back([&] {
      auto stub = v1::Checkout::NewStub(channel);
      for (size_t i = next++; i < count; i = next++) body(i, *stub);
    });
  }
  for (auto& worker : workers) worker.join();
}

// What one export says, reduced to what the checks need, so that memory
// stays small however long the ledger grows.
struct ExportIndex {
  ledger::JournalChecker checker;
  absl::flat_hash_map<std::string, int64_t> sequence_of;  // by request id
  // Entries of the requests that were in flight at the kill.
  absl::flat_hash_map<std::string, JournalEntry> in_flight_entries;
  int64_t entries = 0;
  int64_t snapshot_sequence = 0;
  std::string last_hash;
};

struct CycleCounts {
  int64_t attempts = 0;
  int64_t acked = 0;    // an answer reached the client
  int64_t refused = 0;  // ... and it was a business refusal
  int64_t burned = 0;   // ... and it was a sale that burned points
  int64_t refunds = 0;  // ... and it was a refund that went through
  int64_t rewards = 0;  // ... and it was a reward bought
  int64_t batched = 0;  // ... and it was a sale sent in a batch
  int64_t in_flight = 0;
  int64_t in_flight_present = 0;  // recorded although never answered
  int64_t connection_faults = 0;
  int64_t other_faults = 0;  // neither an answer nor a connection fault
};

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = static_cast<uint64_t>(EnvInt(
        "LOYALTY_CRASH_SEED", static_cast<int>(absl::ToUnixMicros(absl::Now()) % 1000000007)));
    random_.seed(seed_);
    std::printf("crash test: seed %llu (LOYALTY_CRASH_SEED replays it)\n",
                static_cast<unsigned long long>(seed_));
    for (auto& points : known_points_) points = 0;
    ASSERT_NO_FATAL_FAILURE(StartServer());
    ASSERT_NO_FATAL_FAILURE(EnrollMembers());
  }

  // Runs even when a check failed: no loyaltyd outlives the test.
  void TearDown() override {
    if (server_ != nullptr && HasFailure()) {
      std::printf("loyaltyd stderr (%s):\n%s\n", server_->stderr_path().c_str(),
                  testing::ReadWholeFile(server_->stderr_path()).c_str());
    }
    server_.reset();  // SIGKILL and wait, if still running
  }

  // The default rule file with the catalogue appended.
  std::string RulesPath() {
    const std::string path = dir_.Sub("rules.yaml");
    std::string text = testing::ReadWholeFile(testing::DefaultRulesPath());
    text += kRewardsYaml;
    FILE* file = std::fopen(path.c_str(), "w");
    if (file != nullptr) {
      std::fwrite(text.data(), 1, text.size(), file);
      std::fclose(file);
    }
    return path;
  }

  void StartServer() {
    if (rules_path_.empty()) rules_path_ = RulesPath();
    auto started = testing::StartLoyaltyd(
        testing::LoyaltydArgs(dir_.Sub("data"), rules_path_),
        dir_.Sub(absl::StrCat("loyaltyd-", ++starts_)));
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = std::move(started->process);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", started->port),
                                   grpc::InsecureChannelCredentials());
    ASSERT_TRUE(channel_->WaitForConnected(
        absl::ToChronoTime(absl::Now() + absl::Seconds(30))))
        << "loyaltyd does not answer on port " << started->port;
  }

  void EnrollMembers() {
    auto members = v1::Members::NewStub(channel_);
    for (int m = 0; m < kMembers; ++m) {
      grpc::ClientContext context;
      SetDeadline(&context, kCallTimeout);
      v1::EnrollMemberRequest request;
      request.set_request_id(absl::StrCat("enroll-", MemberId(m)));
      request.mutable_profile()->set_member_id(MemberId(m));
      v1::EnrollMemberResponse response;
      const grpc::Status status = members->EnrollMember(&context, request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
      int64_t sequence = 0;
      ASSERT_TRUE(absl::SimpleAtoi(response.transaction_id(), &sequence));
      committed_[request.request_id()] = sequence;
    }
  }

  // One client thread: sells, refunds and redeems until `stop`, logging
  // every attempt.
  void ClientLoop(int cycle, int client, uint64_t seed,
                  const std::atomic<bool>& stop, std::vector<Attempt>* log) {
    auto stub = v1::Checkout::NewStub(channel_);
    std::mt19937_64 random(seed);
    std::vector<Sold> sold;
    for (int n = 0; !stop; ++n) {
      const std::string request_id = absl::StrCat("cy", cycle, "-c", client, "-", n);
      Attempt attempt;
      const uint64_t dice = random();
      if (!sold.empty() && dice % kRefundEvery == 0) {
        const Sold& order = sold[random() % sold.size()];
        attempt.kind = Attempt::Kind::kRefund;
        attempt.refund = Refund(request_id, order, random);
        attempt.member_id = MemberId(order.member);
      } else if (dice % kRedeemEvery == 1) {
        const int member = static_cast<int>(random() % kMembers);
        attempt.kind = Attempt::Kind::kRedeem;
        attempt.redeem.set_request_id(request_id);
        attempt.redeem.set_member_id(MemberId(member));
        attempt.redeem.set_reward_id(random() % 2 == 0 ? "coffee" : "mug");
        attempt.member_id = MemberId(member);
      } else if (dice % kBatchEvery == 2) {
        const size_t first = log->size();
        for (Attempt& sale :
             SendBatch(*stub, BatchOfSales(request_id, client, random))) {
          log->push_back(std::move(sale));
        }
        for (size_t i = first; i < log->size(); ++i) Remember((*log)[i], &sold);
        continue;
      } else {
        const int member = static_cast<int>(random() % kMembers);
        attempt.commit = Sale(request_id, member, client,
                              known_points_[member].load(), random);
        attempt.member_id = MemberId(member);
      }
      log->push_back(Send(*stub, std::move(attempt)));
      Remember(log->back(), &sold);
    }
  }

  // 2 to kMaxBatch sales of random members, request ids `request_id`-b0, -b1...
  std::vector<Attempt> BatchOfSales(const std::string& request_id, int client,
                                    std::mt19937_64& random) {
    std::vector<Attempt> sales(2 + random() % (kMaxBatch - 1));
    for (size_t b = 0; b < sales.size(); ++b) {
      const int member = static_cast<int>(random() % kMembers);
      sales[b].commit = Sale(absl::StrCat(request_id, "-b", b), member, client,
                             known_points_[member].load(), random);
      sales[b].member_id = MemberId(member);
      sales[b].batched = true;
    }
    return sales;
  }

  // What a client learns from a committed call: the member's points, and a
  // sale it may refund later.
  void Remember(const Attempt& done, std::vector<Sold>* sold) {
    if (!done.committed()) return;
    const int member = std::stoi(done.member_id.substr(1));
    known_points_[member] = done.points_after;
    if (done.kind == Attempt::Kind::kCommit) {
      sold->push_back({done.commit.purchase().order_id(), member,
                       done.commit.purchase().lines_size()});
    }
  }

  // Starts `clients` threads, kills loyaltyd after `kill_after`, joins them
  // and returns every attempt. Nothing here can return early, so no thread
  // outlives it.
  std::vector<Attempt> DriveAndKill(int cycle, int clients,
                                    absl::Duration kill_after,
                                    testing::ChildExit* killed) {
    std::atomic<bool> stop{false};
    std::vector<std::vector<Attempt>> logs(clients);
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([this, cycle, c, seed = random_(), &stop, &logs] {
        ClientLoop(cycle, c, seed, stop, &logs[c]);
      });
    }
    absl::SleepFor(kill_after);
    stop = true;  // no new calls; the ones in flight meet the kill
    *killed = server_->Kill();
    for (auto& thread : threads) thread.join();
    std::vector<Attempt> all;
    for (auto& log : logs) {
      for (auto& attempt : log) all.push_back(std::move(attempt));
    }
    return all;
  }

  void Export(const absl::flat_hash_set<std::string>& in_flight,
              ExportIndex* index) {
    auto audit = v1::Audit::NewStub(channel_);
    grpc::ClientContext context;
    SetDeadline(&context, kAuditTimeout);
    auto reader = audit->ExportLedger(&context, v1::ExportLedgerRequest());
    v1::ExportLedgerResponse page;
    while (reader->Read(&page)) {
      index->snapshot_sequence = page.snapshot_sequence();
      for (const JournalEntry& entry : page.entries()) {
        // (b), (d): postings balance, sequence and hash chain.
        ASSERT_TRUE(index->checker.Add(entry)) << index->checker.problem();
        index->last_hash = entry.hash();
        ++index->entries;
        // Upkeep written before an operation carries its request id too.
        if (entry.kind() == v1::ENTRY_KIND_UPKEEP) continue;
        const auto [it, inserted] =
            index->sequence_of.emplace(entry.request_id(), entry.sequence());
        ASSERT_TRUE(inserted) << "request " << entry.request_id()
                              << " is recorded twice: entries " << it->second
                              << " and " << entry.sequence();
        if (in_flight.contains(entry.request_id())) {
          index->in_flight_entries[entry.request_id()] = entry;
        }
      }
    }
    const grpc::Status status = reader->Finish();
    ASSERT_TRUE(status.ok()) << "ExportLedger: " << status.error_message();
    ASSERT_TRUE(index->entries == 0 || index->checker.from_genesis());
    ASSERT_EQ(index->entries, index->snapshot_sequence);
  }

  // (a) and (b): every answered request as answered, every unanswered one
  // whole or absent, and no entry that no client asked for.
  void CheckRequests(const ExportIndex& index,
                     const std::vector<const Attempt*>& in_flight,
                     CycleCounts* counts) {
    for (const auto& [request_id, sequence] : committed_) {
      auto it = index.sequence_of.find(request_id);
      ASSERT_NE(it, index.sequence_of.end())
          << "acknowledged request " << request_id << " (transaction "
          << sequence << ") is missing";
      ASSERT_EQ(it->second, sequence) << "request " << request_id;
    }
    for (const std::string& request_id : refused_) {
      ASSERT_FALSE(index.sequence_of.contains(request_id))
          << "refused request " << request_id << " was recorded";
    }
    absl::flat_hash_set<std::string> in_flight_ids;
    for (const Attempt* attempt : in_flight) {
      const std::string& id = attempt->request_id();
      in_flight_ids.insert(id);
      auto it = index.in_flight_entries.find(id);
      if (it == index.in_flight_entries.end()) continue;
      ++counts->in_flight_present;
      const JournalEntry& entry = it->second;
      EXPECT_EQ(entry.member_id(), attempt->member_id) << id;
      switch (attempt->kind) {
        case Attempt::Kind::kCommit:
          EXPECT_EQ(entry.kind(), v1::ENTRY_KIND_PURCHASE) << id;
          EXPECT_EQ(entry.order_id(), attempt->commit.purchase().order_id()) << id;
          break;
        case Attempt::Kind::kRefund:
          EXPECT_EQ(entry.kind(), v1::ENTRY_KIND_REFUND) << id;
          EXPECT_EQ(entry.order_id(), attempt->refund.order_id()) << id;
          break;
        case Attempt::Kind::kRedeem:
          EXPECT_EQ(entry.kind(), v1::ENTRY_KIND_REWARD) << id;
          EXPECT_EQ(entry.reward_id(), attempt->redeem.reward_id()) << id;
          break;
      }
    }
    for (const auto& [request_id, sequence] : index.sequence_of) {
      ASSERT_TRUE(committed_.contains(request_id) || in_flight_ids.contains(request_id))
          << "entry " << sequence << " belongs to request " << request_id
          << ", which no client sent or which was never answered before";
    }
  }

  // (c), (d) on the server: VerifyLedger, and every balance equal to the
  // replay of the export.
  void CheckBalances(const ExportIndex& index) {
    auto audit = v1::Audit::NewStub(channel_);
    grpc::ClientContext context;
    SetDeadline(&context, kAuditTimeout);
    v1::VerifyLedgerResponse verified;
    const grpc::Status status =
        audit->VerifyLedger(&context, v1::VerifyLedgerRequest(), &verified);
    ASSERT_TRUE(status.ok()) << "VerifyLedger: " << status.error_message();
    ASSERT_TRUE(verified.ok()) << verified.problem();
    EXPECT_EQ(verified.entries_checked(), index.entries);
    EXPECT_EQ(verified.members_checked(), kMembers);
    EXPECT_EQ(verified.head_sequence(), index.snapshot_sequence);
    EXPECT_EQ(verified.head_hash(), index.last_hash);
    auto members = v1::Members::NewStub(channel_);
    for (int m = 0; m < kMembers; ++m) {
      const std::string id = MemberId(m);
      grpc::ClientContext balance_context;
      SetDeadline(&balance_context, kCallTimeout);
      v1::GetBalanceRequest request;
      request.set_member_id(id);
      v1::GetBalanceResponse response;
      const grpc::Status read = members->GetBalance(&balance_context, request, &response);
      ASSERT_TRUE(read.ok()) << id << ": " << read.error_message();
      const v1::Balance& balance = response.balance();
      ASSERT_EQ(balance.points_available(),
                index.checker.Balance(ledger::MemberPointsAvailable(id), "PTS"))
          << id;
      ASSERT_EQ(balance.points_pending(),
                index.checker.Balance(ledger::MemberPointsPending(id), "PTS"))
          << id;
      int64_t cashback_eur = 0;
      for (const auto& held : balance.cashback_minor()) {
        if (held.currency() == "EUR") cashback_eur = held.amount_minor();
      }
      ASSERT_EQ(cashback_eur,
                index.checker.Balance(ledger::MemberCashback(id, "EUR"), "EUR"))
          << id;
      known_points_[m] = balance.points_available();
    }
  }

  // (e) for the requests in flight at the kill: each retry is answered; a
  // recorded one answers with its entry, an absent one is decided now.
  void RetryInFlight(const ExportIndex& index,
                     const std::vector<const Attempt*>& in_flight) {
    std::vector<Attempt> retries(in_flight.size());
    ParallelFor(channel_, in_flight.size(), [&](size_t i, v1::Checkout::Stub& stub) {
      retries[i] = Send(stub, *in_flight[i]);
    });
    for (const Attempt& retry : retries) {
      const std::string& id = retry.request_id();
      ASSERT_TRUE(retry.answered()) << "retry of " << retry.Describe();
      auto it = index.sequence_of.find(id);
      if (it != index.sequence_of.end()) {
        ASSERT_TRUE(retry.committed()) << "recorded, yet " << retry.Describe();
        ASSERT_EQ(retry.transaction_id(), it->second) << retry.Describe();
        committed_[id] = it->second;
      } else if (retry.committed()) {
        ASSERT_GT(retry.transaction_id(), index.snapshot_sequence) << retry.Describe();
        committed_[id] = retry.transaction_id();
      } else {
        refused_.insert(id);
      }
    }
  }

  // (e) for the answered requests: a retry gets exactly the first answer.
  void RetryAnswered(const std::vector<const Attempt*>& answered) {
    std::vector<Attempt> retries(answered.size());
    ParallelFor(channel_, answered.size(), [&](size_t i, v1::Checkout::Stub& stub) {
      retries[i] = Send(stub, *answered[i]);
    });
    for (size_t i = 0; i < answered.size(); ++i) {
      ASSERT_EQ(retries[i].AnswerText(), answered[i]->AnswerText())
          << "first: " << answered[i]->Describe()
          << "\nretry: " << retries[i].Describe();
    }
  }

  // Sorts one cycle's attempts into answered and in flight, and remembers
  // the answers.
  void Classify(const std::vector<Attempt>& attempts,
                std::vector<const Attempt*>* answered,
                std::vector<const Attempt*>* in_flight, CycleCounts* counts) {
    for (const Attempt& attempt : attempts) {
      ++counts->attempts;
      if (attempt.answered()) {
        answered->push_back(&attempt);
        ++counts->acked;
        if (attempt.batched) ++counts->batched;
        if (attempt.committed()) {
          committed_[attempt.request_id()] = attempt.transaction_id();
          if (attempt.kind == Attempt::Kind::kCommit && attempt.redeemed_points > 0) {
            ++counts->burned;
          }
          if (attempt.kind == Attempt::Kind::kRefund) ++counts->refunds;
          if (attempt.kind == Attempt::Kind::kRedeem) ++counts->rewards;
        } else {
          ++counts->refused;
          refused_.insert(attempt.request_id());
        }
        continue;
      }
      in_flight->push_back(&attempt);
      ++counts->in_flight;
      if (IsConnectionFault(attempt.code)) {
        ++counts->connection_faults;
      } else {
        ++counts->other_faults;
        std::printf("  unexpected fault: %s\n", attempt.Describe().c_str());
      }
    }
  }

  // Everything after a restart: (a)-(e).
  void CheckAfterRestart(const std::vector<const Attempt*>& answered,
                         const std::vector<const Attempt*>& in_flight,
                         CycleCounts* counts, int64_t* entries) {
    absl::flat_hash_set<std::string> in_flight_ids;
    for (const Attempt* attempt : in_flight) in_flight_ids.insert(attempt->request_id());
    ExportIndex index;
    ASSERT_NO_FATAL_FAILURE(Export(in_flight_ids, &index));
    ASSERT_NO_FATAL_FAILURE(CheckRequests(index, in_flight, counts));
    ASSERT_NO_FATAL_FAILURE(CheckBalances(index));
    ASSERT_NO_FATAL_FAILURE(RetryInFlight(index, in_flight));
    ASSERT_NO_FATAL_FAILURE(RetryAnswered(answered));
    *entries = index.entries;
  }

  void RunCycle(int cycle, int cycles, CycleCounts* totals) {
    const absl::Time start = absl::Now();
    const int clients =
        kMinClients + static_cast<int>(random_() % (kMaxClients - kMinClients + 1));
    const int delay_ms =
        kMinKillDelayMs + static_cast<int>(random_() % (kMaxKillDelayMs - kMinKillDelayMs + 1));
    testing::ChildExit killed;
    const std::vector<Attempt> attempts =
        DriveAndKill(cycle, clients, absl::Milliseconds(delay_ms), &killed);
    ASSERT_FALSE(killed.exited) << "loyaltyd ended by itself before the kill: "
                                << killed.ToString() << "\n"
                                << testing::ReadWholeFile(server_->stderr_path());
    ASSERT_EQ(killed.signal, SIGKILL);
    std::vector<const Attempt*> answered, in_flight;
    CycleCounts counts;
    Classify(attempts, &answered, &in_flight, &counts);
    ASSERT_NO_FATAL_FAILURE(StartServer());
    int64_t entries = 0;
    ASSERT_NO_FATAL_FAILURE(CheckAfterRestart(answered, in_flight, &counts, &entries));
    EXPECT_EQ(counts.other_faults, 0) << "calls failed with something other "
                                         "than a lost connection";
    std::printf(
        "cycle %d/%d: %d clients, kill after %d ms: %lld acked (%lld burned "
        "points, %lld refunds, %lld rewards, %lld batched, %lld refused), %lld "
        "in flight, %lld "
        "of them present; ledger %lld entries; %.2f s\n",
        cycle, cycles, clients, delay_ms, static_cast<long long>(counts.acked),
        static_cast<long long>(counts.burned),
        static_cast<long long>(counts.refunds),
        static_cast<long long>(counts.rewards),
        static_cast<long long>(counts.batched),
        static_cast<long long>(counts.refused),
        static_cast<long long>(counts.in_flight),
        static_cast<long long>(counts.in_flight_present),
        static_cast<long long>(entries),
        absl::ToDoubleSeconds(absl::Now() - start));
    std::fflush(stdout);
    totals->attempts += counts.attempts;
    totals->acked += counts.acked;
    totals->refused += counts.refused;
    totals->burned += counts.burned;
    totals->refunds += counts.refunds;
    totals->rewards += counts.rewards;
    totals->batched += counts.batched;
    totals->in_flight += counts.in_flight;
    totals->in_flight_present += counts.in_flight_present;
  }

  // A graceful stop (SIGTERM) ends with exit code 0, and what it leaves
  // checks out like the rest.
  void StopGracefullyAndCheck() {
    server_->Signal(SIGTERM);
    const auto ended = server_->WaitFor(kStopTimeout);
    ASSERT_TRUE(ended.has_value()) << "loyaltyd did not stop on SIGTERM";
    ASSERT_TRUE(ended->exited && ended->exit_code == 0) << ended->ToString();
    ASSERT_NO_FATAL_FAILURE(StartServer());
    CycleCounts counts;
    int64_t entries = 0;
    ASSERT_NO_FATAL_FAILURE(CheckAfterRestart({}, {}, &counts, &entries));
  }

  testing::TempDir dir_;
  uint64_t seed_ = 0;
  std::mt19937_64 random_;
  std::unique_ptr<testing::ChildProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  int starts_ = 0;
  std::string rules_path_;
  // Every request answered with success, and the transaction id it got.
  absl::flat_hash_map<std::string, int64_t> committed_;
  // Every request answered with a refusal (nothing recorded).
  absl::flat_hash_set<std::string> refused_;
  // Last balance a client saw per member: how much a sale may try to burn.
  std::array<std::atomic<int64_t>, kMembers> known_points_;
};

TEST_F(CrashTest, KillNineWhileCommittingRefundingAndRedeemingLosesAndDoublesNothing) {
  const int cycles = EnvInt("LOYALTY_CRASH_CYCLES", 20);
  const absl::Time start = absl::Now();
  CycleCounts totals;
  for (int cycle = 1; cycle <= cycles; ++cycle) {
    ASSERT_NO_FATAL_FAILURE(RunCycle(cycle, cycles, &totals)) << "cycle " << cycle;
  }
  ASSERT_NO_FATAL_FAILURE(StopGracefullyAndCheck());
  std::printf(
      "crash test total: %d cycles in %.1f s; %lld calls sent, %lld acked "
      "(%lld burned points, %lld refunds, %lld rewards, %lld batched, %lld "
      "refused), %lld in "
      "flight at a kill, %lld of them recorded; seed %llu\n",
      cycles, absl::ToDoubleSeconds(absl::Now() - start),
      static_cast<long long>(totals.attempts),
      static_cast<long long>(totals.acked),
      static_cast<long long>(totals.burned),
      static_cast<long long>(totals.refunds),
      static_cast<long long>(totals.rewards),
      static_cast<long long>(totals.batched),
      static_cast<long long>(totals.refused),
      static_cast<long long>(totals.in_flight),
      static_cast<long long>(totals.in_flight_present),
      static_cast<unsigned long long>(seed_));
  EXPECT_GT(totals.acked, cycles);
  // Over a few cycles every path is taken: burns, refusals, and kills that
  // catch calls in flight (8+ clients nearly always have some).
  if (cycles >= 5) {
    EXPECT_GT(totals.burned, 0);
    EXPECT_GT(totals.refunds, 0);
    EXPECT_GT(totals.rewards, 0);
    EXPECT_GT(totals.batched, 0);
    EXPECT_GT(totals.refused, 0);
    EXPECT_GT(totals.in_flight, 0);
  }
}

}  // namespace
}  // namespace loyalty
