// Command line of loyalty-bench: every knob of one run, read with CLI11
// (Debian's libcli11-dev) into an option struct. A flag is "--name VALUE" or
// "--name=VALUE"; a switch is "--name". Flags are spelled with dashes;
// underscores (--max_in_flight) are read as dashes (tools/cli).
#ifndef LOYALTY_TOOLS_LOYALTY_BENCH_OPTIONS_H_
#define LOYALTY_TOOLS_LOYALTY_BENCH_OPTIONS_H_

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace loyalty_bench {

// The RPCs the load phase can send.
enum class Kind { kCommit = 0, kQuote, kBalance, kHealth };
inline constexpr int kKindCount = 4;

// "commit", "quote", "balance", "health".
const char* KindName(Kind kind);

// Relative weights of the kinds, as given by --mix; they need not sum to 100.
struct Mix {
  std::array<int, kKindCount> weights = {70, 20, 10, 0};
  int Total() const;
  std::string ToString() const;  // "commit=70,quote=20,balance=10"
};

struct BenchOptions {
  std::string server = "127.0.0.1:50051";
  // Sent with every call, e.g. an API key: "x-api-key=secret".
  std::vector<std::pair<std::string, std::string>> metadata;
  int channels = 4;         // HTTP/2 connections the calls are spread over
  int concurrency = 64;     // closed loop: callers, each one call at a time
  double rate = 0;          // open loop when > 0: calls started per second
  int max_in_flight = 8192; // open loop: calls beyond it are skipped, counted
  Mix mix;
  int64_t members = 10000;
  double zipf = 0;          // popularity exponent; 0 is uniform
  int basket_min_lines = 1;
  int basket_max_lines = 20;
  int redeem_percent = 20;  // share of commits that also burn points
  // Sales per commit call: 0 sends CommitPurchase, N sends CommitPurchases
  // of N sales (each counted as one commit, with its call's latency).
  int batch = 0;
  double warmup_seconds = 5;
  double duration_seconds = 20;
  double deadline_seconds = 5;  // deadline of every load call
  bool enroll = true;           // enroll the members first (idempotent)
  bool enroll_only = false;     // enroll, report, exit
  int enroll_concurrency = 64;
  std::string member_prefix = "bench";
  int verify_sample = 1000;     // members whose balance is checked after
  std::string json_path;        // write the results as JSON here
  bool progress = true;         // live line on stderr when it is a terminal
};

// What the command line asked for: a run with `options`, or only text to
// print (--help, --version, --completion bash on stdout; a refused command
// line on stderr) and the exit status.
struct CommandLine {
  bool run = false;  // true: run with `options`
  BenchOptions options;
  std::string out;    // printed on stdout when not running
  std::string err;    // printed on stderr when not running
  int exit_code = 0;  // 0 after help/version/completion, 2 refused
};

// Reads argv. A refusal is one short line naming the flag, then the usage.
CommandLine ParseCommandLine(int argc, const char* const* argv);

// Parses "commit=70,quote=20,balance=10".
absl::StatusOr<Mix> ParseMix(const std::string& text);

}  // namespace loyalty_bench

#endif  // LOYALTY_TOOLS_LOYALTY_BENCH_OPTIONS_H_
