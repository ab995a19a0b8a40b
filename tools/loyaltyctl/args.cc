#include "args.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace loyaltyctl {
namespace {

constexpr char kDefaultServer[] = "127.0.0.1:50051";
// A call that needs more than an hour is a hung call, not a slow one.
constexpr double kMaxTimeoutSeconds = 3600.0;
constexpr size_t kVerbColumnWidth = 20;
constexpr size_t kGlobalColumnWidth = 24;

// Global flags; the help is one line each, shown on every help page.
const std::vector<FlagSpec>& GlobalFlags() {
  static const auto* const flags = new std::vector<FlagSpec>{
      {"server", "HOST:PORT",
       "loyaltyd address (default $LOYALTY_SERVER, else 127.0.0.1:50051)", ""},
      {"json", "", "print the response or error as JSON, for scripts", ""},
      {"timeout", "SECONDS",
       "deadline of every call (default 10; 3600 for export, verify, program expire and "
       "backup create)",
       ""},
      {"api-key", "KEY",
       "API key sent as x-api-key (default $LOYALTY_API_KEY; a flag shows "
       "in ps: prefer a file)",
       ""},
      {"api-key-file", "FILE",
       "read the API key from FILE, e.g. the server's <data_dir>/ADMIN_KEY",
       ""},
      {"tls-ca", "FILE",
       "PEM CA of the server's certificate: turns TLS on (default "
       "$LOYALTY_TLS_CA; without it, plain text)",
       ""},
      {"tls-cert", "FILE", "PEM client certificate, for mutual TLS", ""},
      {"tls-key", "FILE", "PEM private key of --tls-cert", ""},
      {"tls-server-name", "NAME",
       "name to check in the server's certificate (default: the host of "
       "--server)",
       ""},
      {"help", "", "help for loyaltyctl, a group or a verb (also -h)", ""},
      {"version", "", "print the version of this build (git describe) and exit", ""},
  };
  return *flags;
}

const FlagSpec* FindFlag(const std::vector<FlagSpec>& flags,
                         const std::string& name) {
  for (const FlagSpec& flag : flags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

// The value of environment variable `name`, or `fallback` when unset or empty.
std::string EnvOr(const char* name, const std::string& fallback) {
  const char* env = std::getenv(name);
  return (env != nullptr && *env != '\0') ? env : fallback;
}

// How many words `command.positional` names ("V1 V2" is two).
size_t PositionalCount(const CommandSpec& command) {
  if (command.positional.empty()) return 0;
  const auto spaces =
      std::count(command.positional.begin(), command.positional.end(), ' ');
  return 1 + static_cast<size_t>(spaces);
}

std::string CommandName(const CommandSpec& command) {
  if (command.verb.empty()) return command.group;
  return absl::StrCat(command.group, " ", command.verb);
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
                       Invocation* invocation) {
  GlobalOptions& global = invocation->global;
  if (absl::StartsWith(name, "api-key") || absl::StartsWith(name, "tls-")) {
    return SetCredential(name, value, &global);
  }
  if (name == "help") {
    invocation->help = true;
  } else if (name == "version") {
    invocation->version = true;
  } else if (name == "json") {
    global.json = true;
  } else if (name == "server") {
    if (value.empty()) return absl::InvalidArgumentError("--server is empty");
    global.server = value;
  } else if (name == "timeout") {
    double seconds = 0;
    if (!absl::SimpleAtod(value, &seconds) || !(seconds > 0) ||
        seconds > kMaxTimeoutSeconds) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--timeout must be a number of seconds in (0, 3600], got '", value,
          "'"));
    }
    global.timeout_seconds = seconds;
    global.timeout_given = true;
  }
  return absl::OkStatus();
}

