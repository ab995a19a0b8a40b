// verify [FILE]: checks the hash chain and the balance replay, either
// offline over a JSON-lines export (loyalty::ledger::JournalChecker, no
// server needed) or on the server (Audit.VerifyLedger).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "args.h"
#include "client.h"
#include "commands.h"
#include "engine/base/checked_math.h"
#include "engine/ledger/accounts.h"
#include "engine/ledger/journal_checker.h"
#include "entry_format.h"
#include "loyalty/v1/audit.grpc.pb.h"
#include "output.h"

namespace loyaltyctl {
namespace {

using loyalty::ledger::JournalChecker;
using loyalty::v1::JournalEntry;

// The server replays the whole ledger: minutes for millions of entries.
constexpr double kVerifyDeadlineSeconds = 3600.0;
// One exported entry is a few kilobytes; a gRPC message is at most 4 MiB.
constexpr size_t kMaxLineBytes = size_t{8} << 20;

constexpr char kNoEntries[] = "the file holds no entries";

constexpr char kNeedsJsonl[] =
    "verify needs an export in the jsonl format (loyaltyctl export --format "
    "jsonl): hashes are computed over the entry itself, which a CSV row does "
    "not hold in full";

// What the replay moved, per asset.
struct AssetTotals {
  int64_t postings = 0;
  int64_t moved = 0;  // sum of the positive amounts
};

// Reads one line of at most kMaxLineBytes into `line`, without its "\n"
// (or "\r\n"). False at the end of the file.
absl::StatusOr<bool> ReadLine(std::istream& in, std::string* line) {
  line->clear();
  std::streambuf* buffer = in.rdbuf();
  for (int c = buffer->sbumpc(); c != std::char_traits<char>::eof();
       c = buffer->sbumpc()) {
    if (c == '\n') {
      if (!line->empty() && line->back() == '\r') line->pop_back();
      return true;
    }
    if (line->size() >= kMaxLineBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("a line is longer than ", kMaxLineBytes, " bytes"));
    }
    line->push_back(static_cast<char>(c));
  }
  return !line->empty();
}

// The state of one offline verification.
struct Replay {
  JournalChecker checker;
  std::map<std::string, AssetTotals> totals;  // by asset
  int64_t first_sequence = 0;
  int64_t last_sequence = 0;
  std::string last_hash;
  // The first bad line or entry ("entry 7: hash does not match ..."), and
  // what may explain it; empty while all is well.
  std::string problem;
  std::string hint;
};

// Feeds one entry to the checker and the totals; false at the first problem.
bool AddEntry(const JournalEntry& entry, Replay* replay) {
  const bool gap = replay->checker.entries_checked() > 0 &&
                   entry.sequence() != replay->last_sequence + 1;
  if (!replay->checker.Add(entry)) {
    replay->problem = replay->checker.problem();
    if (gap) {
      replay->hint =
          "if the export was made with --member or --partner: such an "
          "export skips entries, verify needs one without those flags";
    }
    return false;
  }
  for (const loyalty::v1::Posting& posting : entry.postings()) {
    AssetTotals& totals = replay->totals[posting.asset()];
    ++totals.postings;
    // The checker has already refused amounts whose balances overflow.
    if (posting.amount() > 0) {
      totals.moved = loyalty::CheckedAdd(totals.moved, posting.amount())
                         .value_or(INT64_MAX);
    }
  }
  if (replay->first_sequence == 0) replay->first_sequence = entry.sequence();
  replay->last_sequence = entry.sequence();
  replay->last_hash = entry.hash();
  return true;
}

// Reads the file to its end or its first problem. An error is returned only
// when the file cannot be read at all; a bad file sets replay->problem.
absl::Status ReplayFile(const std::string& path, Replay* replay) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    return absl::NotFoundError(absl::StrCat("cannot open ", path));
  }
  std::string line;
  for (int64_t line_number = 1;; ++line_number) {
    const absl::StatusOr<bool> read = ReadLine(in, &line);
    if (!read.ok()) {
      replay->problem =
          absl::StrCat("line ", line_number, ": ", read.status().message());
      return absl::OkStatus();
    }
    if (!*read) break;
    if (line.empty()) continue;
    const absl::StatusOr<JournalEntry> entry = ParseJsonLine(line);
    if (!entry.ok()) {
      replay->problem =
          absl::StrCat("line ", line_number, ": ", entry.status().message());
      return absl::OkStatus();
    }
    if (!AddEntry(*entry, replay)) return absl::OkStatus();
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read ", path));
  return absl::OkStatus();
}

// Per asset: postings, amount moved, what member accounts hold (or, in a
// partial export, how much they changed), and the net (0 when balanced).
std::vector<Row> TotalsRows(const Replay& replay) {
  std::map<std::string, int64_t> members;
  std::map<std::string, int64_t> net;
  for (const auto& [account_asset, balance] : replay.checker.balances()) {
    const auto& [account, asset] = account_asset;
    int64_t& asset_net = net[asset];
    asset_net = loyalty::CheckedAdd(asset_net, balance).value_or(INT64_MAX);
    if (loyalty::ledger::ParseMemberAccount(account).has_value()) {
      int64_t& held = members[asset];
      held = loyalty::CheckedAdd(held, balance).value_or(INT64_MAX);
    }
  }
  std::vector<Row> rows;
  for (const auto& [asset, totals] : replay.totals) {
    rows.push_back({asset, absl::StrCat(totals.postings),
                    FormatAmount(totals.moved, asset),
                    FormatAmount(members[asset], asset),
                    FormatAmount(net[asset], asset)});
  }
  return rows;
}

