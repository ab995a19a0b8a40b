// The command line of loyaltyctl as data: a table of verbs, each with its
// flags (CommandSpec), and what a parsed command line asked for
// (Invocation). command_line.h reads argv against the table with CLI11;
// the help texts below are written from the same table.
//
// Grammar: loyaltyctl [global flags] GROUP VERB [flags] [ARG]
// A command of one word ("export", "verify") has a group and no verb.
// A flag is "--name VALUE" or "--name=VALUE"; a switch is "--name". Names
// are documented with dashes (--data-dir); underscores (--data_dir, as
// loyaltyd's abseil flags are defined) are read as dashes.
#ifndef LOYALTY_TOOLS_LOYALTYCTL_ARGS_H_
#define LOYALTY_TOOLS_LOYALTYCTL_ARGS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace loyaltyctl {

// One flag a verb accepts.
struct FlagSpec {
  std::string name;        // without the leading "--"
  std::string value_name;  // e.g. "ID"; empty for a switch such as --all
  std::string help;        // what it does, its default
  std::string example;     // e.g. "--id card-0042"
  bool required = false;
  bool repeatable = false;
};

// Flags that every verb accepts.
struct GlobalOptions {
  std::string server;             // HOST:PORT
  bool json = false;              // print responses and errors as JSON
  double timeout_seconds = 10.0;  // deadline of every call
  bool timeout_given = false;     // --timeout was given (see PrepareCall)
  // Credentials. The parser takes the names; LoadCredentials (client.h)
  // reads the files.
  std::string api_key;          // sent as x-api-key; empty: none
  std::string api_key_file;     // --api-key-file: read into api_key
  std::string tls_ca_file;      // root CA: TLS is on when set
  std::string tls_cert_file;    // client certificate chain (mutual TLS)
  std::string tls_key_file;     // its private key
  std::string tls_server_name;  // name checked in the server certificate
  // The PEM contents of the three TLS files, once loaded.
  std::string tls_ca_pem;
  std::string tls_cert_pem;
  std::string tls_key_pem;
};

// The values given for a verb's flags, by flag name.
class ParsedFlags {
 public:
  bool Has(const std::string& name) const;
  // The value of a flag given once, or `fallback` when it was not given.
  std::string Get(const std::string& name,
                  const std::string& fallback = "") const;
  // Every value of a repeatable flag, in command-line order.
  const std::vector<std::string>& GetAll(const std::string& name) const;
  void Add(const std::string& name, const std::string& value);

 private:
  std::map<std::string, std::vector<std::string>> values_;
};

struct Invocation;
class CommandLine;

// One verb: "member get", "checkout commit", ..., or a command of one word
// ("export"), whose verb is empty; such a group holds no other verb.
struct CommandSpec {
  std::string group;  // "member"
  std::string verb;   // "get"; empty for a command of one word
  // The positional arguments, e.g. "ID", or "V1 V2" for a verb that takes
  // two (one word each); empty when the verb takes none.
  std::string positional;
  std::string positional_help;  // what the positional arguments are
  std::string summary;          // one line for the verb list
  std::vector<FlagSpec> flags;
  std::string example;  // a full command line
  // Runs the verb; returns the process exit status.
  int (*run)(const Invocation& invocation) = nullptr;
  // The positional argument may be left out ("verify [FILE]").
  bool positional_optional = false;
  // More paragraphs for the verb's --help, after the summary; may be empty.
  std::string details{};
};

// What the command line asked for.
struct Invocation {
  absl::Status error;  // INVALID_ARGUMENT when the command line is wrong
  bool help = false;   // --help or -h was given
  bool version = false;  // --version was given
  std::string group;   // set once a known group was read
  const CommandSpec* command = nullptr;  // set once a known verb was read
  GlobalOptions global;
  ParsedFlags flags;
  std::string positional;                // the first positional argument
  std::vector<std::string> positionals;  // all of them, in order
  // The parser that read it (for `completion bash`); outlives the verb's run.
  const CommandLine* command_line = nullptr;
};

// The flags every verb accepts (--server, --json, ..., --help, --version).
const std::vector<FlagSpec>& GlobalFlags();

// "member get", or "export" for a command of one word.
std::string CommandName(const CommandSpec& command);

// How many words `command.positional` names ("V1 V2" is two).
size_t PositionalCount(const CommandSpec& command);

// Help texts: the verb list, one group's verbs, one verb's flags.
std::string TopUsage(const std::vector<CommandSpec>& commands);
std::string GroupUsage(const std::string& group,
                       const std::vector<CommandSpec>& commands);
std::string CommandUsage(const CommandSpec& command);

// The most specific of the three help texts for what was parsed.
std::string UsageFor(const Invocation& invocation,
                     const std::vector<CommandSpec>& commands);

// Prints "error: <message>" and a pointer to the verb's --help on stderr;
// returns 2, the exit status for bad usage.
int UsageError(const Invocation& invocation, const absl::Status& status);

}  // namespace loyaltyctl

#endif  // LOYALTY_TOOLS_LOYALTYCTL_ARGS_H_
