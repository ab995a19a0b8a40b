// member update | search | export | erase: members' personal data
// (loyalty.v1.Members UpdateMember, SearchMembers, ExportMemberData,
// EraseMember; README "Members' data").
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "args.h"
#include "client.h"
#include "commands.h"
#include "google/protobuf/util/json_util.h"
#include "loyalty/v1/members.grpc.pb.h"
#include "output.h"

namespace loyaltyctl {
namespace {

using loyalty::v1::Members;

// Bound on `search --all`.
constexpr int kMaxPages = 1000;

std::string OrDash(const std::string& text) {
  return text.empty() ? "-" : text;
}

std::unique_ptr<Members::Stub> NewStub(const Invocation& invocation) {
  return Members::NewStub(MakeChannel(invocation.global));
}

// Flag name -> profile field, for update's mask.
const std::pair<const char*, const char*> kProfileFlags[] = {
    {"name", "display_name"},
    {"email", "email"},
    {"phone", "phone"},
    {"birth-date", "birth_date"},
    {"card-number", "card_number"},
    {"region", "region"},
    {"segment", "segments"}};

absl::StatusOr<loyalty::v1::UpdateMemberRequest> BuildUpdate(
    const Invocation& invocation) {
  const ParsedFlags& flags = invocation.flags;
  loyalty::v1::UpdateMemberRequest request;
  request.set_member_id(invocation.positional);
  loyalty::v1::MemberProfile* profile = request.mutable_profile();
  profile->set_display_name(flags.Get("name"));
  profile->set_email(flags.Get("email"));
  profile->set_phone(flags.Get("phone"));
  profile->set_birth_date(flags.Get("birth-date"));
  profile->set_card_number(flags.Get("card-number"));
  profile->set_region(flags.Get("region"));
  for (const std::string& segment : flags.GetAll("segment"))
    profile->add_segments(segment);
  for (const auto& [flag, field] : kProfileFlags) {
    if (flags.Has(flag)) request.mutable_update_mask()->add_paths(field);
  }
  for (const std::string& field : flags.GetAll("clear")) {
    request.mutable_update_mask()->add_paths(field);
  }
  if (request.update_mask().paths().empty()) {
    return absl::InvalidArgumentError(
        "give at least one field to change, or --clear FIELD");
  }
  return request;
}

int RunUpdate(const Invocation& invocation) {
  absl::StatusOr<loyalty::v1::UpdateMemberRequest> request =
      BuildUpdate(invocation);
  if (!request.ok()) return UsageError(invocation, request.status());
  request->set_request_id(RequestIdFor(invocation));
  loyalty::v1::UpdateMemberResponse response;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status status =
      NewStub(invocation)->UpdateMember(&context, *request, &response);
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  if (invocation.global.json) return PrintJson(response);
  KeyValues rows = {
      {"transaction", response.transaction_id()},
      {"changed", absl::StrJoin(request->update_mask().paths(), ", ")}};
  for (auto& row : ProfileRows(response.member())) rows.push_back(row);
  PrintKeyValues(rows);
  return 0;
}

absl::StatusOr<loyalty::v1::SearchMembersRequest> BuildSearch(
    const Invocation& invocation) {
  const ParsedFlags& flags = invocation.flags;
  loyalty::v1::SearchMembersRequest request;
  request.set_email(flags.Get("email"));
  request.set_phone(flags.Get("phone"));
  request.set_card_number(flags.Get("card-number"));
  request.set_name_prefix(flags.Get("name"));
  request.set_page_token(flags.Get("page-token"));
  if (flags.Has("page-size")) {
    int32_t page_size = 0;
    if (!absl::SimpleAtoi(flags.Get("page-size"), &page_size) ||
        page_size < 1 || page_size > 100) {
      return absl::InvalidArgumentError("--page-size must be 1..100");
    }
    request.set_page_size(page_size);
  }
  return request;
}

int PrintFound(const loyalty::v1::SearchMembersResponse& found,
               const Invocation& invocation) {
  if (invocation.global.json) return PrintJson(found);
  std::vector<Row> rows;
  for (const loyalty::v1::MemberProfile& member : found.members()) {
    rows.push_back({member.member_id(), OrDash(member.display_name()),
                    OrDash(member.email()), OrDash(member.phone()),
                    OrDash(member.card_number())});
  }
  if (rows.empty()) std::cout << "no members found\n";
  if (!rows.empty())
    PrintTable({"MEMBER", "NAME", "EMAIL", "PHONE", "CARD"}, rows);
  if (!found.next_page_token().empty()) {
    std::cout << "\nmore members: rerun with --page-token "
              << found.next_page_token() << " (or --all)\n";
  }
  return 0;
}

int RunSearch(const Invocation& invocation) {
  absl::StatusOr<loyalty::v1::SearchMembersRequest> request =
      BuildSearch(invocation);
  if (!request.ok()) return UsageError(invocation, request.status());
  const std::unique_ptr<Members::Stub> stub = NewStub(invocation);
  loyalty::v1::SearchMembersResponse all;
  for (int page = 0; page < kMaxPages; ++page) {
    loyalty::v1::SearchMembersResponse response;
    grpc::ClientContext context;
    PrepareCall(invocation.global, &context);
    const grpc::Status status =
        stub->SearchMembers(&context, *request, &response);
    if (!status.ok()) return PrintRpcError(status, invocation.global.json);
    all.mutable_members()->MergeFrom(response.members());
    all.set_next_page_token(response.next_page_token());
    if (!invocation.flags.Has("all") || response.next_page_token().empty()) {
      return PrintFound(all, invocation);
    }
    request->set_page_token(response.next_page_token());
  }
  std::cerr << "error: more than " << kMaxPages << " pages; stopped\n";
  return 1;
}

// Writes the export as JSON to `path`, readable by its owner only: it holds
// the member's personal data.
int WriteExport(const loyalty::v1::ExportMemberDataResponse& data,
                const std::string& path) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.add_whitespace = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(data, &json, options).ok()) {
    std::cerr << "error: INTERNAL: cannot print JSON\n";
    return 1;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << json;
  out.close();
  if (!out) {
    std::cerr << "error: cannot write " << path << "\n";
    return 1;
  }
  std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                         std::filesystem::perms::owner_write);
  return 0;
}