void PrintReplayJson(const Replay& replay) {
  const bool ok = replay.problem.empty();
  std::cout << "{\"ok\": " << (ok ? "true" : "false")
            << ", \"entries_checked\": " << replay.checker.entries_checked()
            << ", \"first_sequence\": " << replay.first_sequence
            << ", \"last_sequence\": " << replay.last_sequence
            << ", \"last_hash_hex\": "
            << JsonString(absl::BytesToHexString(replay.last_hash))
            << ", \"whole_ledger\": "
            << (replay.checker.from_genesis() ? "true" : "false")
            << ", \"problem\": " << JsonString(replay.problem)
            << ", \"hint\": " << JsonString(replay.hint) << "}\n";
}

void PrintReplay(const Replay& replay) {
  if (!replay.problem.empty()) {
    std::cout << (replay.problem == kNoEntries ? "EMPTY: " : "BAD: ")
              << replay.problem << "\n";
    if (!replay.hint.empty()) std::cout << "(" << replay.hint << ")\n";
    return;
  }
  const int64_t entries = replay.checker.entries_checked();
  if (entries == 0) {
    std::cout << "OK: 0 entries (the file holds no entry; --allow-empty)\n";
    return;
  }
  const bool whole = replay.checker.from_genesis();
  std::cout << "OK: " << entries << " entries, chain intact from sequence "
            << replay.first_sequence << " to " << replay.last_sequence
            << "; postings balance; "
            << (whole ? "whole ledger: no member account negative"
                      : "partial export: balances not checked against zero")
            << "\n";
  std::cout << "last hash: " << absl::BytesToHexString(replay.last_hash)
            << "\n\n";
  PrintTable({"ASSET", "POSTINGS", "MOVED",
              whole ? "HELD BY MEMBERS" : "MEMBER CHANGE", "NET"},
             TotalsRows(replay));
}

int RunVerifyFile(const Invocation& invocation) {
  const std::string& path = invocation.positional;
  if (absl::EndsWithIgnoreCase(path, ".csv")) {
    return UsageError(invocation, absl::InvalidArgumentError(kNeedsJsonl));
  }
  // A CSV export under another name: its header gives it away.
  std::ifstream peek(path, std::ios::binary);
  std::string first_line;
  if (peek.is_open() && ReadLine(peek, &first_line).ok() &&
      absl::StartsWith(first_line, "sequence,record_time,")) {
    return UsageError(invocation, absl::InvalidArgumentError(kNeedsJsonl));
  }
  Replay replay;
  if (absl::Status status = ReplayFile(path, &replay); !status.ok()) {
    return PrintStatusError(status, invocation.global.json);
  }
  // A file with no entry proves nothing: an export of the wrong period, or
  // one cut short, must not read as a clean bill.
  const bool empty = replay.problem.empty() &&
                     replay.checker.entries_checked() == 0;
  if (empty && !invocation.flags.Has("allow-empty")) {
    replay.problem = kNoEntries;
    replay.hint = "check the export's period; --allow-empty accepts an "
                  "empty file";
  }
  if (invocation.global.json) {
    PrintReplayJson(replay);
  } else {
    PrintReplay(replay);
  }
  return replay.problem.empty() ? 0 : 1;
}

int RunVerifyServer(const Invocation& invocation) {
  loyalty::v1::VerifyLedgerResponse response;
  grpc::ClientContext context;
  PrepareLongCall(invocation.global, kVerifyDeadlineSeconds, &context);
  const grpc::Status status =
      loyalty::v1::Audit::NewStub(MakeChannel(invocation.global))
          ->VerifyLedger(&context, loyalty::v1::VerifyLedgerRequest(),
                         &response);
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  const int exit_status = response.ok() ? 0 : 1;
  if (invocation.global.json) {
    const int printed = PrintJson(response);
    return printed != 0 ? printed : exit_status;
  }
  if (response.ok()) {
    std::cout << "OK: the server's ledger verifies: hash chain intact, "
                 "postings balance, stored balances equal the replay\n\n";
  } else {
    std::cout << "BAD: " << response.problem() << "\n\n";
  }
  PrintKeyValues({
      {"entries checked", absl::StrCat(response.entries_checked())},
      {"members checked", absl::StrCat(response.members_checked())},
      {"head sequence", absl::StrCat(response.head_sequence())},
      {"head hash", absl::BytesToHexString(response.head_hash())},
  });
  return exit_status;
}

int RunVerify(const Invocation& invocation) {
  if (invocation.positional.empty()) return RunVerifyServer(invocation);
  return RunVerifyFile(invocation);
}

}  // namespace

std::vector<CommandSpec> VerifyCommands() {
  return {
      {"verify",
       "",
       "FILE",
       "A jsonl export (loyaltyctl export --format jsonl). Checked offline: "
       "sequences, hash chain, postings summing to zero, and, for an export "
       "from the first entry, no member account below zero. Without FILE, "
       "the server verifies its own ledger (Audit.VerifyLedger; default "
       "deadline 3600 s). Compare the last hash with the server's head hash "
       "to know that nothing was cut from the end.",
       "Check an export file's hash chain offline, or the server's ledger.",
       {{"allow-empty", "",
         "Accept a FILE that holds no entries (exit 0). Without it, an "
         "empty file is reported as such and exits 1.",
         "--allow-empty"}},
       "loyaltyctl verify ledger-2024-05.jsonl",
       RunVerify,
       /*positional_optional=*/true},
  };
}

}  // namespace loyaltyctl
