// Command-line parsing for loyaltyctl: a table of verbs, each with its flags,
// and one parser that accepts global flags before or after the verb.
//
// Grammar: loyaltyctl [global flags] GROUP VERB [flags] [ARG]
// A flag is "--name VALUE" or "--name=VALUE"; a switch is "--name".
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

// One verb: "member get", "checkout commit", ...
struct CommandSpec {
  std::string group;            // "member"
  std::string verb;             // "get"
  std::string positional;       // e.g. "ID"; empty when the verb takes none
  std::string positional_help;  // what the positional argument is
  std::string summary;          // one line for the verb list
  std::vector<FlagSpec> flags;
  std::string example;  // a full command line
  // Runs the verb; returns the process exit status.
  int (*run)(const Invocation& invocation) = nullptr;
};

// What the command line asked for.
struct Invocation {
  absl::Status error;  // INVALID_ARGUMENT when the command line is wrong
  bool help = false;   // --help or -h was given
  std::string group;   // set once a known group was read
  const CommandSpec* command = nullptr;  // set once a known verb was read
  GlobalOptions global;
  ParsedFlags flags;
  std::string positional;
};

// Parses argv against `commands` (which must outlive the result).
Invocation ParseCommandLine(int argc, const char* const* argv,
                            const std::vector<CommandSpec>& commands);

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
