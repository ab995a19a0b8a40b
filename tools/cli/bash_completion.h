// A bash completion script built from a CLI11 parser: the words it offers
// are the parser's own subcommands and flags, so a verb or flag added to the
// parser is completed without anyone writing completion code. (CLI11 has no
// completion of its own before 2.4; Debian bookworm ships 2.1.)
//
// What it completes: after the program's name (and any verbs typed), the
// next verb or a flag of the verbs typed so far (with the flags of their
// parents when CLI11 lets those through, as loyaltyctl's global flags);
// after a flag that takes a value, or where a verb takes an argument (ID,
// FILE) and the word typed does not start with '-', file names (bash's
// default).
#ifndef LOYALTY_TOOLS_CLI_BASH_COMPLETION_H_
#define LOYALTY_TOOLS_CLI_BASH_COMPLETION_H_

#include <string>

#include "CLI/CLI.hpp"

namespace loyalty_cli {

// The script for `program` ("loyaltyctl"), to be sourced by bash, e.g.
//   source <(loyaltyctl completion bash)
std::string BashCompletion(const CLI::App& app, const std::string& program);

}  // namespace loyalty_cli

#endif  // LOYALTY_TOOLS_CLI_BASH_COMPLETION_H_
