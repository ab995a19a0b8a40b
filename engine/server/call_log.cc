#include "engine/server/call_log.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "engine/base/error.h"

namespace loyalty::server {
namespace {

// Key ids are 12 hex characters (auth.cc); a longer claim is not one.
constexpr size_t kMaxKeyIdBytes = 32;

bool IsServerError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnknown:
      return true;
    case absl::StatusCode::kUnavailable: {
      // A refusal with its own reason (busy, a task running) is not trouble;
      // a storage failure has no reason or LEDGER_WRITE_FAILED.
      const std::string reason = ErrorReason(status);
      return reason.empty() || reason == "LEDGER_WRITE_FAILED";
    }
    default:
      return false;
  }
}

}  // namespace

std::string ClaimedKeyId(const std::optional<std::string>& api_key) {
  if (!api_key.has_value()) return "";
  const absl::string_view key(*api_key);
  std::vector<absl::string_view> parts = absl::StrSplit(key, absl::MaxSplits('_', 2));
  if (parts.size() != 3 || parts[0] != "lk" || parts[1].empty() ||
      parts[1].size() > kMaxKeyIdBytes) {
    return "";
  }
  for (const char c : parts[1]) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return "";
  }
  return std::string(parts[1]);
}

void CallLog::Event(LogLevel level, absl::string_view event,
                    std::initializer_list<LogField> fields) const {
  if (!logger_->Enabled(level)) return;
  std::vector<LogField> line = {LogField("rpc", RpcName(rpc_)),
                                LogField("request_id", request_id_),
                                LogField("key_id", key_id_)};
  line.insert(line.end(), fields.begin(), fields.end());
  logger_->Log(level, event, line);
}

void CallLog::Failure(const absl::Status& status) const {
  if (status.ok()) return;
  const std::string code = absl::StatusCodeToString(status.code());
  if (IsServerError(status)) {
    Event(LogLevel::kError, "call_failed",
          {{"code", code}, {"reason", ErrorReason(status)}, {"error", status.message()}});
    return;
  }
  const std::string reason = ErrorReason(status);
  const LogLevel level = reason == "LEDGER_BUSY" || reason == "READERS_BUSY"
                             ? LogLevel::kWarn
                             : LogLevel::kDebug;
  Event(level, "call_refused",
        {{"code", code}, {"reason", ErrorReason(status)}, {"field", ErrorField(status)}});
}

void CallLog::RunStarted() const { Event(LogLevel::kInfo, "maintenance_started"); }

void CallLog::RunPage(const loyalty::v1::RunExpiryResponse& figures) const {
  Event(LogLevel::kDebug, "maintenance_page",
        {{"members_scanned", figures.members_scanned()},
         {"members_total", figures.members_total()},
         {"members_changed", figures.members_changed()}});
}

void CallLog::RunEnded(const absl::StatusOr<loyalty::v1::RunExpiryResponse>& result,
                       absl::Duration took) const {
  if (!result.ok()) {
    Failure(result.status());
    return;
  }
  Event(LogLevel::kInfo, "maintenance_finished",
        {{"members_scanned", result->members_scanned()},
         {"members_changed", result->members_changed()},
         {"points_released", result->points_released()},
         {"points_expired", result->points_expired()},
         {"birthday_points", result->birthday_points()},
         {"tiers_lowered", result->tiers_lowered()},
         {"expiry_notices", result->expiry_notices()},
         {"took_ms", absl::ToInt64Milliseconds(took)}});
}

}  // namespace loyalty::server
