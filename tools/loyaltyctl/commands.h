// The verbs of loyaltyctl, grouped by the service they call.
#ifndef LOYALTY_TOOLS_LOYALTYCTL_COMMANDS_H_
#define LOYALTY_TOOLS_LOYALTYCTL_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "args.h"
#include "loyalty/v1/types.pb.h"
#include "output.h"

namespace loyaltyctl {

// member enroll | get | balance | history (loyalty.v1.Members) | adjust
// (loyalty.v1.Program.AdjustBalance).
std::vector<CommandSpec> MemberCommands();
// member update | search | export | erase (members' personal data), listed
// among MemberCommands.
std::vector<CommandSpec> MemberDataCommands();
// A member profile's rows for a key-value print.
KeyValues ProfileRows(const loyalty::v1::MemberProfile& profile);
// checkout quote | commit | refund | import (loyalty.v1.Checkout).
std::vector<CommandSpec> CheckoutCommands();
// checkout import FILE (loyalty.v1.Checkout.CommitPurchases), listed among
// CheckoutCommands.
CommandSpec ImportCommand();
// feedback record (loyalty.v1.Program).
std::vector<CommandSpec> FeedbackCommands();
// rules validate | load | show | diff (loyalty.v1.Program rule-set versions)
// | simulate (simulate_commands.cc).
std::vector<CommandSpec> RulesCommands();
// rules simulate (loyalty.v1.Program.SimulateRules).
CommandSpec SimulateCommand();
// The text of a rule file, refused when it is not a readable file of at
// most 1 MiB.
absl::StatusOr<std::string> ReadRuleFile(const std::string& path);
// export (loyalty.v1.Audit.ExportLedger into a file).
std::vector<CommandSpec> ExportCommands();
// verify [FILE]: an export file offline, or Audit.VerifyLedger.
std::vector<CommandSpec> VerifyCommands();
// metrics (loyalty.v1.Audit.GetProgramMetrics).
std::vector<CommandSpec> MetricsCommands();
// backup create (Audit.CreateBackup) | restore (offline, ledger library).
std::vector<CommandSpec> BackupCommands();
// program expire (loyalty.v1.Program.RunExpiry).
std::vector<CommandSpec> ProgramCommands();
// reward list (the active rule set's catalogue, Program.GetRules) | redeem
// (loyalty.v1.Checkout.RedeemReward).
std::vector<CommandSpec> RewardCommands();
// partner upsert | list (loyalty.v1.Program) | settle (Audit.SettlePartners).
std::vector<CommandSpec> PartnerCommands();
// key create | list | revoke (loyalty.v1.Program API keys, admin only).
std::vector<CommandSpec> KeyCommands();
// events tail | forward (loyalty.v1.Events.WatchEvents; forward posts each
// event to a webhook).
std::vector<CommandSpec> EventsCommands();
// completion bash: the bash completion script of every verb and flag.
std::vector<CommandSpec> CompletionCommands();

}  // namespace loyaltyctl

#endif  // LOYALTY_TOOLS_LOYALTYCTL_COMMANDS_H_
