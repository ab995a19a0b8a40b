// checkout quote | commit | refund: calls to loyalty.v1.Checkout (and
// import, import_commands.cc).
#include <google/protobuf/util/time_util.h>

#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "args.h"
#include "client.h"
#include "commands.h"
#include "loyalty/v1/checkout.grpc.pb.h"
#include "output.h"

namespace loyaltyctl {
namespace {

using loyalty::v1::Checkout;
using loyalty::v1::PricedPurchase;
using loyalty::v1::Purchase;

std::string OrDash(const std::string& text) {
  return text.empty() ? "-" : text;
}

// One --line SKU:QTY:PRICE_MINOR[:CATEGORY]. Checks the syntax only; the
// server judges the values (positive quantity, price) and names the field.
absl::StatusOr<loyalty::v1::PurchaseLine> ParseLine(const std::string& text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  loyalty::v1::PurchaseLine line;
  int64_t quantity = 0;
  int64_t unit_price_minor = 0;
  if (parts.size() < 3 || parts.size() > 4 || parts[0].empty() ||
      !absl::SimpleAtoi(parts[1], &quantity) ||
      !absl::SimpleAtoi(parts[2], &unit_price_minor)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--line '", text,
        "' must be SKU:QTY:PRICE_MINOR[:CATEGORY], e.g. A1:2:1999:food"));
  }
  line.set_sku(std::string(parts[0]));
  line.set_quantity(quantity);
  line.set_unit_price_minor(unit_price_minor);
  if (parts.size() == 4) line.set_category(std::string(parts[3]));
  return line;
}

