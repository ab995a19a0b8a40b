#include "options.h"

#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bash_completion.h"
#include "engine/base/version.h"
#include "flag_spelling.h"

namespace loyalty_bench {
namespace {

constexpr const char* kKindNames[kKindCount] = {"commit", "quote", "balance",
                                                "health"};

constexpr char kAbout[] =
    "loyalty-bench drives loyaltyd with a mix of checkout calls and reports\n"
    "throughput and latency per call kind, then checks that the balances of\n"
    "a sample of members equal what the commits it received add up to.";

constexpr char kFooter[] =
    "Flags take dashes; underscores (--max_in_flight) work too.\n"
    "Bash completion of the flags: source <(loyalty-bench --completion bash)\n"
    "Exit status: 0 balances exact, 1 not (or calls did not drain), 2 usage "
    "or setup error.";

// A decimal number (1e5 is 100000) within [min, max].
CLI::Validator NumberIn(double min, double max) {
  return CLI::Validator(
      [min, max](std::string& text) {
        double value = 0;
        if (absl::SimpleAtod(text, &value) && value >= min && value <= max) {
          return std::string();
        }
        return absl::StrCat("'", text, "' is not a number in [", min, ", ", max,
                            "]");
      },
      "", "NumberIn");
}

// A number flag, read by NumberIn and stored in `field`'s type.
template <typename Number>
void AddNumber(CLI::App* app, const std::string& name, Number* field,
               double min, double max, const std::string& help) {
  app->add_option_function<double>(
         name,
         [field](const double& value) { *field = static_cast<Number>(value); },
         help)
      ->check(NumberIn(min, max))
      ->type_name("N");
}

const CLI::Validator& NonEmpty() {
  static const auto* const validator = new CLI::Validator(
      [](std::string& text) {
        return text.empty() ? std::string("is empty") : std::string();
      },
      "", "NonEmpty");
  return *validator;
}

void AddText(CLI::App* app, const std::string& name, std::string* field,
             const std::string& value_name, const std::string& help) {
  app->add_option(name, *field, help)->check(NonEmpty())->type_name(value_name);
}

// "x-api-key=secret", one per --metadata.
void AddMetadata(CLI::App* app, BenchOptions* options) {
  app->add_option_function<std::vector<std::string>>(
         "--metadata",
         [options](const std::vector<std::string>& texts) {
           for (const std::string& text : texts) {
             const size_t eq = text.find('=');
             if (eq == 0 || eq == std::string::npos) {
               throw CLI::ValidationError("--metadata",
                                          "'" + text + "' is not NAME=VALUE");
             }
             options->metadata.emplace_back(text.substr(0, eq),
                                            text.substr(eq + 1));
           }
         },
         "NAME=VALUE sent with every call; repeatable")
      ->type_name("NAME=VALUE")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

void AddMix(CLI::App* app, BenchOptions* options) {
  app->add_option_function<std::string>(
         "--mix",
         [options](const std::string& text) {
           auto mix = ParseMix(text);
           if (!mix.ok()) {
             throw CLI::ValidationError(std::string(mix.status().message()));
           }
           options->mix = *mix;
         },
         "weights: commit=70,quote=20,balance=10 or health=100")
      ->type_name("KIND=W,...");
}

// The load: where, how many callers, which calls.
void AddLoadFlags(CLI::App* app, BenchOptions* o) {
  AddText(app, "--server", &o->server, "HOST:PORT",
          "HOST:PORT of loyaltyd (127.0.0.1:50051)");
  AddMetadata(app, o);
  AddNumber(app, "--channels", &o->channels, 1, 64,
            "HTTP/2 connections to spread calls over (4)");
  AddNumber(app, "--concurrency", &o->concurrency, 1, 100000,
            "closed loop: concurrent callers (64)");
  AddNumber(app, "--rate", &o->rate, 0, 1e7,
            "open loop: calls started per second; 0 = closed loop (0)");
  AddNumber(app, "--max-in-flight", &o->max_in_flight, 1, 1e6,
            "open loop: calls beyond this are skipped (8192)");
  AddMix(app, o);
  AddNumber(app, "--members", &o->members, 1, 1e8,
            "members to use, enrolled first (10000)");
  AddNumber(app, "--zipf", &o->zipf, 0, 10,
            "popularity exponent S; 0 = uniform (0)");
  AddNumber(app, "--redeem-percent", &o->redeem_percent, 0, 100,
            "share of commits that burn points (20)");
  AddNumber(app, "--batch", &o->batch, 0, 500,
            "sales per commit call: 0 sends CommitPurchase, N sends "
            "CommitPurchases of N sales; commits are counted per sale, each "
            "with its call's latency (0)");
}

// The run's phases and what it reports.
void AddRunFlags(CLI::App* app, BenchOptions* o) {
  AddNumber(app, "--warmup", &o->warmup_seconds, 0, 3600,
            "seconds of load before measuring (5)");
  AddNumber(app, "--duration", &o->duration_seconds, 0.1, 86400,
            "seconds measured (20)");
  AddNumber(app, "--deadline", &o->deadline_seconds, 0.001, 600,
            "deadline of every call, seconds (5)");
  AddNumber(app, "--enroll-concurrency", &o->enroll_concurrency, 1, 10000,
            "calls in flight while enrolling (64)");
  AddText(app, "--member-prefix", &o->member_prefix, "PREFIX",
          "member ids are PREFIX-N (bench)");
  AddNumber(app, "--verify-sample", &o->verify_sample, 0, 1e7,
            "members whose balance is checked after (1000)");
  AddText(app, "--json", &o->json_path, "FILE",
          "write the results as JSON to FILE");
  app->add_flag("--enroll-only", o->enroll_only,
                "enroll the members, report, and exit");
  app->add_flag_callback(
      "--no-enroll", [o] { o->enroll = false; },
      "skip enrollment (the members exist already)");
  app->add_flag_callback(
      "--no-progress", [o] { o->progress = false; }, "no live progress line");
}
}  // namespace

const char* KindName(Kind kind) { return kKindNames[static_cast<int>(kind)]; }

int Mix::Total() const {
  int total = 0;
  for (int weight : weights) total += weight;
  return total;
}

std::string Mix::ToString() const {
  std::vector<std::string> parts;
  for (int i = 0; i < kKindCount; ++i) {
    if (weights[i] > 0) parts.push_back(absl::StrCat(kKindNames[i], "=", weights[i]));
  }
  return absl::StrJoin(parts, ",");
}

absl::StatusOr<Mix> ParseMix(const std::string& text) {
  Mix mix;
  mix.weights.fill(0);
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(part, '=');
    int kind = 0;
    while (kind < kKindCount && kv.first != kKindNames[kind]) ++kind;
    int weight = 0;
    if (kind == kKindCount || !absl::SimpleAtoi(kv.second, &weight) ||
        weight < 0 || weight > 1000000) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--mix: '", part, "' is not KIND=WEIGHT with KIND one of "
          "commit, quote, balance, health"));
    }
    mix.weights[kind] = weight;
  }
  if (mix.Total() == 0) {
    return absl::InvalidArgumentError("--mix: give at least one weight above 0");
  }
  return mix;
}

