#include "options.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace loyalty_bench {
namespace {

constexpr const char* kKindNames[kKindCount] = {"commit", "quote", "balance",
                                                "health"};

// One flag: how to read its value into the options. A switch (no value)
// has `takes_value` false and gets an empty text.
struct FlagSpec {
  const char* name;
  const char* help;
  bool takes_value;
  std::function<bool(const std::string&, BenchOptions*)> set;
};

template <typename Number>
std::function<bool(const std::string&, BenchOptions*)> NumberFlag(
    Number BenchOptions::*field, double min, double max) {
  return [field, min, max](const std::string& text, BenchOptions* options) {
    double value = 0;
    if (!absl::SimpleAtod(text, &value) || value < min || value > max) {
      return false;
    }
    options->*field = static_cast<Number>(value);
    return true;
  };
}

std::function<bool(const std::string&, BenchOptions*)> TextFlag(
    std::string BenchOptions::*field) {
  return [field](const std::string& text, BenchOptions* options) {
    options->*field = text;
    return !text.empty();
  };
}

std::function<bool(const std::string&, BenchOptions*)> Switch(
    bool BenchOptions::*field, bool value) {
  return [field, value](const std::string&, BenchOptions* options) {
    options->*field = value;
    return true;
  };
}

const std::vector<FlagSpec>& Flags() {
  using O = BenchOptions;
  static const auto* flags = new std::vector<FlagSpec>{
      {"server", "HOST:PORT of loyaltyd (127.0.0.1:50051)", true,
       TextFlag(&O::server)},
      {"metadata", "NAME=VALUE sent with every call; repeatable", true,
       [](const std::string& text, O* options) {
         const size_t eq = text.find('=');
         if (eq == 0 || eq == std::string::npos) return false;
         options->metadata.emplace_back(text.substr(0, eq), text.substr(eq + 1));
         return true;
       }},
      {"channels", "HTTP/2 connections to spread calls over (4)", true,
       NumberFlag(&O::channels, 1, 64)},
      {"concurrency", "closed loop: concurrent callers (64)", true,
       NumberFlag(&O::concurrency, 1, 100000)},
      {"rate", "open loop: calls started per second; 0 = closed loop (0)",
       true, NumberFlag(&O::rate, 0, 1e7)},
      {"max-in-flight", "open loop: calls beyond this are skipped (8192)",
       true, NumberFlag(&O::max_in_flight, 1, 1e6)},
      {"mix", "weights: commit=70,quote=20,balance=10 or health=100", true,
       [](const std::string& text, O* options) {
         auto mix = ParseMix(text);
         if (mix.ok()) options->mix = *mix;
         return mix.ok();
       }},
      {"members", "members to use, enrolled first (10000)", true,
       NumberFlag(&O::members, 1, 1e8)},
      {"zipf", "popularity exponent S; 0 = uniform (0)", true,
       NumberFlag(&O::zipf, 0, 10)},
      {"redeem-percent", "share of commits that burn points (20)", true,
       NumberFlag(&O::redeem_percent, 0, 100)},
      {"warmup", "seconds of load before measuring (5)", true,
       NumberFlag(&O::warmup_seconds, 0, 3600)},
      {"duration", "seconds measured (20)", true,
       NumberFlag(&O::duration_seconds, 0.1, 86400)},
      {"deadline", "deadline of every call, seconds (5)", true,
       NumberFlag(&O::deadline_seconds, 0.001, 600)},
      {"enroll-concurrency", "calls in flight while enrolling (64)", true,
       NumberFlag(&O::enroll_concurrency, 1, 10000)},
      {"member-prefix", "member ids are PREFIX-N (bench)", true,
       TextFlag(&O::member_prefix)},
      {"verify-sample", "members whose balance is checked after (1000)", true,
       NumberFlag(&O::verify_sample, 0, 1e7)},
      {"json", "write the results as JSON to FILE", true,
       TextFlag(&O::json_path)},
      {"enroll-only", "enroll the members, report, and exit", false,
       Switch(&O::enroll_only, true)},
      {"no-enroll", "skip enrollment (the members exist already)", false,
       Switch(&O::enroll, false)},
      {"no-progress", "no live progress line", false,
       Switch(&O::progress, false)},
  };
  return *flags;
}

const FlagSpec* FindFlag(const std::string& name) {
  for (const FlagSpec& flag : Flags()) {
    if (name == flag.name) return &flag;
  }
  return nullptr;
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

absl::StatusOr<BenchOptions> ParseOptions(int argc, char** argv) {
  BenchOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") return absl::CancelledError("help");
    if (arg.rfind("--", 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected '", arg, "'"));
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    // Documented with dashes; underscores (loyaltyd's abseil spelling) too.
    std::replace(name.begin(), name.end(), '_', '-');
    const FlagSpec* flag = FindFlag(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (flag->takes_value && !has_value) {
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      }
      value = argv[++i];
    }
    if (!flag->set(value, &options)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, ": bad value '", value, "' (", flag->help, ")"));
    }
  }
  return options;
}

std::string Usage() {
  std::string text =
      "loyalty-bench drives loyaltyd with a mix of checkout calls and reports\n"
      "throughput and latency per call kind, then checks that the balances of\n"
      "a sample of members equal what the commits it received add up to.\n\n"
      "Usage: loyalty-bench [flags]\n";
  for (const FlagSpec& flag : Flags()) {
    const std::string name =
        absl::StrCat(flag.name, flag.takes_value ? " V" : "");
    absl::StrAppend(&text, absl::StrFormat("  --%-22s %s\n", name, flag.help));
  }
  absl::StrAppend(&text, absl::StrFormat("  --%-22s %s\n", "version",
                                         "print the version of this build and exit"),
                  "Flags take dashes; underscores (--max_in_flight) work too.\n");
  return text;
}

}  // namespace loyalty_bench
