// The real loyaltyd binary run by a test: argument list, start-up (waiting
// for the "(port N)" line), and what it wrote. Shared by the crash test and
// the start-up refusal test.
#ifndef LOYALTY_TESTS_CRASH_LOYALTYD_PROCESS_H_
#define LOYALTY_TESTS_CRASH_LOYALTYD_PROCESS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/crash/child_process.h"

namespace loyalty::testing {

inline std::string DefaultRulesPath() {
  return std::string(LOYALTY_SOURCE_DIR) + "/rules/default.yaml";
}

// loyaltyd on loopback, plain text, no API keys (local development mode),
// with a port the kernel picks.
inline std::vector<std::string> LoyaltydArgs(const std::string& data_dir,
                                             const std::string& rules_path) {
  return {LOYALTYD_PATH,
          "--data_dir=" + data_dir,
          "--rules=" + rules_path,
          "--listen=127.0.0.1:0",
          "--plaintext",
          "--auth=none"};
}

// The port from loyaltyd's start-up line "... (port N); ...", or 0.
inline int ParsePort(const std::string& output) {
  const size_t at = output.find("(port ");
  if (at == std::string::npos) return 0;
  const size_t end = output.find(')', at);
  if (end == std::string::npos) return 0;
  int port = 0;
  if (!absl::SimpleAtoi(output.substr(at + 6, end - at - 6), &port)) return 0;
  return port;
}

// The HTTP port from "loyaltyd: HTTP/JSON API on http://... (port N); ...",
// or 0.
inline int HttpPort(const std::string& output) {
  const size_t line = output.find("HTTP/JSON API on http");
  if (line == std::string::npos) return 0;
  return ParsePort(output.substr(line));
}

// A started loyaltyd and the port it serves on.
struct RunningLoyaltyd {
  std::unique_ptr<ChildProcess> process;
  int port = 0;
};

// Starts loyaltyd with `args` and waits (at most `timeout`) for its
// start-up line. An error carries what it wrote to stderr when it stopped
// or never got there.
inline absl::StatusOr<RunningLoyaltyd> StartLoyaltyd(
    const std::vector<std::string>& args, const std::string& log_prefix,
    absl::Duration timeout = absl::Seconds(60)) {
  auto started = ChildProcess::Start(args, log_prefix + ".out", log_prefix + ".err");
  if (!started.ok()) return started.status();
  RunningLoyaltyd running{*std::move(started), 0};
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    running.port = ParsePort(ReadWholeFile(running.process->stdout_path()));
    if (running.port != 0) return running;
    if (auto ended = running.process->Poll(); ended.has_value()) {
      return absl::UnavailableError(absl::StrCat(
          "loyaltyd ended at start (", ended->ToString(), "): ",
          ReadWholeFile(running.process->stderr_path())));
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  running.process->Kill();
  return absl::DeadlineExceededError(absl::StrCat(
      "loyaltyd printed no start-up line in ", absl::FormatDuration(timeout),
      "; stderr: ", ReadWholeFile(running.process->stderr_path())));
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_CRASH_LOYALTYD_PROCESS_H_
