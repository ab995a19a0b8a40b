// program expire: the maintenance run (loyalty.v1.Program.RunExpiry), with
// a progress line.
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "args.h"
#include "client.h"
#include "commands.h"
#include "loyalty/v1/program.grpc.pb.h"
#include "output.h"

namespace loyaltyctl {
namespace {

using loyalty::v1::RunExpiryResponse;

constexpr double kRunDeadlineSeconds = 3600.0;

KeyValues RunRows(const RunExpiryResponse& figures) {
  return {
      {"members scanned", absl::StrCat(figures.members_scanned(), " of ",
                                       figures.members_total())},
      {"members changed", absl::StrCat(figures.members_changed())},
      {"points released", absl::StrCat(figures.points_released())},
      {"points expired", absl::StrCat(figures.points_expired())},
      {"birthday points", absl::StrCat(figures.birthday_points())},
      {"tiers lowered", absl::StrCat(figures.tiers_lowered())},
      {"expiry notices", absl::StrCat(figures.expiry_notices())},
      {"points expiring", absl::StrCat(figures.points_expiring())},
  };
}

int RunExpire(const Invocation& invocation) {
  loyalty::v1::RunExpiryRequest request;
  request.set_request_id(invocation.flags.Get("request-id"));
  if (invocation.flags.Has("notice-days")) {
    int32_t days = 0;
    if (!absl::SimpleAtoi(invocation.flags.Get("notice-days"), &days)) {
      return UsageError(invocation,
                        absl::InvalidArgumentError(absl::StrCat(
                            "--notice-days must be an integer, got '",
                            invocation.flags.Get("notice-days"), "'")));
    }
    request.set_expiry_notice_days(days);
  }
  grpc::ClientContext context;
  // A run over millions of members takes minutes.
  PrepareLongCall(invocation.global, kRunDeadlineSeconds, &context);
  auto reader = loyalty::v1::Program::NewStub(MakeChannel(invocation.global))
                    ->RunExpiry(&context, request);
  // The server sends its figures after every page of members: a line on a
  // terminal, redrawn in place.
  const bool draw = isatty(STDERR_FILENO) == 1 && !invocation.global.json;
  RunExpiryResponse figures, last;
  while (reader->Read(&figures)) {
    last = figures;
    if (draw && !figures.done()) {
      const int64_t total = std::max<int64_t>(figures.members_total(), 1);
      std::cerr << "\rscanned " << figures.members_scanned() << " of "
                << figures.members_total() << " members ("
                << std::min<int64_t>(100, figures.members_scanned() * 100 / total)
                << "%), " << figures.members_changed() << " changed\033[K"
                << std::flush;
    }
  }
  if (draw) std::cerr << "\r\033[K" << std::flush;
  const grpc::Status status = reader->Finish();
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  if (invocation.global.json) return PrintJson(last);
  PrintKeyValues(RunRows(last));
  return 0;
}

}  // namespace

std::vector<CommandSpec> ProgramCommands() {
  return {
      {"program",
       "expire",
       "",
       "",
       "Run the maintenance run now: release pending points, expire old "
       "points, give birthday gifts, review tiers, announce points "
       "expiring soon.",
       {{"request-id", "R",
         "A name for the run, kept in the request ids of its entries. "
         "Running again moves nothing that was moved already.",
         "--request-id expiry-2026-12"},
        {"notice-days", "N",
         "Announce points expiring within N days (0 to 365; 0: no "
         "notices). Default: the rule set's points.expiry_notice_days (30 "
         "when unset).",
         "--notice-days 14"}},
       "loyaltyctl program expire",
       RunExpire,
       false,
       "loyaltyd also runs it on its own every --upkeep-every (default 1h). "
       "A member with nothing due is only read; one with something due gets "
       "one UPKEEP entry. A member with available points expiring within "
       "the notice window that no notice announced yet gets one "
       "EXPIRY_NOTICE entry (it moves nothing; events show it as "
       "points_expiring); each lot is announced once, so a second run the "
       "same day writes none. A second run while one is in progress is refused "
       "(EXPIRY_RUNNING). Default deadline: 3600 s."},
  };
}

}  // namespace loyaltyctl
