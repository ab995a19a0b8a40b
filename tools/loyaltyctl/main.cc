// loyaltyctl: the command-line client of loyaltyd. See TopUsage() in args.cc
// for the verbs, or run `loyaltyctl --help`.
#include <iostream>
#include <utility>
#include <vector>

#include "args.h"
#include "commands.h"

int main(int argc, char** argv) {
  std::vector<loyaltyctl::CommandSpec> commands = loyaltyctl::MemberCommands();
  for (loyaltyctl::CommandSpec& command : loyaltyctl::CheckoutCommands()) {
    commands.push_back(std::move(command));
  }
  const loyaltyctl::Invocation invocation =
      loyaltyctl::ParseCommandLine(argc, argv, commands);
  if (invocation.help) {
    std::cout << loyaltyctl::UsageFor(invocation, commands);
    return 0;
  }
  if (!invocation.error.ok()) {
    std::cerr << "error: " << invocation.error.message() << "\n\n"
              << loyaltyctl::UsageFor(invocation, commands);
    return 2;
  }
  return invocation.command->run(invocation);
}