absl::Status UnknownFlag(const std::string& arg, const Invocation& invocation) {
  if (invocation.command == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown flag '", arg, "' (a verb's flags go after the verb)"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown flag '", arg, "' for '", CommandName(*invocation.command), "'"));
}

// Reads the flag at args[*next - 1], and its value from args[*next] when it
// is not given as --name=value.
absl::Status ReadFlag(const std::string& arg,
                      const std::vector<std::string>& args, size_t* next,
                      Invocation* invocation) {
  if (!absl::StartsWith(arg, "--")) return UnknownFlag(arg, *invocation);
  std::string name = arg.substr(2);
  std::optional<std::string> value;
  if (size_t equals = name.find('='); equals != std::string::npos) {
    value = name.substr(equals + 1);
    name.resize(equals);
  }
  // One spelling is documented (dashes, as in --data-dir); loyaltyd's
  // abseil spelling with underscores (--data_dir) means the same flag.
  std::replace(name.begin(), name.end(), '_', '-');
  const FlagSpec* spec = FindFlag(GlobalFlags(), name);
  const bool global = spec != nullptr;
  if (!global && invocation->command != nullptr) {
    spec = FindFlag(invocation->command->flags, name);
  }
  if (spec == nullptr) return UnknownFlag(arg, *invocation);
  if (spec->value_name.empty()) {
    if (value.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " takes no value"));
    }
    value = "";
  } else if (!value.has_value()) {
    if (*next >= args.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " needs a value (", spec->value_name, ")"));
    }
    value = args[(*next)++];
  }
  if (global) return SetGlobal(name, *value, invocation);
  if (!spec->repeatable && invocation->flags.Has(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " is given twice"));
  }
  invocation->flags.Add(name, *value);
  return absl::OkStatus();
}

