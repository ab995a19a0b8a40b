// loyaltyd: the loyalty engine's server. Opens the ledger in --data_dir,
// loads --rules, serves gRPC on --listen until SIGINT or SIGTERM, then
// finishes the calls in flight and exits.
#include <csignal>
#include <cstdio>
#include <atomic>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "engine/server/server.h"

ABSL_FLAG(std::string, data_dir, "var/loyalty",
          "Directory of the ledger's RocksDB database; created if missing.");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "Address to serve gRPC on (plain text: keep it on loopback).");
ABSL_FLAG(std::string, rules, "rules/default.yaml",
          "Rule file (YAML) that prices purchases; see rules/README.md.");

namespace {

std::atomic<bool> fatal_error{false};

// Blocks the stop signals in every thread, so that main can wait for them.
sigset_t StopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "loyaltyd serves the loyalty engine over gRPC.\n"
      "Usage: loyaltyd [--data_dir DIR] [--listen HOST:PORT] [--rules FILE]");
  absl::ParseCommandLine(argc, argv);
  const sigset_t signals = StopSignals();  // before any thread starts

  auto rules = loyalty::server::LoadRuleFile(absl::GetFlag(FLAGS_rules));
  if (!rules.ok()) {
    std::fprintf(stderr, "loyaltyd: refusing to start: %s\n",
                 std::string(rules.status().message()).c_str());
    return 2;
  }
  loyalty::server::ServerOptions options;
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.rules = *rules;
  options.on_fatal = [](const absl::Status& cause) {
    std::fprintf(stderr, "loyaltyd: fatal: %s; stopping\n",
                 std::string(cause.message()).c_str());
    fatal_error = true;
    kill(getpid(), SIGTERM);
  };
  auto server = loyalty::server::LoyaltyServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "loyaltyd: refusing to start: %s\n",
                 std::string(server.status().message()).c_str());
    return 2;
  }
  const auto& rule_set = (*rules)->rule_set();
  std::printf(
      "loyaltyd listening on %s (port %d); rules '%s' version %s from %s; "
      "%lld members; data in %s\n",
      options.listen_address.c_str(), (*server)->port(),
      rule_set.program().program_id().c_str(), rule_set.version().c_str(),
      rule_set.source_name().c_str(),
      static_cast<long long>((*server)->ledger().Head().member_count()),
      options.data_dir.c_str());
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  std::printf("loyaltyd: %s received, finishing calls in flight\n",
              received == SIGINT ? "SIGINT" : "SIGTERM");
  std::fflush(stdout);
  (*server)->Shutdown(absl::Seconds(10));
  std::printf("loyaltyd: stopped\n");
  return fatal_error ? 1 : 0;
}
