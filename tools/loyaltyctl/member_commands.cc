// member enroll | get | balance | history: calls to loyalty.v1.Members.
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "args.h"
#include "client.h"
#include "commands.h"
#include "loyalty/v1/members.grpc.pb.h"
#include "output.h"

namespace loyaltyctl {
namespace {

using loyalty::v1::Members;

// Bound on `history --all`: 10,000 pages of at most 1,000 entries each.
constexpr int kMaxPages = 10000;
constexpr int kMaxPageSize = 1000;

std::unique_ptr<Members::Stub> NewStub(const Invocation& invocation) {
  return Members::NewStub(MakeChannel(invocation.global));
}

std::string OrDash(const std::string& text) {
  return text.empty() ? "-" : text;
}

KeyValues ProfileRows(const loyalty::v1::MemberProfile& profile) {
  return {
      {"member", profile.member_id()},
      {"name", OrDash(profile.display_name())},
      {"email", OrDash(profile.email())},
      {"phone", OrDash(profile.phone())},
      {"birth date", OrDash(profile.birth_date())},
      {"region", OrDash(profile.region())},
      {"segments", OrDash(absl::StrJoin(profile.segments(), ", "))},
      {"enrolled", FormatTime(profile.enroll_time())},
  };
}

int RunEnroll(const Invocation& invocation) {
  const ParsedFlags& flags = invocation.flags;
  loyalty::v1::EnrollMemberRequest request;
  loyalty::v1::MemberProfile* profile = request.mutable_profile();
  profile->set_member_id(flags.Get("id"));
  profile->set_display_name(flags.Get("name"));
  profile->set_email(flags.Get("email"));
  profile->set_phone(flags.Get("phone"));
  profile->set_birth_date(flags.Get("birth-date"));
  profile->set_region(flags.Get("region"));
  for (const std::string& segment : flags.GetAll("segment")) {
    profile->add_segments(segment);
  }
  request.set_request_id(RequestIdFor(invocation));

  loyalty::v1::EnrollMemberResponse response;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status status =
      NewStub(invocation)->EnrollMember(&context, request, &response);
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  if (invocation.global.json) return PrintJson(response);
  KeyValues rows = {{"transaction", response.transaction_id()}};
  for (auto& row : ProfileRows(response.member())) rows.push_back(row);
  PrintKeyValues(rows);
  return 0;
}

int RunGet(const Invocation& invocation) {
  loyalty::v1::GetMemberRequest request;
  request.set_member_id(invocation.positional);
  loyalty::v1::GetMemberResponse response;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status status =
      NewStub(invocation)->GetMember(&context, request, &response);
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  if (invocation.global.json) return PrintJson(response);
  PrintKeyValues(ProfileRows(response.member()));
  PrintSection("balance", BalanceRows(response.balance()));
  return 0;
}

int RunBalance(const Invocation& invocation) {
  loyalty::v1::GetBalanceRequest request;
  request.set_member_id(invocation.positional);
  loyalty::v1::GetBalanceResponse response;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status status =
      NewStub(invocation)->GetBalance(&context, request, &response);
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  if (invocation.global.json) return PrintJson(response);
  PrintKeyValues(BalanceRows(response.balance()));
  return 0;
}

// "+12 PTS member/x/points/available, -1.50 EUR program/cashback/EUR".
std::string PostingsSummary(const loyalty::v1::JournalEntry& entry) {
  std::string summary;
  for (const loyalty::v1::Posting& posting : entry.postings()) {
    const std::string amount =
        absl::StrCat(posting.amount() > 0 ? "+" : "",
                     FormatAmount(posting.amount(), posting.asset()));
    absl::StrAppend(&summary, summary.empty() ? "" : ", ", amount, " ",
                    posting.account());
  }
  return OrDash(summary);
}

int PrintHistory(const loyalty::v1::ListEntriesResponse& response,
                 const Invocation& invocation) {
  if (invocation.global.json) return PrintJson(response);
  std::vector<Row> rows;
  for (const loyalty::v1::JournalEntry& entry : response.entries()) {
    const auto& time = entry.has_effective_time() ? entry.effective_time()
                                                  : entry.record_time();
    rows.push_back({absl::StrCat(entry.sequence()), FormatTime(time),
                    KindName(entry.kind()), OrDash(entry.order_id()),
                    PostingsSummary(entry)});
  }
  if (rows.empty()) std::cout << "no entries\n";
  if (!rows.empty())
    PrintTable({"SEQ", "TIME", "KIND", "ORDER", "POSTINGS"}, rows);
  if (!response.next_page_token().empty()) {
    std::cout << "\nmore entries: rerun with --page-token "
              << response.next_page_token() << " (or --all)\n";
  }
  return 0;
}

int RunHistory(const Invocation& invocation) {
  loyalty::v1::ListEntriesRequest request;
  request.set_member_id(invocation.positional);
  request.set_page_token(invocation.flags.Get("page-token"));
  if (invocation.flags.Has("page-size")) {
    int32_t page_size = 0;
    if (!absl::SimpleAtoi(invocation.flags.Get("page-size"), &page_size) ||
        page_size < 1 || page_size > kMaxPageSize) {
      return UsageError(invocation, absl::InvalidArgumentError(
                                        "--page-size must be 1..1000"));
    }
    request.set_page_size(page_size);
  }
  const bool follow = invocation.flags.Has("all");
  const std::unique_ptr<Members::Stub> stub = NewStub(invocation);
  loyalty::v1::ListEntriesResponse all;
  for (int page = 0; page < kMaxPages; ++page) {
    loyalty::v1::ListEntriesResponse response;
    grpc::ClientContext context;
    PrepareCall(invocation.global, &context);
    const grpc::Status status = stub->ListEntries(&context, request, &response);
    if (!status.ok()) return PrintRpcError(status, invocation.global.json);
    all.mutable_entries()->MergeFrom(response.entries());
    all.set_next_page_token(response.next_page_token());
    if (!follow || response.next_page_token().empty()) {
      return PrintHistory(all, invocation);
    }
    request.set_page_token(response.next_page_token());
  }
  std::cerr << "error: history has more than " << kMaxPages
            << " pages; stopped (use --page-token to continue)\n";
  return 1;
}

const char kIdHelp[] = "The member's id, e.g. card-0042.";

}  // namespace

std::vector<CommandSpec> MemberCommands() {
  const FlagSpec request_id = {
      "request-id", "R",
      "Idempotency key: the same id with the same payload returns the first "
      "answer. Default: 16 random hex characters, printed so you can retry.",
      "--request-id enroll-0042-a"};
  return {
      {"member",
       "enroll",
       "",
       "",
       "Enroll a member (idempotent by --request-id).",
       {{"id", "ID",
         "Member id: letters, digits, '-', '_', '.', at most 64 characters. "
         "Omit to let the server assign one.",
         "--id card-0042"},
        {"name", "NAME", "Display name.", "--name \"Ann Lee\""},
        {"email", "E", "E-mail address.", "--email ann@example.com"},
        {"phone", "P", "Phone number.", "--phone +33612345678"},
        {"birth-date", "YYYY-MM-DD", "Birth date, for birthday rewards.",
         "--birth-date 1990-04-17"},
        {"region", "R", "Region the member belongs to.", "--region north"},
        {"segment", "S", "Marketing segment; repeat for several.",
         "--segment student --segment b2b", false, true},
        request_id},
       "loyaltyctl member enroll --id card-0042 --name \"Ann Lee\" "
       "--segment student",
       RunEnroll},
      {"member",
       "get",
       "ID",
       kIdHelp,
       "Show a member's profile and balance.",
       {},
       "loyaltyctl member get card-0042",
       RunGet},
      {"member",
       "balance",
       "ID",
       kIdHelp,
       "Show a member's points, cashback and tier.",
       {},
       "loyaltyctl member balance card-0042",
       RunBalance},
      {"member",
       "history",
       "ID",
       kIdHelp,
       "List a member's journal entries, oldest first.",
       {{"page-size", "N", "Entries per page, 1..1000 (server default 50).",
         "--page-size 100"},
        {"page-token", "T",
         "Start at this page (the token a previous page printed).",
         "--page-token c2VxPTUx"},
        {"all", "", "Follow next_page_token and print every entry.", "--all"}},
       "loyaltyctl member history card-0042 --all",
       RunHistory},
  };
}

}  // namespace loyaltyctl