// Reads a word that is not a flag: the group, then the verb, then the
// verb's positional argument.
absl::Status ReadWord(const std::string& word,
                      const std::vector<CommandSpec>& commands,
                      Invocation* invocation) {
  if (invocation->group.empty()) {
    for (const CommandSpec& command : commands) {
      if (command.group == word) {
        invocation->group = word;
        // A command of one word is complete with its group.
        if (command.verb.empty()) invocation->command = &command;
        return absl::OkStatus();
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unknown verb '", word, "'"));
  }
  if (invocation->command == nullptr) {
    for (const CommandSpec& command : commands) {
      if (command.group == invocation->group && command.verb == word) {
        invocation->command = &command;
        return absl::OkStatus();
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unknown verb '", invocation->group, " ", word, "'"));
  }
  if (invocation->positionals.size() <
      PositionalCount(*invocation->command)) {
    invocation->positionals.push_back(word);
    invocation->positional = invocation->positionals.front();
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unexpected argument '", word, "'"));
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
  }
  return absl::OkStatus();
}

std::string Padded(const std::string& text, size_t width) {
  if (text.size() >= width) return absl::StrCat(text, "  ");
  return text + std::string(width - text.size(), ' ');
}

std::string FlagUsage(const FlagSpec& flag) {
  std::string line = absl::StrCat("  --", flag.name);
  if (!flag.value_name.empty()) absl::StrAppend(&line, " ", flag.value_name);
  if (flag.required || flag.repeatable) {
    absl::StrAppend(&line, "  (", flag.required ? "required" : "",
                    flag.required && flag.repeatable ? ", " : "",
                    flag.repeatable ? "repeatable" : "", ")");
  }
  return absl::StrCat(line, "\n      ", flag.help, "\n      e.g. ",
                      flag.example, "\n");
}

// "FILE", or "[FILE]" when it may be left out.
std::string PositionalSynopsis(const CommandSpec& command) {
  if (!command.positional_optional) return command.positional;
  return absl::StrCat("[", command.positional, "]");
}

std::string VerbLine(const CommandSpec& command) {
  std::string name = CommandName(command);
  if (!command.positional.empty())
    absl::StrAppend(&name, " ", PositionalSynopsis(command));
  return absl::StrCat("  ", Padded(name, kVerbColumnWidth), command.summary,
                      "\n");
}

std::string GlobalFlagsUsage() {
  std::string text = "Global flags (before or after the verb):\n";
  for (const FlagSpec& flag : GlobalFlags()) {
    std::string name = absl::StrCat("--", flag.name);
    if (!flag.value_name.empty()) absl::StrAppend(&name, " ", flag.value_name);
    absl::StrAppend(&text, "  ", Padded(name, kGlobalColumnWidth), flag.help,
                    "\n");
  }
  return text;
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

Invocation ParseCommandLine(int argc, const char* const* argv,
                            const std::vector<CommandSpec>& commands) {
  Invocation invocation;
  invocation.global.server = EnvOr("LOYALTY_SERVER", kDefaultServer);
  const std::vector<std::string> args(argv + 1, argv + argc);
  size_t next = 0;
  while (next < args.size() && invocation.error.ok()) {
    const std::string& arg = args[next++];
    if (arg == "-h") {
      invocation.help = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      invocation.error = ReadFlag(arg, args, &next, &invocation);
    } else {
      invocation.error = ReadWord(arg, commands, &invocation);
    }
  }
  ApplyEnvironment(&invocation.global);
  // Help and version win over a half-typed command line.
  if (invocation.help || invocation.version) {
    invocation.error = absl::OkStatus();
  } else if (invocation.error.ok()) {
    invocation.error = CheckComplete(invocation);
  }
  return invocation;
}

std::string TopUsage(const std::vector<CommandSpec>& commands) {
  std::string text =
      "loyaltyctl: command-line client of loyaltyd, the loyalty engine.\n\n"
      "Usage: loyaltyctl [global flags] GROUP [VERB] [flags] [ARG]\n\n"
      "Verbs:\n";
  for (const CommandSpec& command : commands) {
    absl::StrAppend(&text, VerbLine(command));
  }
  absl::StrAppend(&text, "\n", GlobalFlagsUsage(),
                  "\nRun 'loyaltyctl GROUP [VERB] --help' for a verb's flags. Flag names\n"
                  "take dashes; underscores work too (--data_dir is --data-dir).\n"
                  "Exit status: 0 done, 1 the call or the verification "
                  "failed, 2 bad usage.\n");
  return text;
}

std::string GroupUsage(const std::string& group,
                       const std::vector<CommandSpec>& commands) {
  std::string text = absl::StrCat("Usage: loyaltyctl ", group,
                                  " VERB [flags] [ARG]\n\n", "Verbs:\n");
  for (const CommandSpec& command : commands) {
    if (command.group == group) absl::StrAppend(&text, VerbLine(command));
  }
  absl::StrAppend(&text, "\nRun 'loyaltyctl ", group,
                  " VERB --help' for a verb's flags.\n");
  return text;
}

std::string CommandUsage(const CommandSpec& command) {
  std::string synopsis = absl::StrCat("loyaltyctl ", CommandName(command));
  bool has_optional = false;
  for (const FlagSpec& flag : command.flags) {
    if (!flag.required) {
      has_optional = true;
      continue;
    }
    absl::StrAppend(&synopsis, " --", flag.name, " ", flag.value_name,
                    flag.repeatable ? "..." : "");
  }
  if (has_optional) absl::StrAppend(&synopsis, " [flags]");
  if (!command.positional.empty())
    absl::StrAppend(&synopsis, " ", PositionalSynopsis(command));
  std::string text =
      absl::StrCat("Usage: ", synopsis, "\n\n", command.summary, "\n");
  if (!command.details.empty()) absl::StrAppend(&text, "\n", command.details);
  if (!command.positional.empty()) {
    absl::StrAppend(&text, "\nArguments:\n  ", command.positional, "\n      ",
                    command.positional_help, "\n");
  }
  if (!command.flags.empty()) absl::StrAppend(&text, "\nFlags:\n");
  for (const FlagSpec& flag : command.flags)
    absl::StrAppend(&text, FlagUsage(flag));
  absl::StrAppend(&text, "\n", GlobalFlagsUsage(), "\nExample:\n  ",
                  command.example, "\n");
  return text;
}

std::string UsageFor(const Invocation& invocation,
                     const std::vector<CommandSpec>& commands) {
  if (invocation.command != nullptr) return CommandUsage(*invocation.command);
  if (!invocation.group.empty()) return GroupUsage(invocation.group, commands);
  return TopUsage(commands);
}

int UsageError(const Invocation& invocation, const absl::Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  if (invocation.command != nullptr) {
    std::cerr << "Run 'loyaltyctl " << CommandName(*invocation.command)
              << " --help' for usage.\n";
  }
  return 2;
}

}  // namespace loyaltyctl
