// loyalty-bench: a load generator for loyaltyd. Phases: connect; enroll the
// members (idempotent); read the balances of a sample of members; run the
// mix (warm-up, then the measured window); let the calls in flight end;
// resend the commits whose outcome is unknown; read the sample again and
// check it against the answers; print the table (and JSON with --json).
//
// Exit status: 0 when the run completed and the balances are exact, 1 when
// they are not (or calls failed to drain), 2 on a usage or setup error.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "balance_book.h"
#include "connection.h"
#include "driver.h"
#include "enroller.h"
#include "options.h"
#include "report.h"
#include "verify.h"
#include "workload.h"

namespace loyalty_bench {
namespace {

constexpr absl::Duration kConnectTimeout = absl::Seconds(10);
// Calls in flight get their deadline plus this to end after the run.
constexpr absl::Duration kDrainSlack = absl::Seconds(5);

int Fail(const std::string& message) {
  std::fprintf(stderr, "loyalty-bench: %s\n", message.c_str());
  return 2;
}

// Warm-up, then the measured window, then the drain.
void RunLoad(const BenchOptions& options, Connection* connection,
             const MemberPicker& picker, BalanceBook* book, RunReport* report) {
  Recorder recorder;
  LoadDriver driver(options, connection, &picker, book, &recorder);
  driver.Start();
  absl::SleepFor(absl::Seconds(options.warmup_seconds));
  recorder.StartMeasuring();
  absl::SleepFor(absl::Seconds(options.duration_seconds));
  recorder.StopMeasuring();
  driver.Stop();
  report->drained = driver.WaitIdle(
      absl::Seconds(options.deadline_seconds) + kDrainSlack);
  report->skipped = driver.skipped();
  CollectResults(recorder, report);
}

bool WriteJson(const std::string& path, const RunReport& report) {
  std::ofstream file(path);
  file << FormatJson(report);
  return static_cast<bool>(file);
}

int Run(const BenchOptions& options) {
  Connection connection(options.server, options.channels, options.metadata);
  if (!connection.WaitConnected(kConnectTimeout)) {
    return Fail("cannot connect to " + options.server);
  }
  RunReport report;
  report.options = options;
  const bool progress = options.progress && isatty(STDERR_FILENO);
  if (options.enroll || options.enroll_only) {
    EnrollOptions enroll{options.members, options.member_prefix,
                         options.enroll_concurrency, 30, progress};
    auto enrolled = EnrollMembers(&connection, enroll);
    if (!enrolled.ok()) return Fail(std::string(enrolled.status().message()));
    report.enroll = *enrolled;
  }
  const bool commits = options.mix.weights[static_cast<int>(Kind::kCommit)] > 0;
  if (!options.enroll_only) {
    const MemberPicker picker(options.members, options.zipf);
    BalanceBook book(options.members);
    const auto sample =
        PickSample(options.members, commits ? options.verify_sample : 0);
    auto before = ReadBalances(&connection, options.member_prefix, sample);
    if (!before.ok()) return Fail(std::string(before.status().message()));
    RunLoad(options, &connection, picker, &book, &report);
    if (commits) {
      const int64_t resolved = ResolveUnknownCommits(&connection, &book);
      auto after = ReadBalances(&connection, options.member_prefix, sample);
      if (!after.ok()) return Fail(std::string(after.status().message()));
      report.verify =
          CompareBalances(*before, *after, book, options.member_prefix);
      report.verify->resolved_unknown = resolved;
    }
    report.commits_applied = book.commits_applied();
  }
  std::fputs(FormatTable(report).c_str(), stdout);
  if (!options.json_path.empty() && !WriteJson(options.json_path, report)) {
    return Fail("cannot write " + options.json_path);
  }
  const bool exact = !report.verify || report.verify->ok();
  return exact && report.drained ? 0 : 1;
}

}  // namespace
}  // namespace loyalty_bench

int main(int argc, char** argv) {
  const loyalty_bench::CommandLine command_line =
      loyalty_bench::ParseCommandLine(argc, argv);
  if (!command_line.run) {
    std::fputs(command_line.out.c_str(), stdout);
    std::fputs(command_line.err.c_str(), stderr);
    return command_line.exit_code;
  }
  return loyalty_bench::Run(command_line.options);
}
