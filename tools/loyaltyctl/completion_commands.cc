// completion bash: prints a bash completion script built from loyaltyctl's
// own parser (command_line.h), so every verb and flag is in it.
#include <iostream>

#include "args.h"
#include "command_line.h"
#include "commands.h"

namespace loyaltyctl {
namespace {

int RunBash(const Invocation& invocation) {
  std::cout << invocation.command_line->BashCompletion();
  return 0;
}

constexpr char kBashDetails[] =
    "Completes verbs, then the flags of the verb typed (global flags too),\n"
    "and file names after a flag that takes a value. Load it into the\n"
    "current shell with\n"
    "  source <(loyaltyctl completion bash)\n"
    "or save it where bash-completion looks for it, as in the example.\n";

}  // namespace

std::vector<CommandSpec> CompletionCommands() {
  return {
      {"completion",
       "bash",
       "",
       "",
       "Print a bash completion script for loyaltyctl's verbs and flags.",
       {},
       "loyaltyctl completion bash > "
       "~/.local/share/bash-completion/completions/loyaltyctl",
       RunBash,
       false,
       kBashDetails},
  };
}

}  // namespace loyaltyctl
