// loyaltyctl's command line, read with CLI11 (Debian's libcli11-dev) from
// the table of verbs (args.h): each group is a CLI11 subcommand, each verb a
// subcommand of its group, each FlagSpec an option of its verb, and the
// positional arguments single-word options. Global flags belong to the
// program; CLI11's fallthrough accepts them before or after the verb.
//
// What CLI11 checks: known verbs and flags, a value for each flag that takes
// one, none for a switch, no word too many. What Parse checks after it, in
// loyaltyctl's order: the global flags' values (--timeout's range, empty
// names), credentials that go together, the verb, its positional arguments,
// required flags, a flag given twice. --help and
// --version win over a half-typed command line. Every refusal is one short
// line naming the flag, as loyaltyctl has always printed it.
//
// Not thread-safe (CLI11 keeps what it read in the parser); one per process.
#ifndef LOYALTY_TOOLS_LOYALTYCTL_COMMAND_LINE_H_
#define LOYALTY_TOOLS_LOYALTYCTL_COMMAND_LINE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "args.h"

namespace CLI {
class App;
}  // namespace CLI

namespace loyaltyctl {

class CommandLine {
 public:
  // `commands` must outlive this parser and every Invocation it returns.
  explicit CommandLine(const std::vector<CommandSpec>& commands);
  ~CommandLine();
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  // Reads argv; call once. The result points back at this parser.
  Invocation Parse(int argc, const char* const* argv);

  // The bash completion script of every verb and flag this parser reads.
  std::string BashCompletion() const;

 private:
  // Adds one verb (or a command of one word, `parent` the program) to CLI11.
  void AddCommand(const CommandSpec& command, CLI::App* parent);
  // Copies what CLI11 read (as far as it got) into `invocation`.
  void Collect(Invocation* invocation) const;

  const std::vector<CommandSpec>& commands_;
  std::unique_ptr<CLI::App> app_;
  std::map<const CLI::App*, const CommandSpec*> verbs_;  // CLI11 verb -> spec
};

}  // namespace loyaltyctl

#endif  // LOYALTY_TOOLS_LOYALTYCTL_COMMAND_LINE_H_
