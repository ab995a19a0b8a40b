// rules validate | load | show | diff: rule-set versions through
// loyalty.v1.Program. The server reads, checks and compiles a rule file;
// loyaltyctl reads it from disk, sends its text and prints what comes back.
// `rules validate` first checks the file here with the evaluator's reader
// (engine/evaluator/rule_file.h), so it works without a server.
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/time_util.h>

#include <cerrno>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "args.h"
#include "engine/evaluator/rule_file.h"
#include "client.h"
#include "commands.h"
#include "line_diff.h"
#include "loyalty/v1/program.grpc.pb.h"
#include "output.h"

namespace loyaltyctl {

// A rule file is a few kilobytes; a gRPC message is at most 4 MiB.
constexpr size_t kMaxRuleFileBytes = size_t{1} << 20;

absl::StatusOr<std::string> ReadRuleFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot read ", path));
  }
  std::string text(kMaxRuleFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad())
    return absl::UnavailableError(absl::StrCat("cannot read ", path));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxRuleFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is larger than ",
                                                   kMaxRuleFileBytes,
                                                   " bytes: not a rule file"));
  }
  return text;
}

namespace {

using google::protobuf::Timestamp;
using google::protobuf::util::TimeUtil;
using loyalty::v1::GetRulesResponse;
using loyalty::v1::Program;
using loyalty::v1::RuleSetVersion;

// The reason of a refused rule file (engine/evaluator/rule_file.h).
constexpr char kInvalidRules[] = "INVALID_RULES";
// What `rules show` and `rules diff` accept for the version in force.
constexpr char kActiveWord[] = "active";
// What `rules validate` checked of a good file.
constexpr char kCheckedAlone[] =
    "checked the file alone; the server's check that the currency and the "
    "point value stay those of the ledger was not made";
constexpr char kCheckedWithServer[] =
    "checked here and by the server: the currency and the point value are "
    "those of the ledger, or the ledger has moved no points or money yet";
// `rules diff` exits like diff(1): 0 the same, 1 different, 2 trouble.
constexpr int kDiffDifferent = 1;
constexpr int kDiffTrouble = 2;
constexpr int kMaxContextLines = 1000;

std::unique_ptr<Program::Stub> NewStub(const Invocation& invocation) {
  return Program::NewStub(MakeChannel(invocation.global));
}

bool IsBefore(const Timestamp& a, const Timestamp& b) {
  return a.seconds() < b.seconds() ||
         (a.seconds() == b.seconds() && a.nanos() < b.nanos());
}

// Now, to the nanosecond: TimeUtil::GetCurrentTime() of Debian's protobuf
// has whole seconds only, which would put a version activated this very
// second in the future.
Timestamp Now() {
  const absl::Duration since_epoch = absl::Now() - absl::UnixEpoch();
  Timestamp now;
  now.set_seconds(absl::ToInt64Seconds(since_epoch));
  now.set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(since_epoch - absl::Seconds(now.seconds()))));
  return now;
}

std::string OrDash(const std::string& text) {
  return text.empty() ? "-" : text;
}

KeyValues VersionRows(const RuleSetVersion& version) {
  return {
      {"version", version.version()},
      {"source", OrDash(version.source_name())},
      {"activation", FormatTime(version.activation_time())},
      {"loaded", FormatTime(version.load_time())},
  };
}

// The row of `response` that prices purchases now: the row of the active
// version. A version loaded twice has two rows; then it is the last one
// whose activation has come (by this machine's clock), else the first.
std::optional<int> ActiveIndex(const GetRulesResponse& response) {
  const Timestamp now = Now();
  std::optional<int> active;
  for (int i = 0; i < response.versions_size(); ++i) {
    const RuleSetVersion& row = response.versions(i);
    if (row.version() != response.active_version()) continue;
    if (!active.has_value() || !IsBefore(now, row.activation_time())) {
      active = i;
    }
  }
  return active;
}

// The row for VERSION as typed ("active" or a version); nullptr if none.
const RuleSetVersion* FindVersion(const GetRulesResponse& response,
                                  const std::string& typed) {
  if (typed == kActiveWord || typed == response.active_version()) {
    const std::optional<int> active = ActiveIndex(response);
    return active ? &response.versions(*active) : nullptr;
  }
  const RuleSetVersion* found = nullptr;
  for (const RuleSetVersion& row : response.versions()) {
    if (row.version() == typed) found = &row;
  }
  return found;
}

