// loyaltyd: the loyalty engine's server. Opens the ledger in --data_dir,
// loads --rules, serves gRPC on --listen until SIGINT or SIGTERM, then
// finishes the calls in flight and exits. Runs the maintenance run every
// --upkeep_every.
#include <sys/stat.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "engine/server/data_dir.h"
#include "engine/server/server.h"

ABSL_FLAG(std::string, data_dir, "var/loyalty",
          "Directory of the ledger's RocksDB database; created if missing, "
          "mode 0700 (refused when group or others can write it).");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "Address to serve gRPC on (plain text: keep it on loopback).");
ABSL_FLAG(std::string, rules, "rules/default.yaml",
          "Rule file (YAML) that prices purchases; see rules/README.md.");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain of the server: turns TLS on.");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of the server.");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA that client certificates must be signed by (mTLS).");
ABSL_FLAG(bool, plaintext, false,
          "Serve without TLS; allowed only on a loopback address.");
ABSL_FLAG(std::string, auth, "keys",
          "'keys': callers send an API key in x-api-key (see loyaltyctl key); "
          "'none': no keys, every caller is admin (needs --plaintext).");
ABSL_FLAG(std::string, admin_key_file, "",
          "Where the first admin key is written at first start "
          "(default: <data_dir>/ADMIN_KEY).");

ABSL_FLAG(absl::Duration, upkeep_every, absl::Hours(1),
          "How often the maintenance run (Program.RunExpiry: pending points "
          "released, expired points moved to breakage, birthday gifts, tier "
          "reviews) runs on its own, the first time one interval after start; "
          "0 turns the schedule off.");

ABSL_FLAG(absl::Duration, shutdown_timeout, absl::Seconds(10),
          "How long SIGINT or SIGTERM waits for the calls in flight to finish "
          "before it cancels them. An export or a maintenance run in progress "
          "ends at its next page instead (UNAVAILABLE).");

namespace {

std::atomic<bool> fatal_error{false};

// Runs the maintenance run every `every` until `stop` is notified.
void ScheduleUpkeep(loyalty::program::Operations* operations, absl::Duration every,
                    absl::Notification* stop, std::atomic<bool>* stopping) {
  while (!stop->WaitForNotificationWithTimeout(every)) {
    loyalty::v1::RunExpiryRequest request;
    request.set_request_id("scheduled");
    const absl::Time start = absl::Now();
    auto result = operations->RunExpiry(
        request, [](const loyalty::v1::RunExpiryResponse&) {}, stopping);
    if (!result.ok()) {
      std::printf("loyaltyd: maintenance run failed: %s\n",
                  std::string(result.status().message()).c_str());
    } else {
      std::printf(
          "loyaltyd: maintenance run: %lld members in %s, %lld changed, %lld points "
          "released, %lld expired, %lld birthday points, %lld tiers lowered\n",
          static_cast<long long>(result->members_scanned()),
          absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(1))).c_str(),
          static_cast<long long>(result->members_changed()),
          static_cast<long long>(result->points_released()),
          static_cast<long long>(result->points_expired()),
          static_cast<long long>(result->birthday_points()),
          static_cast<long long>(result->tiers_lowered()));
    }
    std::fflush(stdout);
  }
}

bool IsLoopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address.rfind("localhost:", 0) == 0 ||
         address.rfind("[::1]:", 0) == 0;
}

// The transport and auth settings from the flags, or why they do not fit.
absl::Status ApplySecurityFlags(loyalty::server::ServerOptions* options) {
  const bool plaintext = absl::GetFlag(FLAGS_plaintext);
  const std::string auth = absl::GetFlag(FLAGS_auth);
  if (auth != "keys" && auth != "none") {
    return absl::InvalidArgumentError("--auth must be 'keys' or 'none'");
  }
  if (!absl::GetFlag(FLAGS_tls_cert_file).empty()) {
    if (plaintext) return absl::InvalidArgumentError("--plaintext and TLS files both given");
    options->tls = loyalty::server::TlsFiles{absl::GetFlag(FLAGS_tls_cert_file),
                                             absl::GetFlag(FLAGS_tls_key_file),
                                             absl::GetFlag(FLAGS_tls_client_ca_file)};
  } else if (!plaintext) {
    return absl::InvalidArgumentError(
        "give --tls_cert_file and --tls_key_file, or --plaintext on loopback");
  } else if (!IsLoopback(options->listen_address)) {
    return absl::InvalidArgumentError(
        "--plaintext is allowed only on a loopback address (127.0.0.1, [::1])");
  }
  if (auth == "none" && !plaintext) {
    return absl::InvalidArgumentError("--auth=none needs --plaintext on loopback");
  }
  options->require_api_keys = auth == "keys";
  options->admin_key_file = absl::GetFlag(FLAGS_admin_key_file);
  return absl::OkStatus();
}

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
  // The data dir holds personal data: whatever loyaltyd creates (the dir,
  // RocksDB's files, ADMIN_KEY, backups) is its owner's only.
  umask(loyalty::server::kPrivateUmask);
  absl::SetProgramUsageMessage(
      "loyaltyd serves the loyalty engine over gRPC.\n"
      "Usage: loyaltyd [--data_dir DIR] [--listen HOST:PORT] [--rules FILE]\n"
      "  (--tls_cert_file F --tls_key_file F [--tls_client_ca_file F] | "
      "--plaintext) [--auth keys|none]");
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
  if (absl::Status flags = ApplySecurityFlags(&options); !flags.ok()) {
    std::fprintf(stderr, "loyaltyd: refusing to start: %s\n",
                 std::string(flags.message()).c_str());
    return 2;
  }
  auto prepared = loyalty::server::PrepareDataDir(options.data_dir);
  if (!prepared.ok()) {
    std::fprintf(stderr, "loyaltyd: refusing to start: %s\n",
                 std::string(prepared.status().message()).c_str());
    return 2;
  }
  if (!prepared->empty()) std::printf("loyaltyd: %s\n", prepared->c_str());
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
  const auto active = (*server)->operations().rules();
  std::printf(
      "loyaltyd listening on %s (port %d); rules '%s' version %s active; "
      "%lld members; data in %s\n",
      options.listen_address.c_str(), (*server)->port(),
      active->rule_set().program().program_id().c_str(),
      active->version().c_str(),
      static_cast<long long>((*server)->ledger().Head().member_count()),
      options.data_dir.c_str());
  if (active->version() != rule_set.version()) {
    std::printf(
        "loyaltyd: %s (version %s) is stored already; version %s, loaded "
        "later, stays active (see loyaltyctl rules show)\n",
        rule_set.source_name().c_str(), rule_set.version().c_str(),
        active->version().c_str());
  }
  std::fflush(stdout);

  absl::Notification stop_upkeep;
  std::atomic<bool> stopping{false};
  std::thread upkeep;
  const absl::Duration every = absl::GetFlag(FLAGS_upkeep_every);
  if (every > absl::ZeroDuration()) {
    upkeep = std::thread(ScheduleUpkeep, &(*server)->operations(), every,
                         &stop_upkeep, &stopping);
  }

  int received = 0;
  sigwait(&signals, &received);
  std::printf("loyaltyd: %s received, finishing calls in flight\n",
              received == SIGINT ? "SIGINT" : "SIGTERM");
  std::fflush(stdout);
  stopping = true;
  stop_upkeep.Notify();
  if (upkeep.joinable()) upkeep.join();
  (*server)->Shutdown(absl::GetFlag(FLAGS_shutdown_timeout));
  std::printf("loyaltyd: stopped\n");
  return fatal_error ? 1 : 0;
}