int RunExport(const Invocation& invocation) {
  loyalty::v1::ExportMemberDataRequest request;
  request.set_member_id(invocation.positional);
  loyalty::v1::ExportMemberDataResponse data;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status status =
      NewStub(invocation)->ExportMemberData(&context, request, &data);
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  const std::string out = invocation.flags.Get("out");
  if (!out.empty() && WriteExport(data, out) != 0) return 1;
  if (invocation.global.json && out.empty()) return PrintJson(data);
  KeyValues rows = ProfileRows(data.profile());
  rows.push_back({"entries", absl::StrCat(data.entries_size())});
  rows.push_back(
      {"referred", OrDash(absl::StrJoin(data.referred_member_ids(), ", "))});
  if (!out.empty()) rows.push_back({"written to", out});
  PrintKeyValues(rows);
  PrintSection("balance", BalanceRows(data.balance()));
  return 0;
}

int RunErase(const Invocation& invocation) {
  if (!invocation.flags.Has("yes")) {
    return UsageError(invocation,
                      absl::InvalidArgumentError(
                          "erasure cannot be undone: add --yes to confirm"));
  }
  loyalty::v1::EraseMemberRequest request;
  request.set_member_id(invocation.positional);
  request.set_request_id(RequestIdFor(invocation));
  loyalty::v1::EraseMemberResponse response;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status status =
      NewStub(invocation)->EraseMember(&context, request, &response);
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  if (invocation.global.json) return PrintJson(response);
  std::vector<std::string> cashback;
  for (const auto& wallet : response.cashback_forfeited()) {
    cashback.push_back(FormatMoney(wallet.amount_minor(), wallet.currency()));
  }
  PrintKeyValues(
      {{"transaction", response.transaction_id()},
       {"member", request.member_id()},
       {"points forfeited", absl::StrCat(response.points_forfeited())},
       {"cashback forfeited", OrDash(absl::StrJoin(cashback, ", "))}});
  return 0;
}

const char kIdHelp[] = "The member's id, e.g. card-0042.";

