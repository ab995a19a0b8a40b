// libFuzzer target for the request handlers: the first byte picks a request
// type (enroll, commit, quote, history, feedback, metrics, refund, adjust,
// reward, balance, maintenance run, member), the rest is decoded as that protobuf message and run against one
// in-process engine (real ledger on RocksDB, real evaluator). Any crash,
// sanitizer report or broken ledger invariant (checked by a full audit every
// kAuditEvery inputs) is a finding.
//
// With LOYALTY_FUZZ_SEEDS=DIR set, LLVMFuzzerInitialize writes a few valid
// requests into DIR to seed the corpus.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "engine/analytics/metrics.h"
#include "engine/evaluator/rule_file.h"
#include "engine/ledger/ledger.h"
#include "engine/program/operations.h"

namespace {

using namespace loyalty;  // NOLINT: a fuzz target, not a library

constexpr int kAuditEvery = 500;
constexpr int kMembers = 8;

template <typename Response, typename Call>
void Wait(Call call) {
  absl::Notification done;
  call([&](absl::StatusOr<Response>) { done.Notify(); });
  done.WaitForNotification();
}

struct Engine {
  Engine() {
    const char* shm = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
    dir = absl::StrCat(shm, "/loyalty-fuzz-", getpid());
    std::filesystem::remove_all(dir);
    ledger::LedgerOptions options;
    options.data_dir = dir;
    options.clock = &clock;
    ledger = *ledger::Ledger::Open(options);
    auto rule_set = evaluator::ParseRuleFile(
        "fuzz.yaml",
        "program: {id: fuzz, currency: EUR, point_value_minor: 1}\n"
        "earn: {points: 1, per_minor: 100, rounding: half_even, "
        "cashback_basis_points: 300}\n"
        "burn: {max_basket_share_percent: 70, earned_points_pay_same_order: false}\n"
        // Time moves points quickly: one input is one second.
        "points: {pending_days: 1, lifetime_days: 3}\n"
        "tiers:\n  measure: spend\n  window: rolling\n  window_days: 2\n"
        "  grace_days: 1\n  levels:\n"
        "    - {id: base, threshold: 0}\n"
        "    - {id: gold, threshold: 50.00, benefits: {earn_multiplier_percent: 150, "
        "discount_percent: 5, cashback_basis_points: 100, perks: [lounge]}}\n"
        "rewards:\n  - {id: mug, description: A mug, points: 20, stock: 50}\n"
        "birthday: {points: 30, when: week}\n");
    rules = *evaluator::CompiledRules::Compile(*rule_set);
    operations = std::make_unique<program::Operations>(ledger.get(), rules, &clock);
    for (int m = 0; m < kMembers; ++m) {
      v1::EnrollMemberRequest request;
      request.set_request_id(absl::StrCat("seed-enroll-", m));
      request.mutable_profile()->set_member_id(absl::StrCat("m", m));
      Wait<v1::EnrollMemberResponse>(
          [&](auto reply) { operations->EnrollMember(request, std::move(reply)); });
    }
  }

  void Audit() {
    auto report = ledger->Audit();
    if (!report.ok() || !report->ok()) {
      std::fprintf(stderr, "ledger invariant broken: %s\n",
                   report.ok() ? report->problem.c_str()
                               : std::string(report.status().message()).c_str());
      std::abort();
    }
  }

