// member enroll | get | balance | history: calls to loyalty.v1.Members;
// member adjust: loyalty.v1.Program.AdjustBalance.
#include <iostream>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "args.h"
#include "client.h"
#include "commands.h"
#include "loyalty/v1/members.grpc.pb.h"
#include "loyalty/v1/program.grpc.pb.h"
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

}  // namespace

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
      {"referral code", OrDash(profile.referral_code())},
      {"referred by", OrDash(profile.referred_by())},
      {"card number", OrDash(profile.card_number())},
  };
}

namespace {

int RunEnroll(const Invocation& invocation) {
  const ParsedFlags& flags = invocation.flags;
  loyalty::v1::EnrollMemberRequest request;
  loyalty::v1::MemberProfile* profile = request.mutable_profile();
  profile->set_member_id(flags.Get("id"));
  profile->set_display_name(flags.Get("name"));
  profile->set_email(flags.Get("email"));
  profile->set_phone(flags.Get("phone"));
  profile->set_birth_date(flags.Get("birth-date"));
  profile->set_card_number(flags.Get("card-number"));
  profile->set_region(flags.Get("region"));
  for (const std::string& segment : flags.GetAll("segment")) {
    profile->add_segments(segment);
  }
  request.set_referral_code(flags.Get("referral-code"));
  if (flags.Has("enroll-time") &&
      !google::protobuf::util::TimeUtil::FromString(flags.Get("enroll-time"),
                                                    request.mutable_enroll_time())) {
    return PrintStatusError(
        absl::InvalidArgumentError(
            "--enroll-time must be RFC 3339, e.g. 2024-05-01T10:30:00Z"),
        invocation.global.json);
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

// Checks the syntax only; the server judges the reason against the rule
// set's list, the note's length and the currency, and names the field.
absl::StatusOr<loyalty::v1::AdjustBalanceRequest> BuildAdjust(
    const Invocation& invocation) {
  const ParsedFlags& flags = invocation.flags;
  loyalty::v1::AdjustBalanceRequest request;
  int64_t points = 0;
  if (!absl::SimpleAtoi(flags.Get("points"), &points)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--points must be an integer, got '", flags.Get("points"), "'"));
  }
  int64_t cashback_minor = 0;
  if (flags.Has("cashback") &&
      !absl::SimpleAtoi(flags.Get("cashback"), &cashback_minor)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--cashback must be an integer (minor units), got '",
                     flags.Get("cashback"), "'"));
  }
  request.set_member_id(invocation.positional);
  request.set_points(points);
  request.set_cashback_minor(cashback_minor);
  request.set_currency(flags.Get("currency"));
  request.set_reason_code(flags.Get("reason"));
  request.set_note(flags.Get("note"));
  return request;
}

int RunAdjust(const Invocation& invocation) {
  absl::StatusOr<loyalty::v1::AdjustBalanceRequest> request =
      BuildAdjust(invocation);
  if (!request.ok()) return UsageError(invocation, request.status());
  request->set_request_id(RequestIdFor(invocation));
  loyalty::v1::AdjustBalanceResponse response;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status status =
      loyalty::v1::Program::NewStub(MakeChannel(invocation.global))
          ->AdjustBalance(&context, *request, &response);
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  if (invocation.global.json) return PrintJson(response);
  const std::string currency = request->currency().empty()
                                   ? WalletCurrency(response.balance())
                                   : request->currency();
  std::string cashback =
      FormatMoneyOrPlain(request->cashback_minor(), currency);
  if (request->cashback_minor() > 0) cashback = absl::StrCat("+", cashback);
  PrintKeyValues({
      {"transaction", response.transaction_id()},
      {"member", request->member_id()},
      {"points", FormatSigned(request->points())},
      {"cashback", cashback},
      {"reason", request->reason_code()},
      {"note", OrDash(request->note())},
  });
  PrintSection("balance after", BalanceRows(response.balance()));
  return 0;
}

const char kIdHelp[] = "The member's id, e.g. card-0042.";

constexpr char kAdjustDetails[] =
    "A goodwill credit (positive amounts) or a correction (negative ones),\n"
    "recorded as a new journal entry with its reason and note; nothing is\n"
    "edited. Needs the marketing or admin role. A negative amount may not\n"
    "take the balance below zero.\n";

FlagSpec RequestIdFlag() {
  return {"request-id", "R",
          "Idempotency key: the same id with the same payload returns the "
          "first answer. Default: 16 random hex characters, printed so you "
          "can retry.",
          "--request-id enroll-0042-a"};
}

CommandSpec EnrollCommand() {
  return {
      "member",
      "enroll",
      "",
      "",
      "Enroll a member (idempotent by --request-id).",
      {{"id", "ID",
        "Member id: letters, digits, '-', '_', '.', at most 64 "
        "characters. Omit to let the server assign one.",
        "--id card-0042"},
       {"name", "NAME", "Display name.", "--name \"Ann Lee\""},
       {"email", "E", "E-mail address.", "--email ann@example.com"},
       {"phone", "P", "Phone number.", "--phone +33612345678"},
       {"birth-date", "YYYY-MM-DD", "Birth date, for birthday rewards.",
        "--birth-date 1990-04-17"},
       {"card-number", "C", "Loyalty card number.", "--card-number 6001-0042"},
       {"region", "R", "Region the member belongs to.", "--region north"},
       {"segment", "S", "Marketing segment; repeat for several.",
        "--segment student --segment b2b", false, true},
       {"referral-code", "CODE",
        "The referral code of the member who brought this one (shown by "
        "'member get'); both are rewarded at the first qualifying "
        "purchase.",
        "--referral-code K7M2QX9PRA"},
       {"enroll-time", "RFC3339",
        "When the member enrolled, for a till that enrolled offline and "
        "syncs later (within loyaltyd's --max_backdate). Default: now.",
        "--enroll-time 2024-05-01T10:25:00Z"},
       RequestIdFlag()},
      "loyaltyctl member enroll --id card-0042 --name \"Ann Lee\" "
      "--segment student",
      RunEnroll};
}

CommandSpec GetCommand() {
  return {"member",
          "get",
          "ID",
          kIdHelp,
          "Show a member's profile and balance.",
          {},
          "loyaltyctl member get card-0042",
          RunGet};
}

CommandSpec BalanceCommand() {
  return {"member",
          "balance",
          "ID",
          kIdHelp,
          "Show a member's points, cashback and tier.",
          {},
          "loyaltyctl member balance card-0042",
          RunBalance};
}

CommandSpec HistoryCommand() {
  return {
      "member",
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
      RunHistory};
}

CommandSpec AdjustCommand() {
  return {"member",
          "adjust",
          "ID",
          kIdHelp,
          "Credit or correct a member's points and cashback, with a reason.",
          {{"points", "N",
            "Points to add; negative to take back (a correction). 0 with "
            "--cashback for cashback only.",
            "--points 250", true},
           {"cashback", "MINOR",
            "Cashback to add in minor units (cents); negative to take back. "
            "Default: 0.",
            "--cashback 500"},
           {"currency", "CUR",
            "ISO 4217 code of --cashback. Default: the program currency.",
            "--currency EUR"},
           {"reason", "CODE",
            "Reason code, UPPER_SNAKE, from the rule set's adjustment_reasons "
            "(default list: LATE_DELIVERY, RUDE_SERVICE, WRONG_PRICE, "
            "DAMAGED_GOODS, MISSING_POINTS, GOODWILL, CORRECTION).",
            "--reason LATE_DELIVERY", true},
           {"note", "TEXT", "Free text kept with the entry, at most 500 bytes.",
            "--note \"parcel 3 days late, ticket 8812\""},
           RequestIdFlag()},
          "loyaltyctl member adjust card-0042 --points 250 --reason "
          "LATE_DELIVERY --note \"ticket 8812\" --request-id adjust-8812",
          RunAdjust,
          false,
          kAdjustDetails};
}

}  // namespace

std::vector<CommandSpec> MemberCommands() {
  std::vector<CommandSpec> commands = {EnrollCommand(), GetCommand(),
                                       BalanceCommand(), HistoryCommand(),
                                       AdjustCommand()};
  for (CommandSpec& command : MemberDataCommands())
    commands.push_back(std::move(command));
  return commands;
}

}  // namespace loyaltyctl