// The integer value of flag `name`, or 0 when it was not given.
absl::StatusOr<int64_t> IntegerFlag(const ParsedFlags& flags,
                                    const std::string& name) {
  int64_t value = 0;
  if (flags.Has(name) && !absl::SimpleAtoi(flags.Get(name), &value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", name, " must be an integer, got '", flags.Get(name), "'"));
  }
  return value;
}

absl::Status SetChannelAndTime(const ParsedFlags& flags, Purchase* purchase) {
  const std::string channel = flags.Get("channel");
  if (channel == "pos") {
    purchase->set_channel(loyalty::v1::CHANNEL_POS);
  } else if (channel == "eshop") {
    purchase->set_channel(loyalty::v1::CHANNEL_ESHOP);
  } else if (!channel.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--channel must be pos or eshop, got '", channel, "'"));
  }
  if (flags.Has("time") &&
      !google::protobuf::util::TimeUtil::FromString(
          flags.Get("time"), purchase->mutable_purchase_time())) {
    return absl::InvalidArgumentError(
        absl::StrCat("--time must be RFC 3339, e.g. 2024-05-01T10:30:00Z, "
                     "got '",
                     flags.Get("time"), "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Purchase> BuildPurchase(const ParsedFlags& flags) {
  Purchase purchase;
  purchase.set_member_id(flags.Get("member"));
  purchase.set_order_id(flags.Get("order"));
  purchase.set_currency(flags.Get("currency", "EUR"));
  purchase.set_store_id(flags.Get("store"));
  purchase.set_terminal_id(flags.Get("terminal"));
  purchase.set_partner_id(flags.Get("partner"));
  for (const std::string& text : flags.GetAll("line")) {
    absl::StatusOr<loyalty::v1::PurchaseLine> line = ParseLine(text);
    if (!line.ok()) return line.status();
    *purchase.add_lines() = *std::move(line);
  }
  for (const std::string& code : flags.GetAll("promo")) {
    purchase.add_promo_codes(code);
  }
  const absl::StatusOr<int64_t> redeem = IntegerFlag(flags, "redeem");
  if (!redeem.ok()) return redeem.status();
  purchase.set_redeem_points(*redeem);
  const absl::StatusOr<int64_t> cashback = IntegerFlag(flags, "cashback");
  if (!cashback.ok()) return cashback.status();
  purchase.set_use_cashback_minor(*cashback);
  if (absl::Status status = SetChannelAndTime(flags, &purchase); !status.ok()) {
    return status;
  }
  return purchase;
}

std::unique_ptr<Checkout::Stub> NewStub(const Invocation& invocation) {
  return Checkout::NewStub(MakeChannel(invocation.global));
}

KeyValues PricedRows(const PricedPurchase& priced) {
  const std::string& currency = priced.currency();
  return {
      {"tier", OrDash(priced.tier())},
      {"subtotal", FormatMoney(priced.subtotal_minor(), currency)},
      {"discount", FormatMoney(priced.discount_minor(), currency)},
      {"points redeemed",
       absl::StrCat(priced.redeemed_points(), " (",
                    FormatMoney(priced.redeemed_value_minor(), currency), ")")},
      {"cashback used", FormatMoney(priced.cashback_used_minor(), currency)},
      {"total due", FormatMoney(priced.total_due_minor(), currency)},
      {"points earned", absl::StrCat(priced.points_earned())},
      {"cashback earned",
       FormatMoney(priced.cashback_earned_minor(), currency)},
      {"rules version", OrDash(priced.rules_version())},
  };
}

void PrintApplied(const PricedPurchase& priced) {
  if (priced.applied().empty()) return;
  std::vector<Row> rows;
  for (const loyalty::v1::AppliedRule& applied : priced.applied()) {
    rows.push_back({applied.rule_id(), applied.explanation()});
  }
  std::cout << "\n";
  PrintTable({"RULE", "EXPLANATION"}, rows);
}

int RunQuote(const Invocation& invocation) {
  absl::StatusOr<Purchase> purchase = BuildPurchase(invocation.flags);
  if (!purchase.ok()) return UsageError(invocation, purchase.status());
  loyalty::v1::QuotePurchaseRequest request;
  *request.mutable_purchase() = *std::move(purchase);
  loyalty::v1::QuotePurchaseResponse response;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status status =
      NewStub(invocation)->QuotePurchase(&context, request, &response);
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  if (invocation.global.json) return PrintJson(response);
  KeyValues rows = PricedRows(response.priced());
  rows.emplace_back(
      "max redeemable",
      absl::StrCat(response.priced().max_redeemable_points(), " points"));
  PrintKeyValues(rows);
  PrintApplied(response.priced());
  PrintSection("balance (before the sale)", BalanceRows(response.balance()));
  return 0;
}

int RunCommit(const Invocation& invocation) {
  absl::StatusOr<Purchase> purchase = BuildPurchase(invocation.flags);
  if (!purchase.ok()) return UsageError(invocation, purchase.status());
  loyalty::v1::CommitPurchaseRequest request;
  *request.mutable_purchase() = *std::move(purchase);
  request.set_request_id(RequestIdFor(invocation));
  loyalty::v1::CommitPurchaseResponse response;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status status =
      NewStub(invocation)->CommitPurchase(&context, request, &response);
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  if (invocation.global.json) return PrintJson(response);
  KeyValues rows = {{"transaction", response.transaction_id()}};
  for (auto& row : PricedRows(response.priced())) rows.push_back(row);
  PrintKeyValues(rows);
  PrintApplied(response.priced());
  PrintSection("balance after", BalanceRows(response.balance()));
  return 0;
}

// One --line INDEX:QTY of a refund. Checks the syntax only; the server
// judges the index and the quantity left, and names the field.
absl::StatusOr<loyalty::v1::RefundLine> ParseRefundLine(
    const std::string& text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  loyalty::v1::RefundLine line;
  int32_t line_index = 0;
  int64_t quantity = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &line_index) ||
      !absl::SimpleAtoi(parts[1], &quantity)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--line '", text, "' must be INDEX:QTY, e.g. 0:1 (index from 0)"));
  }
  line.set_line_index(line_index);
  line.set_quantity(quantity);
  return line;
}

absl::StatusOr<loyalty::v1::RefundPurchaseRequest> BuildRefund(
    const ParsedFlags& flags) {
  loyalty::v1::RefundPurchaseRequest request;
  request.set_order_id(flags.Get("order"));
  request.set_member_id(flags.Get("member"));
  request.set_partner_id(flags.Get("partner"));
  for (const std::string& text : flags.GetAll("line")) {
    absl::StatusOr<loyalty::v1::RefundLine> line = ParseRefundLine(text);
    if (!line.ok()) return line.status();
    *request.add_lines() = *std::move(line);
  }
  return request;
}

// How the earned points the member had spent already were settled
// (refund.clawback). The response gives the cashback taken and the points
// forgiven; what neither covered is left as a negative balance. With cashback
// taken, how many points it paid depends on the point value, which the
// response does not carry, so the rest is described rather than counted.
std::string Settlement(const loyalty::v1::RefundAmounts& refunded,
                       const std::string& currency) {
  std::vector<std::string> parts;
  if (refunded.cashback_taken_for_points_minor() > 0) {
    parts.push_back(
        absl::StrCat(FormatMoneyOrPlain(
                         refunded.cashback_taken_for_points_minor(), currency),
                     " cashback taken from the wallet"));
  }
  if (refunded.points_forgiven() > 0) {
    parts.push_back(absl::StrCat(refunded.points_forgiven(), " forgiven"));
  }
  const int64_t rest = refunded.points_short() - refunded.points_forgiven();
  if (refunded.cashback_taken_for_points_minor() > 0) {
    parts.push_back("any points it did not cover left as a negative balance");
  } else if (rest > 0) {
    parts.push_back(absl::StrCat(rest, " left as a negative balance"));
  }
  return absl::StrJoin(parts, "; ");
}

KeyValues RefundRows(const loyalty::v1::RefundPurchaseResponse& response) {
  const loyalty::v1::RefundAmounts& refunded = response.refunded();
  const std::string currency = WalletCurrency(response.balance());
  KeyValues rows = {
      {"transaction", response.transaction_id()},
      {"subtotal refunded",
       FormatMoneyOrPlain(refunded.subtotal_minor(), currency)},
      {"money back", FormatMoneyOrPlain(refunded.money_minor(), currency)},
      {"points taken back", absl::StrCat(refunded.points_reversed())},
      {"cashback taken back",
       FormatMoneyOrPlain(refunded.cashback_reversed_minor(), currency)},
      {"points given back", absl::StrCat(refunded.points_returned())},
      {"cashback given back",
       FormatMoneyOrPlain(refunded.cashback_returned_minor(), currency)},
  };
  if (refunded.points_short() != 0) {
    rows.emplace_back("points short", absl::StrCat(refunded.points_short(),
                                                   " (spent already)"));
    rows.emplace_back("settled", Settlement(refunded, currency));
  }
  return rows;
}

int RunRefund(const Invocation& invocation) {
  absl::StatusOr<loyalty::v1::RefundPurchaseRequest> request =
      BuildRefund(invocation.flags);
  if (!request.ok()) return UsageError(invocation, request.status());
  request->set_request_id(RequestIdFor(invocation));
  loyalty::v1::RefundPurchaseResponse response;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status status =
      NewStub(invocation)->RefundPurchase(&context, *request, &response);
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  if (invocation.global.json) return PrintJson(response);
  PrintKeyValues(RefundRows(response));
  PrintSection("balance after", BalanceRows(response.balance()));
  return 0;
}

constexpr char kRefundDetails[] =
    "Without --line, everything of the order not refunded yet is refunded.\n"
    "With --line, only those units; repeat --line for several lines.\n"
    "\n"
    "Line indexes count from 0, in the order the sale's lines were sent: the\n"
    "order of the --line flags of 'checkout commit' (or of the lines of the\n"
    "CommitPurchase request). 'member history' lists a member's orders (the\n"
    "ORDER column) but not their lines. For the sale\n"
    "  checkout commit ... --line coffee:2:350 --line cake:1:1450\n"
    "line 0 is the two coffees and line 1 the cake, so\n"
    "  checkout refund --order A-1001 --line 0:1\n"
    "refunds one coffee, and a second refund without --line the rest.\n"
    "\n"
    "Every amount is the refunded share of what the sale moved, rounded so\n"
    "that the refunds of an order add up exactly to its full refund. Earned\n"
    "points the member has spent already ('points short') are settled by the\n"
    "rule set's refund.clawback: taken from the cashback wallet, left as a\n"
    "negative balance, or forgiven. Money is printed in the currency of the\n"
    "member's cashback wallet when it has exactly one, else without a code.\n";

std::vector<FlagSpec> PurchaseFlags() {
  return {
      {"member", "ID", "The member buying.", "--member card-0042", true},
      {"order", "ORDER", "Order id, unique per sale.", "--order T7-000123",
       true},
      {"line", "SKU:QTY:PRICE_MINOR[:CATEGORY]",
       "One basket line: SKU, quantity, unit price in minor units (cents), "
       "optional category.",
       "--line A1:2:1999:food --line B7:1:500", true, true},
      {"currency", "CUR",
       "ISO 4217 code of the prices; must be the program currency. "
       "Default: EUR.",
       "--currency EUR"},
      {"redeem", "POINTS", "Points the member wants to pay with.",
       "--redeem 500"},
      {"cashback", "MINOR", "Wallet cashback to pay with, in minor units.",
       "--cashback 250"},
      {"promo", "CODE", "Promo code; repeat for several.", "--promo SPRING24",
       false, true},
      {"store", "S", "Store id.", "--store paris-07"},
      {"terminal", "T", "POS terminal id.", "--terminal till-3"},
      {"partner", "P", "Coalition partner selling (funds the points).",
       "--partner fuelco"},
      {"channel", "pos|eshop", "Sales channel.", "--channel eshop"},
      {"time", "RFC3339",
       "When the sale happened (back-dated offline sales). Default: now.",
       "--time 2024-05-01T10:30:00Z"},
  };
}

}  // namespace

std::vector<CommandSpec> CheckoutCommands() {
  std::vector<FlagSpec> commit_flags = PurchaseFlags();
  commit_flags.push_back(
      {"request-id", "R",
       "Idempotency key, unique per sale attempt: a retry with the same id "
       "and basket returns the first answer. Default: 16 random hex "
       "characters, printed so you can retry.",
       "--request-id T7-000123-a"});
  return {
      {"checkout", "quote", "", "",
       "Price a basket for a member without writing anything.", PurchaseFlags(),
       "loyaltyctl checkout quote --member card-0042 --order T7-000123 "
       "--line A1:2:1999:food --redeem 100",
       RunQuote},
      {"checkout", "commit", "", "",
       "Record a sale: earn and burn points and cashback.",
       std::move(commit_flags),
       "loyaltyctl checkout commit --member card-0042 --order T7-000123 "
       "--line A1:2:1999:food --request-id T7-000123-a",
       RunCommit},
      {"checkout",
       "refund",
       "",
       "",
       "Refund all or part of a committed order.",
       {{"order", "ORDER", "The order id the sale was committed with.",
         "--order A-1001", true},
        {"member", "ID", "The member the order belongs to; checked when given.",
         "--member card-0042"},
        {"partner", "P",
         "The partner the order was committed at, if any (an order id is "
         "unique per partner).",
         "--partner fuelco"},
        {"line", "INDEX:QTY",
         "Refund QTY units of the sale's line INDEX (0-based, in the order "
         "the sale's lines were sent). Default: all that is left of every "
         "line.",
         "--line 0:1 --line 1:2", false, true},
        {"request-id", "R",
         "Idempotency key, unique per refund: a retry with the same id and "
         "lines returns the first answer. Default: 16 random hex "
         "characters, printed so you can retry.",
         "--request-id refund-A-1001-1"}},
       "loyaltyctl checkout refund --order A-1001 --line 0:1 "
       "--request-id refund-A-1001-1",
       RunRefund,
       false,
       kRefundDetails},
      ImportCommand(),
  };
}

}  // namespace loyaltyctl
