// What loyaltyctl prints: aligned key-value lists and tables for people,
// JSON for scripts, and errors in both forms. Everything goes to stdout
// except errors in table mode, which go to stderr.
#ifndef LOYALTY_TOOLS_LOYALTYCTL_OUTPUT_H_
#define LOYALTY_TOOLS_LOYALTYCTL_OUTPUT_H_

#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>
#include <grpcpp/support/status.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/types.pb.h"

namespace loyaltyctl {

using KeyValues = std::vector<std::pair<std::string, std::string>>;
using Row = std::vector<std::string>;

// "12.34 EUR" from 1234 minor units, "1234 JPY" from 1234 (the currency's
// decimals, engine/base/money.h).
std::string FormatMoney(int64_t amount_minor, absl::string_view currency);
// FormatMoney when `currency` is known, else "12.34" without a code: for
// responses that carry amounts but not their currency.
std::string FormatMoneyOrPlain(int64_t amount_minor,
                               absl::string_view currency);
// The currency of the balance's cashback wallet when it holds exactly one
// (a program pays cashback in its own currency), else "".
std::string WalletCurrency(const loyalty::v1::Balance& balance);
// "+12" or "-3".
std::string FormatSigned(int64_t value);
// RFC 3339 in UTC, or "-" when unset.
std::string FormatTime(const google::protobuf::Timestamp& time);
// "12.34%" from 1234 basis points.
std::string FormatBasisPoints(int64_t basis_points);
// "2.50" from 250 hundredths.
std::string FormatCenti(int64_t hundredths);
// An amount of an asset: "12 PTS" for points, "12.34 EUR" for money.
std::string FormatAmount(int64_t amount, absl::string_view asset);
// "purchase" from ENTRY_KIND_PURCHASE.
std::string KindName(loyalty::v1::EntryKind kind);
// `text` as a JSON string literal, quotes included.
std::string JsonString(absl::string_view text);

// The balance as key-value rows: tier, points, cashback per currency.
KeyValues BalanceRows(const loyalty::v1::Balance& balance);

// "NOT_FOUND" from grpc::StatusCode::NOT_FOUND (CODE_n beyond the known).
std::string CodeName(grpc::StatusCode code);

// Prints "key   value" lines with the values aligned.
void PrintKeyValues(const KeyValues& rows);
// Prints a header and rows in aligned columns; the last column is not padded.
void PrintTable(const Row& header, const std::vector<Row>& rows);
// Prints an optional blank line and a heading, then rows.
void PrintSection(absl::string_view heading, const KeyValues& rows);

// Prints `message` as JSON with every field; returns the exit status.
int PrintJson(const google::protobuf::Message& message);

// Reports a failed call: "error: CODE: message" (and "reason: R  field: F"
// when the server attached a loyalty.v1.ErrorDetail, and a hint about API
// keys after UNAUTHENTICATED) on stderr, or one JSON object on stdout when
// `json`. Returns 1, the exit status of a failed call.
int PrintRpcError(const grpc::Status& status, bool json);
// The reason of the loyalty.v1.ErrorDetail the server attached to a failed
// call ("INVALID_RULES"), or "" when there is none.
std::string ErrorReason(const grpc::Status& status);
// The same for a failure of loyaltyctl's own work (a file, an offline
// ledger): "error: CODE: message". Returns 1.
int PrintStatusError(const absl::Status& status, bool json);

}  // namespace loyaltyctl

#endif  // LOYALTY_TOOLS_LOYALTYCTL_OUTPUT_H_
