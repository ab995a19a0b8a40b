// A loyalty program on a real ledger in a temporary directory, with a clock
// the test moves: what the program-layer tests share.
#ifndef LOYALTY_TESTS_SUPPORT_PROGRAM_FIXTURE_H_
#define LOYALTY_TESTS_SUPPORT_PROGRAM_FIXTURE_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "engine/base/clock.h"
#include "engine/evaluator/evaluator.h"
#include "engine/ledger/ledger.h"
#include "engine/program/operations.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace loyalty::testing {

// 2026-01-01 00:00 UTC, where the fixture's clock starts.
inline const absl::Time kProgramStart = absl::FromUnixSeconds(1767225600);

class ProgramFixture : public ::testing::Test {
 protected:
  // Opens the ledger and the operations that price with `rules`.
  void OpenProgram(std::shared_ptr<const evaluator::CompiledRules> rules) {
    ledger::LedgerOptions options;
    options.data_dir = dir_.Sub("ledger");
    options.clock = &clock_;
    auto opened = ledger::Ledger::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    ledger_ = *std::move(opened);
    operations_ =
        std::make_unique<program::Operations>(ledger_.get(), std::move(rules), &clock_);
  }

  // The same from a rule set; a refused one fails the test.
  void OpenProgram(const loyalty::v1::RuleSet& rule_set) {
    auto rules = evaluator::CompiledRules::Compile(rule_set);
    ASSERT_TRUE(rules.ok()) << rules.status();
    OpenProgram(*std::move(rules));
  }

  // The balance of a program-level account, 0 when it never moved.
  int64_t ProgramAccount(const std::string& account, const std::string& asset = "PTS") {
    auto balances = ledger_->ReadProgramBalances();
    EXPECT_TRUE(balances.ok()) << balances.status();
    if (!balances.ok()) return 0;
    auto it = balances->find({account, asset});
    return it == balances->end() ? 0 : it->second;
  }

  // The whole ledger passes its audit.
  void ExpectAuditClean() {
    auto report = ledger_->Audit();
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->ok()) << report->problem;
  }

  TempDir dir_;
  ManualClock clock_{kProgramStart};
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<program::Operations> operations_;
};

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SUPPORT_PROGRAM_FIXTURE_H_
