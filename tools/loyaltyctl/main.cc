// loyaltyctl: the command-line client of loyaltyd. See TopUsage() in usage.cc
// for the verbs, or run `loyaltyctl --help`.
#include <iostream>
#include <utility>
#include <vector>

#include "args.h"
#include "client.h"
#include "command_line.h"
#include "commands.h"
#include "engine/base/version.h"
#include "output.h"

int main(int argc, char** argv) {
  // In the order `loyaltyctl --help` lists them.
  std::vector<loyaltyctl::CommandSpec> commands;
  for (auto* group :
       {&loyaltyctl::MemberCommands, &loyaltyctl::CheckoutCommands,
        &loyaltyctl::ProgramCommands, &loyaltyctl::RewardCommands,
        &loyaltyctl::FeedbackCommands, &loyaltyctl::RulesCommands,
        &loyaltyctl::PartnerCommands, &loyaltyctl::MetricsCommands,
        &loyaltyctl::ExportCommands, &loyaltyctl::EventsCommands,
        &loyaltyctl::VerifyCommands, &loyaltyctl::BackupCommands,
        &loyaltyctl::KeyCommands, &loyaltyctl::CompletionCommands}) {
    for (loyaltyctl::CommandSpec& command : (*group)()) {
      commands.push_back(std::move(command));
    }
  }
  loyaltyctl::CommandLine command_line(commands);
  loyaltyctl::Invocation invocation = command_line.Parse(argc, argv);
  if (invocation.version) {
    std::cout << "loyaltyctl " << loyalty::BuildVersion() << "\n";
    return 0;
  }
  if (invocation.help) {
    std::cout << loyaltyctl::UsageFor(invocation, commands);
    return 0;
  }
  if (!invocation.error.ok()) {
    std::cerr << "error: " << invocation.error.message() << "\n\n"
              << loyaltyctl::UsageFor(invocation, commands);
    return 2;
  }
  if (absl::Status status = loyaltyctl::LoadCredentials(&invocation.global);
      !status.ok()) {
    return loyaltyctl::PrintStatusError(status, invocation.global.json);
  }
  return invocation.command->run(invocation);
}
