#include "command_line.h"

#include <algorithm>
#include <cstdlib>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bash_completion.h"
#include "flag_spelling.h"

namespace loyaltyctl {
namespace {

constexpr char kDefaultServer[] = "127.0.0.1:50051";
// A call that needs more than an hour is a hung call, not a slow one.
constexpr double kMaxTimeoutSeconds = 3600.0;

// How CLI11's parse ended.
struct ParseEnd {
  enum class Kind { kDone, kHelp, kVersion, kUnplaced, kMismatch, kOther };
  Kind kind = Kind::kDone;
  std::string message;  // CLI11's own, for kMismatch and kOther
};

ParseEnd RunCli11(CLI::App* app, std::vector<std::string> reversed_args) {
  using Kind = ParseEnd::Kind;
  try {
    app->parse(reversed_args);
  } catch (const CLI::CallForHelp&) {
    return {Kind::kHelp, ""};
  } catch (const CLI::CallForVersion&) {
    return {Kind::kVersion, ""};
  } catch (const CLI::ExtrasError& error) {
    return {Kind::kUnplaced, error.what()};
  } catch (const CLI::ArgumentMismatch& error) {
    return {Kind::kMismatch, error.what()};
  } catch (const CLI::ParseError& error) {
    return {Kind::kOther, error.what()};
  }
  return {};
}

// CLI11's name of the i-th positional argument of a verb.
std::string PositionalName(size_t i) { return absl::StrCat("ARG", i + 1); }

bool IsSwitch(const FlagSpec& flag) { return flag.value_name.empty(); }

void AddFlag(const FlagSpec& flag, CLI::App* app) {
  const std::string name = absl::StrCat("--", flag.name);
  if (IsSwitch(flag)) {
    app->add_flag(name, flag.help)->disable_flag_override();
    return;
  }
  // Every value is kept, in order; Parse refuses a second one where the
  // flag is not repeatable, with loyaltyctl's own message.
  // Required flags are checked after the parse (CheckComplete): CLI11
  // would refuse a missing one before an unknown one, which says more.
  app->add_option(name, flag.help)
      ->type_name(flag.value_name)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

// Copies the values CLI11 read for `flags` of `app` into `parsed`.
void CollectFlags(const std::vector<FlagSpec>& flags, const CLI::App& app,
                  ParsedFlags* parsed) {
  for (const FlagSpec& flag : flags) {
    const CLI::Option* option = app.get_option_no_throw("--" + flag.name);
    if (option == nullptr || option->count() == 0) continue;
    if (IsSwitch(flag)) {
      for (size_t i = 0; i < option->count(); ++i) parsed->Add(flag.name, "");
      continue;
    }
    for (const std::string& value : option->results()) {
      parsed->Add(flag.name, value);
    }
  }
}

// The value of environment variable `name`, or `fallback` when unset or empty.
std::string EnvOr(const char* name, const std::string& fallback) {
  const char* env = std::getenv(name);
  return (env != nullptr && *env != '\0') ? env : fallback;
}

// The flags that say how to reach and prove who calls: names of files and
// the key itself, none of which may be empty.
absl::Status SetCredential(const std::string& name, const std::string& value,
                           GlobalOptions* global) {
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " is empty"));
  }
  if (name == "api-key") global->api_key = value;
  if (name == "api-key-file") global->api_key_file = value;
  if (name == "tls-ca") global->tls_ca_file = value;
  if (name == "tls-cert") global->tls_cert_file = value;
  if (name == "tls-key") global->tls_key_file = value;
  if (name == "tls-server-name") global->tls_server_name = value;
  return absl::OkStatus();
}

absl::Status SetGlobal(const std::string& name, const std::string& value,
                       GlobalOptions* global) {
  if (absl::StartsWith(name, "api-key") || absl::StartsWith(name, "tls-")) {
    return SetCredential(name, value, global);
  }
  if (name == "json") {
    global->json = true;
  } else if (name == "server") {
    if (value.empty()) return absl::InvalidArgumentError("--server is empty");
    global->server = value;
  } else if (name == "timeout") {
    double seconds = 0;
    if (!absl::SimpleAtod(value, &seconds) || !(seconds > 0) ||
        seconds > kMaxTimeoutSeconds) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--timeout must be a number of seconds in (0, 3600], got '", value,
          "'"));
    }
    global->timeout_seconds = seconds;
    global->timeout_given = true;
  }
  return absl::OkStatus();
}

// The global flags as read, each value in order (the last one counts).
absl::Status SetGlobals(const ParsedFlags& read, GlobalOptions* global) {
  for (const FlagSpec& flag : GlobalFlags()) {
    for (const std::string& value : read.GetAll(flag.name)) {
      if (absl::Status status = SetGlobal(flag.name, value, global);
          !status.ok()) {
        return status;
      }
    }
  }
  return absl::OkStatus();
}