absl::Status UnknownVersion(const std::string& typed) {
  return absl::NotFoundError(
      absl::StrCat("no stored rule-set version '", typed,
                   "'; 'loyaltyctl rules show' lists them"));
}

struct GetRulesResult {
  grpc::Status status;
  GetRulesResponse response;
};

GetRulesResult CallGetRules(const Invocation& invocation,
                            bool include_rule_sets) {
  loyalty::v1::GetRulesRequest request;
  request.set_include_rule_sets(include_rule_sets);
  GetRulesResult result;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  result.status =
      NewStub(invocation)->GetRules(&context, request, &result.response);
  return result;
}

// The rule set in protobuf text format, without `version` and
// `source_name`: what `rules diff` compares, so that only settings show.
std::string ComparableText(const RuleSetVersion& version) {
  loyalty::v1::RuleSet rule_set = version.rule_set();
  rule_set.clear_version();
  rule_set.clear_source_name();
  std::string text;
  if (!google::protobuf::TextFormat::PrintToString(rule_set, &text)) {
    return "# the rule set cannot be printed in text format\n";
  }
  return text;
}

// What `rules show VERSION` prints: the file as loaded, else (a version
// stored from loyaltyd's --rules at start has no file text) the rule set.
std::string ShownText(const RuleSetVersion& version) {
  std::string text = version.yaml();
  if (text.empty() &&
      !google::protobuf::TextFormat::PrintToString(version.rule_set(), &text)) {
    return "# the rule set cannot be printed in text format\n";
  }
  if (!text.empty() && text.back() != '\n') text.push_back('\n');
  return text;
}

// The file checked here, with the reader loyaltyd uses: its problems
// ("file:line: ..."), or for a good file its version. Needs no server.
loyalty::v1::ValidateRulesResponse ValidateHere(const std::string& path,
                                                const std::string& yaml) {
  loyalty::v1::ValidateRulesResponse response;
  for (std::string& problem : loyalty::evaluator::ValidateRuleFile(path, yaml)) {
    response.add_problems(std::move(problem));
  }
  if (response.problems().empty()) {
    auto rule_set = loyalty::evaluator::ParseRuleFile(path, yaml);
    if (rule_set.ok()) response.set_version(rule_set->version());
  }
  return response;
}

// What `rules validate` says of a good file, after the server's word (or
// its absence): "OK: ..." and how far the check went.
int PrintValid(const std::string& path,
               const loyalty::v1::ValidateRulesResponse& response,
               const std::string& scope, bool json) {
  if (json) return PrintJson(response);
  std::cout << "OK: " << path << " is valid (version " << response.version()
            << ")\n" << scope << "\n";
  return 0;
}

// A file with problems: one per line (or the response as JSON); exit 1.
int PrintProblems(const loyalty::v1::ValidateRulesResponse& response,
                  bool json) {
  if (json) {
    PrintJson(response);
    return 1;
  }
  for (const std::string& problem : response.problems()) {
    std::cout << problem << "\n";
  }
  return 1;
}

int RunValidate(const Invocation& invocation) {
  const std::string& path = invocation.positional;
  const bool json = invocation.global.json;
  absl::StatusOr<std::string> yaml = ReadRuleFile(path);
  if (!yaml.ok()) return PrintStatusError(yaml.status(), json);
  const loyalty::v1::ValidateRulesResponse here = ValidateHere(path, *yaml);
  if (!here.problems().empty()) return PrintProblems(here, json);
  if (invocation.flags.Has("offline")) {
    return PrintValid(path, here, kCheckedAlone, json);
  }
  loyalty::v1::ValidateRulesRequest request;
  request.set_file_name(path);
  request.set_yaml(*std::move(yaml));
  loyalty::v1::ValidateRulesResponse response;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status status =
      NewStub(invocation)->ValidateRules(&context, request, &response);
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return PrintValid(path, here,
                      absl::StrCat(kCheckedAlone, " (no server at ",
                                   invocation.global.server, ": ",
                                   status.error_message(), ")"),
                      json);
  }
  if (!status.ok()) return PrintRpcError(status, json);
  // A server of another build may read the file otherwise: its word counts.
  if (!response.problems().empty()) return PrintProblems(response, json);
  return PrintValid(path, response, kCheckedWithServer, json);
}