  std::string dir;
  ManualClock clock{absl::FromUnixSeconds(1767225600)};
  std::unique_ptr<ledger::Ledger> ledger;
  std::shared_ptr<const evaluator::CompiledRules> rules;
  std::unique_ptr<program::Operations> operations;
  int runs = 0;
};

Engine& TheEngine() {
  static Engine* engine = new Engine();
  return *engine;
}

template <typename Request>
bool Decode(const uint8_t* data, size_t size, Request* request) {
  return request->ParseFromArray(data, static_cast<int>(size));
}

void RunOne(Engine& engine, uint8_t kind, const uint8_t* data, size_t size) {
  program::Operations& ops = *engine.operations;
  switch (kind % 12) {
    case 0: {
      v1::EnrollMemberRequest r;
      if (Decode(data, size, &r)) {
        Wait<v1::EnrollMemberResponse>([&](auto reply) { ops.EnrollMember(r, std::move(reply)); });
      }
      return;
    }
    case 1: {
      v1::CommitPurchaseRequest r;
      if (Decode(data, size, &r)) {
        Wait<v1::CommitPurchaseResponse>([&](auto reply) { ops.CommitPurchase(r, std::move(reply)); });
      }
      return;
    }
    case 2: {
      v1::QuotePurchaseRequest r;
      if (Decode(data, size, &r)) (void)ops.QuotePurchase(r);
      return;
    }
    case 3: {
      v1::ListEntriesRequest r;
      if (Decode(data, size, &r)) (void)ops.ListEntries(r);
      return;
    }
    case 4: {
      v1::RecordFeedbackRequest r;
      if (Decode(data, size, &r)) {
        Wait<v1::RecordFeedbackResponse>([&](auto reply) { ops.RecordFeedback(r, std::move(reply)); });
      }
      return;
    }
    case 5: {
      v1::GetProgramMetricsRequest r;
      if (Decode(data, size, &r)) {
        (void)analytics::ComputeMetrics(*engine.ledger, engine.rules->rule_set(), r,
                                        engine.clock.Now());
      }
      return;
    }
    case 6: {
      v1::RefundPurchaseRequest r;
      if (Decode(data, size, &r)) {
        Wait<v1::RefundPurchaseResponse>([&](auto reply) { ops.RefundPurchase(r, std::move(reply)); });
      }
      return;
    }
    case 7: {
      v1::AdjustBalanceRequest r;
      if (Decode(data, size, &r)) {
        Wait<v1::AdjustBalanceResponse>([&](auto reply) { ops.AdjustBalance(r, std::move(reply)); });
      }
      return;
    }
    case 8: {
      v1::RedeemRewardRequest r;
      if (Decode(data, size, &r)) {
        Wait<v1::RedeemRewardResponse>([&](auto reply) { ops.RedeemReward(r, std::move(reply)); });
      }
      return;
    }
    case 9: {
      v1::GetBalanceRequest r;
      if (Decode(data, size, &r)) (void)ops.GetBalance(r);
      return;
    }
    case 10: {
      v1::RunExpiryRequest r;
      if (Decode(data, size, &r)) {
        (void)ops.RunExpiry(r, [](const v1::RunExpiryResponse&) {});
      }
      return;
    }
    default: {
      v1::GetMemberRequest r;
      if (Decode(data, size, &r)) (void)ops.GetMember(r);
      return;
    }
  }
}

void WriteSeed(const std::string& dir, int index, uint8_t kind,
               const google::protobuf::Message& message) {
  std::ofstream file(absl::StrCat(dir, "/seed-", index), std::ios::binary);
  file.put(static_cast<char>(kind));
  file << message.SerializeAsString();
}

void WriteSeeds(const std::string& dir) {
  std::filesystem::create_directories(dir);
  v1::CommitPurchaseRequest commit;
  commit.set_request_id("r1");
  auto* purchase = commit.mutable_purchase();
  purchase->set_member_id("m1");
  purchase->set_order_id("o1");
  purchase->set_currency("EUR");
  purchase->set_redeem_points(3);
  purchase->set_use_cashback_minor(2);
  auto* line = purchase->add_lines();
  line->set_sku("a");
  line->set_quantity(2);
  line->set_unit_price_minor(1250);
  WriteSeed(dir, 1, 1, commit);
  v1::QuotePurchaseRequest quote;
  *quote.mutable_purchase() = *purchase;
  WriteSeed(dir, 2, 2, quote);
  v1::EnrollMemberRequest enroll;
  enroll.set_request_id("e1");
  enroll.mutable_profile()->set_member_id("m9");
  enroll.mutable_profile()->set_birth_date("1990-02-28");
  WriteSeed(dir, 3, 0, enroll);
  v1::RecordFeedbackRequest feedback;
  feedback.set_request_id("f1");
  feedback.mutable_feedback()->set_survey(v1::SURVEY_KIND_NPS);
  feedback.mutable_feedback()->set_score(9);
  WriteSeed(dir, 4, 4, feedback);
  v1::ListEntriesRequest list;
  list.set_member_id("m1");
  list.set_page_size(3);
  WriteSeed(dir, 5, 3, list);
  v1::RefundPurchaseRequest refund;
  refund.set_request_id("rf1");
  refund.set_order_id("o1");
  WriteSeed(dir, 6, 6, refund);
  v1::AdjustBalanceRequest adjust;
  adjust.set_request_id("a1");
  adjust.set_member_id("m1");
  adjust.set_points(40);
  adjust.set_reason_code("GOODWILL");
  WriteSeed(dir, 7, 7, adjust);
  v1::RedeemRewardRequest redeem;
  redeem.set_request_id("rr1");
  redeem.set_member_id("m1");
  redeem.set_reward_id("mug");
  WriteSeed(dir, 8, 8, redeem);
  v1::GetBalanceRequest balance;
  balance.set_member_id("m1");
  WriteSeed(dir, 9, 9, balance);
  v1::RunExpiryRequest expiry;
  expiry.set_request_id("x1");
  WriteSeed(dir, 10, 10, expiry);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  if (const char* seeds = std::getenv("LOYALTY_FUZZ_SEEDS")) WriteSeeds(seeds);
  TheEngine();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Engine& engine = TheEngine();
  engine.clock.Advance(absl::Seconds(1));
  RunOne(engine, data[0], data + 1, size - 1);
  if (++engine.runs % kAuditEvery == 0) engine.Audit();
  return 0;
}
