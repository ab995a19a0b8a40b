// The help texts of loyaltyctl, written from the table of verbs (args.h):
// the verb list, one group's verbs, one verb's flags and example.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "args.h"

namespace loyaltyctl {
namespace {

constexpr size_t kVerbColumnWidth = 20;
constexpr size_t kGlobalColumnWidth = 24;

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

// Global flags; the help is one line each, shown on every help page.
const std::vector<FlagSpec>& GlobalFlags() {
  static const auto* const flags = new std::vector<FlagSpec>{
      {"server", "HOST:PORT",
       "loyaltyd address (default $LOYALTY_SERVER, else 127.0.0.1:50051)", ""},
      {"json", "", "print the response or error as JSON, for scripts", ""},
      {"timeout", "SECONDS",
       "deadline of every call (default 10; 3600 for export, verify, program "
       "expire, backup create and events without --follow; none for events "
       "with --follow)",
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
      {"version", "", "print the version of this build (git describe) and exit",
       ""},
  };
  return *flags;
}

std::string TopUsage(const std::vector<CommandSpec>& commands) {
  std::string text =
      "loyaltyctl: command-line client of loyaltyd, the loyalty engine.\n\n"
      "Usage: loyaltyctl [global flags] GROUP [VERB] [flags] [ARG]\n\n"
      "Verbs:\n";
  for (const CommandSpec& command : commands) {
    absl::StrAppend(&text, VerbLine(command));
  }
  absl::StrAppend(
      &text, "\n", GlobalFlagsUsage(),
      "\nRun 'loyaltyctl GROUP [VERB] --help' for a verb's flags. Flag names\n"
      "take dashes; underscores work too (--data_dir is --data-dir).\n"
      "Bash completion of verbs and flags: source <(loyaltyctl completion "
      "bash)\n"
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