// A refused file: its problems, one per line, as the server listed them in
// the status message ("INVALID_RULES: file:3: ...\nfile:7: ...").
int PrintLoadError(const grpc::Status& status, const std::string& path,
                   bool json) {
  if (json || ErrorReason(status) != kInvalidRules) {
    return PrintRpcError(status, json);
  }
  std::cerr << "error: INVALID_ARGUMENT: " << path
            << " is refused; nothing was stored and the active rules stay:\n";
  // error_message() returns a copy: keep it alive while we look into it.
  const std::string message = status.error_message();
  const absl::string_view problems =
      absl::StripPrefix(message, absl::StrCat(kInvalidRules, ": "));
  for (absl::string_view line : absl::StrSplit(problems, '\n')) {
    if (!line.empty()) std::cerr << line << "\n";
  }
  return 1;
}

int RunLoad(const Invocation& invocation) {
  const std::string& path = invocation.positional;
  loyalty::v1::LoadRulesRequest request;
  const std::string activate_at = invocation.flags.Get("activate-at");
  if (invocation.flags.Has("activate-at") &&
      !TimeUtil::FromString(activate_at, request.mutable_activation_time())) {
    return UsageError(invocation,
                      absl::InvalidArgumentError(absl::StrCat(
                          "--activate-at must be an RFC 3339 time such as "
                          "2026-06-01T00:00:00Z, got '",
                          activate_at, "'")));
  }
  absl::StatusOr<std::string> yaml = ReadRuleFile(path);
  if (!yaml.ok())
    return PrintStatusError(yaml.status(), invocation.global.json);
  request.set_file_name(path);
  request.set_yaml(*std::move(yaml));
  request.set_request_id(RequestIdFor(invocation));
  loyalty::v1::LoadRulesResponse response;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status status =
      NewStub(invocation)->LoadRules(&context, request, &response);
  if (!status.ok()) return PrintLoadError(status, path, invocation.global.json);
  if (invocation.global.json) return PrintJson(response);
  const RuleSetVersion& version = response.version();
  PrintKeyValues(VersionRows(version));
  if (IsBefore(version.load_time(), version.activation_time())) {
    std::cout << "\nScheduled: it prices purchases from "
              << FormatTime(version.activation_time())
              << "; until then the active version stays.\n";
  } else {
    std::cout << "\nActive: it prices purchases from now on.\n";
  }
  return 0;
}

void PrintVersionTable(const GetRulesResponse& response) {
  const std::optional<int> active = ActiveIndex(response);
  const Timestamp now = Now();
  std::vector<Row> rows;
  for (int i = 0; i < response.versions_size(); ++i) {
    const RuleSetVersion& row = response.versions(i);
    // Rows come oldest activation first: after the active one, scheduled.
    const bool scheduled =
        active ? i > *active : IsBefore(now, row.activation_time());
    const char* state = active == i ? "ACTIVE"
                        : scheduled ? "scheduled"
                                    : "past";
    rows.push_back({row.version(), state, FormatTime(row.activation_time()),
                    FormatTime(row.load_time()), OrDash(row.source_name())});
  }
  if (rows.empty()) {
    std::cout << "no rule-set versions stored\n";
    return;
  }
  PrintTable({"VERSION", "STATE", "ACTIVATION", "LOADED", "SOURCE"}, rows);
}

int RunShow(const Invocation& invocation) {
  const std::string& typed = invocation.positional;
  // The list needs no rule sets; one version needs its own.
  const GetRulesResult call =
      CallGetRules(invocation, /*include_rule_sets=*/!typed.empty());
  if (!call.status.ok())
    return PrintRpcError(call.status, invocation.global.json);
  if (typed.empty()) {
    if (invocation.global.json) return PrintJson(call.response);
    PrintVersionTable(call.response);
    return 0;
  }
  const RuleSetVersion* version = FindVersion(call.response, typed);
  if (version == nullptr) {
    return PrintStatusError(UnknownVersion(typed), invocation.global.json);
  }
  if (invocation.global.json) return PrintJson(*version);
  std::cout << ShownText(*version);
  return 0;
}

std::string DiffLabel(const RuleSetVersion& version) {
  return absl::StrCat(version.version(), "  ", OrDash(version.source_name()),
                      "  ", FormatTime(version.activation_time()));
}

