// partner upsert | list (loyalty.v1.Program) and partner settle
// (loyalty.v1.Audit.SettlePartners): coalition partners and who owes whom.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "args.h"
#include "client.h"
#include "commands.h"
#include "loyalty/v1/audit.grpc.pb.h"
#include "loyalty/v1/program.grpc.pb.h"
#include "output.h"
#include "time_flags.h"

namespace loyaltyctl {
namespace {

using loyalty::v1::Partner;

std::string StatusText(loyalty::v1::PartnerStatus status) {
  return absl::AsciiStrToLower(
      absl::StripPrefix(loyalty::v1::PartnerStatus_Name(status), "PARTNER_STATUS_"));
}

KeyValues PartnerRows(const Partner& partner) {
  return {
      {"partner", partner.partner_id()},
      {"name", partner.name().empty() ? "-" : partner.name()},
      {"status", StatusText(partner.status())},
      {"funded share", FormatBasisPoints(partner.funded_share_bp())},
      {"updated", FormatTime(partner.update_time())},
  };
}

int RunUpsert(const Invocation& invocation) {
  const ParsedFlags& flags = invocation.flags;
  loyalty::v1::UpsertPartnerRequest request;
  request.set_partner_id(invocation.positional);
  request.set_name(flags.Get("name"));
  int64_t share = 0;
  if (!absl::SimpleAtoi(flags.Get("share-bp", "0"), &share)) {
    return UsageError(invocation, absl::InvalidArgumentError(
                                      "--share-bp takes a whole number, 0..10000"));
  }
  request.set_funded_share_bp(share);
  const std::string status = flags.Get("status", "active");
  if (status == "active") {
    request.set_status(loyalty::v1::PARTNER_STATUS_ACTIVE);
  } else if (status == "suspended") {
    request.set_status(loyalty::v1::PARTNER_STATUS_SUSPENDED);
  } else {
    return UsageError(invocation, absl::InvalidArgumentError(
                                      "--status must be active or suspended"));
  }
  request.set_request_id(RequestIdFor(invocation));
  loyalty::v1::UpsertPartnerResponse response;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status result = loyalty::v1::Program::NewStub(MakeChannel(invocation.global))
                                  ->UpsertPartner(&context, request, &response);
  if (!result.ok()) return PrintRpcError(result, invocation.global.json);
  if (invocation.global.json) return PrintJson(response);
  PrintKeyValues(PartnerRows(response.partner()));
  return 0;
}

int RunList(const Invocation& invocation) {
  loyalty::v1::ListPartnersResponse response;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status result =
      loyalty::v1::Program::NewStub(MakeChannel(invocation.global))
          ->ListPartners(&context, loyalty::v1::ListPartnersRequest(), &response);
  if (!result.ok()) return PrintRpcError(result, invocation.global.json);
  if (invocation.global.json) return PrintJson(response);
  if (response.partners().empty()) {
    std::cout << "no partners\n";
    return 0;
  }
  std::vector<Row> rows;
  for (const Partner& partner : response.partners()) {
    rows.push_back({partner.partner_id(), partner.name().empty() ? "-" : partner.name(),
                    StatusText(partner.status()),
                    FormatBasisPoints(partner.funded_share_bp()),
                    FormatTime(partner.update_time())});
  }
  PrintTable({"PARTNER", "NAME", "STATUS", "FUNDS", "UPDATED"}, rows);
  return 0;
}

int RunSettle(const Invocation& invocation) {
  const ParsedFlags& flags = invocation.flags;
  loyalty::v1::SettlePartnersRequest request;
  for (const auto& [name, end] : {std::pair<const char*, RangeEnd>{"from", RangeEnd::kFrom},
                                  {"to", RangeEnd::kTo}}) {
    if (!flags.Has(name)) continue;
    auto time = ParseInstantFlag(name, flags.Get(name), end);
    if (!time.ok()) return UsageError(invocation, time.status());
    *(end == RangeEnd::kFrom ? request.mutable_from_time() : request.mutable_to_time()) =
        *time;
  }
  if (absl::Status range = CheckRange(request.from_time(), request.to_time(),
                                      flags.Get("from"), flags.Get("to"));
      !range.ok()) {
    return UsageError(invocation, range);
  }
  loyalty::v1::SettlePartnersResponse response;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status result = loyalty::v1::Audit::NewStub(MakeChannel(invocation.global))
                                  ->SettlePartners(&context, request, &response);
  if (!result.ok()) return PrintRpcError(result, invocation.global.json);
  if (invocation.global.json) return PrintJson(response);
  const std::string& currency = response.currency();
  std::vector<Row> rows;
  for (const auto& party : response.parties()) {
    rows.push_back({party.partner_id().empty() ? "(operator)" : party.partner_id(),
                    absl::StrCat(party.points_issued()), absl::StrCat(party.points_burned()),
                    FormatMoney(party.funded_minor(), currency),
                    FormatMoney(party.claims_in_minor(), currency),
                    FormatMoney(party.claims_out_minor(), currency),
                    FormatMoney(party.net_minor(), currency)});
  }
  PrintTable({"PARTY", "ISSUED", "BURNED", "FUNDED", "OWED TO IT", "IT OWES", "NET"}, rows);
  if (!response.claims().empty()) {
    std::vector<Row> claims;
    for (const auto& claim : response.claims()) {
      claims.push_back({claim.from_partner_id().empty() ? "(operator)" : claim.from_partner_id(),
                        claim.to_partner_id().empty() ? "(operator)" : claim.to_partner_id(),
                        absl::StrCat(claim.points()),
                        FormatMoney(claim.value_minor(), currency)});
    }
    std::cout << "\n";
    PrintTable({"OWES (FUNDER)", "TO (BURNED AT)", "POINTS", "VALUE"}, claims);
  }
  std::cout << "\n" << response.entries_read()
            << " entries read; NET > 0: the party is owed, < 0: it owes. "
               "The nets sum to zero.\n";
  return 0;
}

}  // namespace

std::vector<CommandSpec> PartnerCommands() {
  return {
      {"partner",
       "upsert",
       "ID",
       "The partner id used in purchases (--partner of checkout): letters, "
       "digits, '-', '_', '.'.",
       "Create or replace a coalition partner (marketing, admin).",
       {{"name", "NAME", "The partner's name.", "--name \"Fuel Co\""},
        {"share-bp", "BP",
         "Share of the points earned at the partner that it funds, in basis "
         "points (10000 = all; default 0: the program funds them).",
         "--share-bp 5000"},
        {"status", "active|suspended",
         "A suspended partner's sales cannot earn or burn points (default "
         "active).",
         "--status suspended"},
        {"request-id", "R",
         "Idempotency key: a retry with the same id returns the first answer. "
         "Default: 16 random hex characters, printed so you can retry.",
         "--request-id partner-fuelco-1"}},
       "loyaltyctl partner upsert fuelco --name \"Fuel Co\" --share-bp 5000",
       RunUpsert},
      {"partner",
       "list",
       "",
       "",
       "List the coalition partners (marketing, admin).",
       {},
       "loyaltyctl partner list",
       RunList},
      {"partner",
       "settle",
       "",
       "",
       "Who owes whom for points earned at one partner and burned at "
       "another, in a period (auditor, admin).",
       {{"from", "DATE|RFC3339", "First day (or instant) of the period, UTC.",
         "--from 2026-01-01"},
        {"to", "DATE|RFC3339", "Last day of the period (included), or an instant.",
         "--to 2026-01-31"}},
       "loyaltyctl partner settle --from 2026-01-01 --to 2026-01-31",
       RunSettle,
       false,
       "Each point burned at a partner other than its funder is a claim of "
       "that partner on the funder, valued at the point value of the sale. "
       "NET is what the party is owed (positive) or owes (negative); the "
       "operator's own shop and program-funded points are the (operator) row."},
  };
}

}  // namespace loyaltyctl
