#include "event_format.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "output.h"

namespace loyaltyctl {
namespace {

using loyalty::v1::Event;

constexpr char kPrefix[] = "EVENT_KIND_";

// The words after the amounts: order, partner, tier, reward, reason.
std::vector<std::string> Details(const Event& event) {
  std::vector<std::string> words;
  if (!event.order_id().empty()) words.push_back("order " + event.order_id());
  if (!event.partner_id().empty()) {
    words.push_back("partner " + event.partner_id());
  }
  if (event.total_due_minor() != 0) {
    words.push_back("paid " + FormatMoneyOrPlain(event.total_due_minor(),
                                                 event.currency()));
  }
  if (!event.tier_after().empty() || !event.tier_before().empty()) {
    words.push_back(
        absl::StrCat("tier ", event.tier_before(), " -> ", event.tier_after()));
  }
  if (!event.reward_id().empty())
    words.push_back("reward " + event.reward_id());
  if (!event.newcomer_id().empty()) {
    words.push_back("newcomer " + event.newcomer_id());
  }
  if (!event.reason().empty()) words.push_back("(" + event.reason() + ")");
  if (event.points_expiring() != 0) {
    std::vector<std::string> when;
    for (const auto& expiring : event.expiring()) {
      when.push_back(absl::StrCat(expiring.points(), " at ",
                                  FormatTime(expiring.expire_time())));
    }
    words.push_back(absl::StrCat(event.points_expiring(), " pts expiring (",
                                 absl::StrJoin(when, ", "), ")"));
  }
  return words;
}

}  // namespace

std::string EventKindName(loyalty::v1::EventKind kind) {
  std::string name = loyalty::v1::EventKind_Name(kind);
  if (absl::StartsWith(name, kPrefix)) name = name.substr(sizeof(kPrefix) - 1);
  return absl::AsciiStrToLower(name);
}

absl::StatusOr<loyalty::v1::EventKind> ParseEventKind(const std::string& text) {
  std::string name = absl::AsciiStrToUpper(text);
  if (!absl::StartsWith(name, kPrefix)) name = kPrefix + name;
  loyalty::v1::EventKind kind;
  if (loyalty::v1::EventKind_Parse(name, &kind) &&
      kind != loyalty::v1::EVENT_KIND_UNSPECIFIED) {
    return kind;
  }
  std::vector<std::string> kinds;
  for (int k = 1; loyalty::v1::EventKind_IsValid(k); ++k) {
    kinds.push_back(EventKindName(static_cast<loyalty::v1::EventKind>(k)));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--kind '", text,
      "' is not an event kind; one of: ", absl::StrJoin(kinds, ", ")));
}

std::string EventId(const Event& event) {
  return absl::StrCat(event.sequence(), ".", event.index());
}

std::string EventLine(const Event& event) {
  std::string line =
      absl::StrCat(EventId(event), "  ", FormatTime(event.record_time()), "  ",
                   EventKindName(event.kind()), "  ", event.member_id());
  if (event.points() != 0) {
    absl::StrAppend(&line, "  ", FormatSigned(event.points()), " pts");
  }
  if (event.cashback_minor() != 0) {
    absl::StrAppend(
        &line, "  cashback ",
        FormatMoneyOrPlain(event.cashback_minor(), event.currency()));
  }
  const std::vector<std::string> details = Details(event);
  if (!details.empty())
    absl::StrAppend(&line, "  ", absl::StrJoin(details, "  "));
  return line;
}

absl::StatusOr<std::string> EventJson(const Event& event) {
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(event, &json);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat(
        "event ", EventId(event), ": cannot write JSON: ", status.ToString()));
  }
  return json;
}

}  // namespace loyaltyctl