// Credential flags that only make sense together.
absl::Status CheckCredentials(const GlobalOptions& global) {
  if (!global.api_key.empty() && !global.api_key_file.empty()) {
    return absl::InvalidArgumentError(
        "give --api-key or --api-key-file, not both");
  }
  if (global.tls_cert_file.empty() != global.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  const bool tls_detail =
      !global.tls_cert_file.empty() || !global.tls_server_name.empty();
  if (tls_detail && global.tls_ca_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-server-name need --tls-ca (or $LOYALTY_TLS_CA), "
        "which turns TLS on");
  }
  return absl::OkStatus();
}

// Fills what the command line left unset from the environment.
void ApplyEnvironment(GlobalOptions* global) {
  if (global->api_key.empty() && global->api_key_file.empty()) {
    global->api_key = EnvOr("LOYALTY_API_KEY", "");
  }
  if (global->tls_ca_file.empty()) {
    global->tls_ca_file = EnvOr("LOYALTY_TLS_CA", "");
  }
}

absl::Status CheckComplete(const Invocation& invocation) {
  if (absl::Status status = CheckCredentials(invocation.global); !status.ok()) {
    return status;
  }
  if (invocation.group.empty()) {
    return absl::InvalidArgumentError("no verb given");
  }
  const CommandSpec* command = invocation.command;
  if (command == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", invocation.group, "' needs a verb"));
  }
  if (!command->positional_optional &&
      invocation.positionals.size() < PositionalCount(*command)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", CommandName(*command), "' needs ", command->positional));
  }
  for (const FlagSpec& flag : command->flags) {
    if (flag.required && !invocation.flags.Has(flag.name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag.name, " is required"));
    }
    if (!flag.repeatable && invocation.flags.GetAll(flag.name).size() > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag.name, " is given twice"));
    }
  }
  return absl::OkStatus();
}

// A word CLI11 could not place: an unknown flag, verb or extra argument.
// `before_verb`: the word came before the verb's name.
std::string UnplacedWord(const std::string& word, bool before_verb,
                         const Invocation& invocation) {
  if (word.size() > 1 && word[0] == '-') {
    if (invocation.command == nullptr || before_verb) {
      return absl::StrCat("unknown flag '", word,
                          "' (a verb's flags go after the verb)");
    }
    return absl::StrCat("unknown flag '", word, "' for '",
                        CommandName(*invocation.command), "'");
  }
  if (invocation.group.empty()) {
    return absl::StrCat("unknown verb '", word, "'");
  }
  if (invocation.command == nullptr) {
    return absl::StrCat("unknown verb '", invocation.group, " ", word, "'");
  }
  return absl::StrCat("unexpected argument '", word, "'");
}

// Whether `word` comes before `group` on the command line (given reversed).
bool ComesBefore(const std::vector<std::string>& reversed_args,
                 const std::string& word, const std::string& group) {
  const auto word_at =
      std::find(reversed_args.rbegin(), reversed_args.rend(), word);
  const auto group_at =
      std::find(reversed_args.rbegin(), reversed_args.rend(), group);
  return word_at < group_at;
}

// The flag named at the start of CLI11's ArgumentMismatch message
// ("--points: 1 required N missing", "all was given a disallowed flag
// override"): a flag without its value, or a switch given one.
std::string Mismatch(const std::string& message,
                     const std::vector<std::string>& reversed_args,
                     const Invocation& invocation) {
  std::string name = message.substr(0, message.find_first_of(": "));
  while (absl::StartsWith(name, "-")) name.erase(0, 1);
  std::vector<const FlagSpec*> candidates;
  for (const FlagSpec& flag : GlobalFlags()) candidates.push_back(&flag);
  if (invocation.command != nullptr) {
    for (const FlagSpec& flag : invocation.command->flags) {
      candidates.push_back(&flag);
    }
  }
  for (const FlagSpec* flag : candidates) {
    if (flag->name != name) continue;
    if (IsSwitch(*flag)) return absl::StrCat("--", name, " takes no value");
    // "--api-key=" gives a value, an empty one.
    const std::string empty_value = absl::StrCat("--", name, "=");
    if (std::find(reversed_args.begin(), reversed_args.end(), empty_value) !=
        reversed_args.end()) {
      return absl::StrCat("--", name, " is empty");
    }
    return absl::StrCat("--", name, " needs a value (", flag->value_name, ")");
  }
  return message;
}

// loyaltyctl's one-line refusal for a parse CLI11 ended with an error;
// `unplaced` are the words it could not place.
absl::Status Refusal(const ParseEnd& end,
                     const std::vector<std::string>& unplaced,
                     const std::vector<std::string>& reversed_args,
                     const Invocation& invocation) {
  if (end.kind == ParseEnd::Kind::kUnplaced && !unplaced.empty()) {
    const bool before_verb =
        ComesBefore(reversed_args, unplaced.front(), invocation.group);
    return absl::InvalidArgumentError(
        UnplacedWord(unplaced.front(), before_verb, invocation));
  }
  if (end.kind == ParseEnd::Kind::kMismatch) {
    return absl::InvalidArgumentError(
        Mismatch(end.message, reversed_args, invocation));
  }
  return absl::InvalidArgumentError(end.message);
}

}  // namespace