CommandLine ParseCommandLine(int argc, const char* const* argv) {
  CommandLine result;
  CLI::App app(kAbout, "loyalty-bench");
  app.set_help_flag("-h,--help", "print this help and exit");
  app.set_version_flag("--version",
                       absl::StrCat("loyalty-bench ", loyalty::BuildVersion()),
                       "print the version of this build and exit");
  app.footer(kFooter);
  AddLoadFlags(&app, &result.options);
  AddRunFlags(&app, &result.options);
  std::string completion;
  app.add_option("--completion", completion,
                 "print the completion script of SHELL (bash) and exit")
      ->check(CLI::IsMember({"bash"}))
      ->type_name("SHELL");
  try {
    std::vector<std::string> args = loyalty_cli::DashedArgsReversed(argc, argv);
    app.parse(args);
  } catch (const CLI::CallForHelp&) {
    result.out = app.help();
    return result;
  } catch (const CLI::CallForVersion& version) {
    result.out = absl::StrCat(version.what(), "\n");
    return result;
  } catch (const CLI::ParseError& error) {
    result.err =
        absl::StrCat("loyalty-bench: ", error.what(), "\n", app.help());
    result.exit_code = 2;
    return result;
  }
  if (!completion.empty()) {
    result.out = loyalty_cli::BashCompletion(app, "loyalty-bench");
    return result;
  }
  result.run = true;
  return result;
}
}  // namespace loyalty_bench
