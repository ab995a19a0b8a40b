// The verbs of loyaltyctl, grouped by the service they call.
#ifndef LOYALTY_TOOLS_LOYALTYCTL_COMMANDS_H_
#define LOYALTY_TOOLS_LOYALTYCTL_COMMANDS_H_

#include <vector>

#include "args.h"

namespace loyaltyctl {

// member enroll | get | balance | history (loyalty.v1.Members).
std::vector<CommandSpec> MemberCommands();
// checkout quote | commit (loyalty.v1.Checkout).
std::vector<CommandSpec> CheckoutCommands();

}  // namespace loyaltyctl

#endif  // LOYALTY_TOOLS_LOYALTYCTL_COMMANDS_H_