// Prints a diff as `rules diff` does; returns diff(1)'s exit status.
int PrintDiff(const std::string& diff, const std::string& old_name,
              const std::string& new_name, bool json) {
  if (json) {
    std::cout << "{\"old_version\": " << JsonString(old_name)
              << ", \"new_version\": " << JsonString(new_name)
              << ", \"same\": " << (diff.empty() ? "true" : "false")
              << ", \"diff\": " << JsonString(diff) << "}\n";
  } else if (diff.empty()) {
    std::cout << "same: " << old_name << " and " << new_name
              << " have the same rules\n";
  } else {
    std::cout << diff;
  }
  return diff.empty() ? 0 : kDiffDifferent;
}

// `rules diff FILE`: the active version's YAML text against the file's. A
// version stored from loyaltyd's --rules at start has no text; then both
// rule sets are compared in protobuf text format, as for two versions.
int RunFileDiff(const Invocation& invocation, LineDiffOptions options) {
  const bool json = invocation.global.json;
  const std::string& path = invocation.positional;
  absl::StatusOr<std::string> yaml = ReadRuleFile(path);
  if (!yaml.ok()) {
    PrintStatusError(yaml.status(), json);
    return kDiffTrouble;
  }
  const GetRulesResult call =
      CallGetRules(invocation, /*include_rule_sets=*/true);
  if (!call.status.ok()) {
    PrintRpcError(call.status, json);
    return kDiffTrouble;
  }
  const RuleSetVersion* active = FindVersion(call.response, kActiveWord);
  if (active == nullptr) {
    PrintStatusError(UnknownVersion(kActiveWord), json);
    return kDiffTrouble;
  }
  options.old_label = DiffLabel(*active);
  options.new_label = path;
  if (!active->yaml().empty()) {
    return PrintDiff(UnifiedLineDiff(active->yaml(), *yaml, options),
                     active->version(), path, json);
  }
  auto rule_set = loyalty::evaluator::ParseRuleFile(path, *yaml);
  if (!rule_set.ok()) {
    PrintStatusError(rule_set.status(), json);
    return kDiffTrouble;
  }
  RuleSetVersion local;
  *local.mutable_rule_set() = *std::move(rule_set);
  if (!json) {
    std::cerr << "note: the active version was stored from loyaltyd's "
                 "--rules at start and has no file text; comparing the rule "
                 "sets in protobuf text format\n";
  }
  return PrintDiff(UnifiedLineDiff(ComparableText(*active),
                                   ComparableText(local), options),
                   active->version(), path, json);
}

int RunDiff(const Invocation& invocation) {
  const bool json = invocation.global.json;
  int context_lines = 3;
  if (invocation.flags.Has("context") &&
      (!absl::SimpleAtoi(invocation.flags.Get("context"), &context_lines) ||
       context_lines < 0 || context_lines > kMaxContextLines)) {
    // Bad usage exits 2, which is also diff's "trouble".
    return UsageError(
        invocation,
        absl::InvalidArgumentError(absl::StrCat(
            "--context must be a whole number from 0 to ", kMaxContextLines)));
  }
  if (invocation.positionals.empty()) {
    return UsageError(invocation,
                      absl::InvalidArgumentError(
                          "'rules diff' needs a FILE, or two versions V1 V2"));
  }
  if (invocation.positionals.size() == 1) {
    LineDiffOptions options;
    options.context_lines = static_cast<size_t>(context_lines);
    return RunFileDiff(invocation, options);
  }
  const GetRulesResult call =
      CallGetRules(invocation, /*include_rule_sets=*/true);
  if (!call.status.ok()) {
    PrintRpcError(call.status, json);
    return kDiffTrouble;
  }
  const RuleSetVersion* versions[2] = {nullptr, nullptr};
  for (int i = 0; i < 2; ++i) {
    versions[i] = FindVersion(call.response, invocation.positionals[i]);
    if (versions[i] == nullptr) {
      PrintStatusError(UnknownVersion(invocation.positionals[i]), json);
      return kDiffTrouble;
    }
  }
  LineDiffOptions options;
  options.old_label = DiffLabel(*versions[0]);
  options.new_label = DiffLabel(*versions[1]);
  options.context_lines = static_cast<size_t>(context_lines);
  return PrintDiff(UnifiedLineDiff(ComparableText(*versions[0]),
                                   ComparableText(*versions[1]), options),
                   versions[0]->version(), versions[1]->version(), json);
}