std::vector<FlagSpec> ProfileFlags() {
  return {
      {"name", "NAME", "Display name.", "--name \"Ann Lee\""},
      {"email", "E", "E-mail address.", "--email ann@example.com"},
      {"phone", "P", "Phone number.", "--phone +33612345678"},
      {"birth-date", "YYYY-MM-DD", "Birth date.", "--birth-date 1990-04-17"},
      {"card-number", "C", "Loyalty card number.", "--card-number 6001-0042"},
      {"region", "R", "Region.", "--region north"},
      {"segment", "S", "Marketing segments (all of them); repeat for several.",
       "--segment student", false, true}};
}

CommandSpec UpdateCommand() {
  std::vector<FlagSpec> flags = ProfileFlags();
  flags.push_back({"clear", "FIELD",
                   "Clear a field (display_name, email, phone, birth_date, "
                   "card_number, region, segments); repeatable.",
                   "--clear phone", false, true});
  flags.push_back(
      {"request-id", "R",
       "Idempotency key. Default: 16 random hex characters, printed so "
       "you can retry.",
       "--request-id update-0042-a"});
  return {
      "member",
      "update",
      "ID",
      kIdHelp,
      "Change fields of a member's profile (only those given).",
      flags,
      "loyaltyctl member update card-0042 --email ann.lee@example.org --clear "
      "phone",
      RunUpdate,
      false,
      "Only the fields given change (an update mask). The change is journaled\n"
      "with the API key that made it and the names of the fields, never their\n"
      "values.\n"};
}

CommandSpec SearchCommand() {
  return {
      "member",
      "search",
      "",
      "",
      "Find members by e-mail, phone, card number or name prefix.",
      {{"email", "E", "Exact e-mail (case does not matter).",
        "--email ann@example.com"},
       {"phone", "P", "Exact phone (its digits and a leading '+').",
        "--phone +33612345678"},
       {"card-number", "C", "Exact card number (spaces and dashes ignored).",
        "--card-number 6001-0042"},
       {"name", "PREFIX", "Start of the name or of one of its words.",
        "--name \"ann l\""},
       {"page-size", "N", "Members per page, 1..100 (server default 20).",
        "--page-size 50"},
       {"page-token", "T", "Continue at the page a previous call printed.",
        "--page-token AbC..."},
       {"all", "", "Follow next_page_token and print every member.", "--all"}},
      "loyaltyctl member search --card-number 6001-0042",
      RunSearch,
      false,
      "Give exactly one of --email, --phone, --card-number and --name. A pos "
      "or\n"
      "eshop key may search by card number and phone only.\n"};
}

CommandSpec ExportCommand() {
  return {
      "member",
      "export",
      "ID",
      kIdHelp,
      "Everything held about a member, as JSON (a data-subject access "
      "request).",
      {{"out", "FILE",
        "Write the JSON to FILE (mode 0600) instead of a summary.",
        "--out ann.json"}},
      "loyaltyctl member export card-0042 --out card-0042.json",
      RunExport,
      false,
      "Profile, balances and point lots, tier, every journal entry (history,\n"
      "feedback, profile changes) and the members referred. Admin keys "
      "only.\n"};
}

CommandSpec EraseCommand() {
  return {
      "member",
      "erase",
      "ID",
      kIdHelp,
      "Erase a member's personal data and forfeit what it holds (admin).",
      {{"yes", "", "Confirm: an erasure cannot be undone.", "--yes", true},
       {"request-id", "R",
        "Idempotency key. Default: 16 random hex characters, printed so you "
        "can retry.",
        "--request-id erase-0042"}},
      "loyaltyctl member erase card-0042 --yes --request-id erase-0042",
      RunErase,
      false,
      "Destroys the member's key and sealed profile (name, e-mail, phone, "
      "birth\n"
      "date, card number) and its search entries; points and cashback left\n"
      "are forfeited by one journal entry (reason MEMBER_ERASED). Sales stay "
      "in\n"
      "the journal under the member id. The id can never be enrolled again.\n"};
}

}  // namespace

std::vector<CommandSpec> MemberDataCommands() {
  return {UpdateCommand(), SearchCommand(), ExportCommand(), EraseCommand()};
}

}  // namespace loyaltyctl