bool ParsedFlags::Has(const std::string& name) const {
  return values_.count(name) > 0;
}

std::string ParsedFlags::Get(const std::string& name,
                             const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second.back();
}

const std::vector<std::string>& ParsedFlags::GetAll(
    const std::string& name) const {
  static const auto* const kNone = new std::vector<std::string>();
  auto it = values_.find(name);
  return it == values_.end() ? *kNone : it->second;
}

void ParsedFlags::Add(const std::string& name, const std::string& value) {
  values_[name].push_back(value);
}

std::string CommandName(const CommandSpec& command) {
  if (command.verb.empty()) return command.group;
  return absl::StrCat(command.group, " ", command.verb);
}

size_t PositionalCount(const CommandSpec& command) {
  if (command.positional.empty()) return 0;
  const auto spaces =
      std::count(command.positional.begin(), command.positional.end(), ' ');
  return 1 + static_cast<size_t>(spaces);
}

CommandLine::CommandLine(const std::vector<CommandSpec>& commands)
    : commands_(commands),
      app_(std::make_unique<CLI::App>(
          "loyaltyctl: command-line client of loyaltyd", "loyaltyctl")) {
  // Set before any subcommand is added: subcommands copy these.
  app_->set_help_flag("-h,--help", "help for loyaltyctl, a group or a verb");
  app_->set_version_flag("--version", "");
  app_->fallthrough();  // global flags after the verb too
  app_->require_subcommand(0, 1);
  for (const FlagSpec& flag : GlobalFlags()) {
    if (flag.name != "help" && flag.name != "version")
      AddFlag(flag, app_.get());
  }
  std::map<std::string, CLI::App*> groups;
  for (const CommandSpec& command : commands_) {
    if (command.verb.empty()) {
      AddCommand(command, app_.get());
      continue;
    }
    CLI::App*& group = groups[command.group];
    if (group == nullptr) {
      group = app_->add_subcommand(command.group, "");
      group->require_subcommand(0, 1);
    }
    AddCommand(command, group);
  }
}

CommandLine::~CommandLine() = default;

void CommandLine::AddCommand(const CommandSpec& command, CLI::App* parent) {
  CLI::App* verb = parent->add_subcommand(
      command.verb.empty() ? command.group : command.verb, command.summary);
  for (size_t i = 0; i < PositionalCount(command); ++i) {
    verb->add_option(PositionalName(i), command.positional_help);
  }
  for (const FlagSpec& flag : command.flags) AddFlag(flag, verb);
  verbs_[verb] = &command;
}

void CommandLine::Collect(Invocation* invocation) const {
  ParsedFlags globals;
  CollectFlags(GlobalFlags(), *app_, &globals);
  invocation->error = SetGlobals(globals, &invocation->global);
  for (CLI::App* group : app_->get_subcommands()) {
    invocation->group = group->get_name();
    const CLI::App* verb = group;
    if (verbs_.count(group) == 0) {
      const std::vector<CLI::App*> parsed = group->get_subcommands();
      if (parsed.empty()) return;
      verb = parsed.front();
    }
    const CommandSpec& command = *verbs_.at(verb);
    invocation->command = &command;
    CollectFlags(command.flags, *verb, &invocation->flags);
    for (size_t i = 0; i < PositionalCount(command); ++i) {
      const CLI::Option* option = verb->get_option(PositionalName(i));
      if (option->count() == 0) break;
      invocation->positionals.push_back(option->results().front());
    }
    if (!invocation->positionals.empty()) {
      invocation->positional = invocation->positionals.front();
    }
  }
}

Invocation CommandLine::Parse(int argc, const char* const* argv) {
  using Kind = ParseEnd::Kind;
  Invocation invocation;
  invocation.command_line = this;
  invocation.global.server = EnvOr("LOYALTY_SERVER", kDefaultServer);
  const std::vector<std::string> reversed_args =
      loyalty_cli::DashedArgsReversed(argc, argv);
  const ParseEnd end = RunCli11(app_.get(), reversed_args);
  Collect(&invocation);
  ApplyEnvironment(&invocation.global);
  invocation.help = end.kind == Kind::kHelp;
  invocation.version = end.kind == Kind::kVersion;
  // Help and version win over a half-typed command line.
  if (invocation.help || invocation.version) {
    invocation.error = absl::OkStatus();
    return invocation;
  }
  if (end.kind != Kind::kDone) {
    invocation.error =
        Refusal(end, app_->remaining(true), reversed_args, invocation);
  }
  if (invocation.error.ok()) invocation.error = CheckComplete(invocation);
  return invocation;
}

std::string CommandLine::BashCompletion() const {
  return loyalty_cli::BashCompletion(*app_, "loyaltyctl");
}

}  // namespace loyaltyctl