constexpr char kLoadDetails[] =
    "The server checks the file as 'rules validate' does. A refused file\n"
    "stores nothing: its problems are printed, one per line, and the active\n"
    "version stays. Loading the same settings again gives the same version.\n";

constexpr char kValidateDetails[] =
    "The file is checked here, with the same reader loyaltyd uses: YAML\n"
    "syntax, keys, types, ranges, money spellings, conditions. That needs no\n"
    "server. A good file is then sent to the server (unless --offline), which\n"
    "also checks that it keeps the ledger's currency and point value\n"
    "(refused with FAILED_PRECONDITION, RULES_CURRENCY_CHANGED or\n"
    "RULES_POINT_VALUE_CHANGED, once points or money moved). When no server\n"
    "answers, the second line of the answer says the file was checked alone.\n"
    "Exit status: 0 good, 1 problems or refused.\n";

constexpr char kDiffDetails[] =
    "With FILE: the active version's file, as it was loaded, against FILE,\n"
    "line by line as YAML text (comments and spacing show too). A version\n"
    "stored from loyaltyd's --rules at start has no file text; then both rule\n"
    "sets are compared in protobuf text format, as below, with a note.\n"
    "\n"
    "With V1 V2: the two versions' rule sets printed in protobuf text format,\n"
    "not their YAML files: comments, spacing and key order do not show, only\n"
    "settings that differ, always in the same order. The fields version and\n"
    "source_name are left out ('---' and '+++' name them). Lines removed from\n"
    "V1 start with '-', lines added in V2 with '+'.\n"
    "\n"
    "Exit status, as diff(1): 0 the same, 1 they differ, 2 trouble (an\n"
    "unknown version, a failed call, bad usage).\n";

CommandSpec ValidateCommand() {
  return {"rules",
          "validate",
          "FILE",
          "A rule file (YAML); rules/README.md explains the format. Problems "
          "name it as given here.",
          "Check a rule file (here, then on the server if one answers) "
          "without storing it; exit 1 if it has problems.",
          {{"offline", "",
            "Check the file here only; do not ask the server (whose ledger "
            "decides whether the currency and point value may change).",
            "--offline"}},
          "loyaltyctl rules validate rules/examples/coffee-chain.yaml",
          RunValidate,
          false,
          kValidateDetails};
}

CommandSpec LoadCommand() {
  return {"rules",
          "load",
          "FILE",
          "A rule file (YAML); rules/README.md explains the format.",
          "Store a rule file as a new version, active now or from "
          "--activate-at.",
          {{"activate-at", "RFC3339",
            "When the version starts pricing purchases. Default: as soon as "
            "it is stored (a time in the past means the same).",
            "--activate-at 2026-06-01T00:00:00Z"},
           {"request-id", "R",
            "Idempotency key: a retry with the same id and file returns the "
            "first answer. Default: 16 random hex characters, printed so you "
            "can retry.",
            "--request-id rules-2026-06"}},
          "loyaltyctl rules load rules/default.yaml --activate-at "
          "2026-06-01T00:00:00Z --request-id rules-2026-06",
          RunLoad,
          false,
          kLoadDetails};
}

CommandSpec ShowCommand() {
  return {"rules",
          "show",
          "VERSION",
          "A version from the list, or 'active'. Without it, the list of "
          "stored versions: ACTIVE, scheduled or past.",
          "List the rule-set versions, or print one (its file as loaded).",
          {},
          "loyaltyctl rules show active",
          RunShow,
          true};
}

CommandSpec DiffCommand() {
  return {"rules",
          "diff",
          "FILE|V1 V2",
          "A rule file, compared with the active version; or two versions "
          "from 'loyaltyctl rules show', either of them 'active'.",
          "Show what a rule file changes against the active version, or what "
          "changed from version V1 to V2, line by line.",
          {{"context", "LINES",
            "Unchanged lines shown around each change. Default: 3.",
            "--context 5"}},
          "loyaltyctl rules diff rules/default.yaml",
          RunDiff,
          true,
          kDiffDetails};
}

}  // namespace

std::vector<CommandSpec> RulesCommands() {
  return {ValidateCommand(), LoadCommand(), ShowCommand(), DiffCommand(),
          SimulateCommand()};
}

}  // namespace loyaltyctl
