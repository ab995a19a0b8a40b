// Reason codes for goodwill adjustments and survey answers: the rule set's
// lists, or these defaults when a rule set lists none.
#ifndef LOYALTY_ENGINE_PROGRAM_REASONS_H_
#define LOYALTY_ENGINE_PROGRAM_REASONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "loyalty/v1/rules.pb.h"

namespace loyalty::program {

inline const std::vector<std::string>& DefaultAdjustmentReasons() {
  static const auto* reasons = new std::vector<std::string>{
      "LATE_DELIVERY", "RUDE_SERVICE", "WRONG_PRICE", "DAMAGED_GOODS",
      "MISSING_POINTS", "GOODWILL", "CORRECTION"};
  return *reasons;
}

inline const std::vector<std::string>& DefaultFeedbackReasons() {
  static const auto* reasons = new std::vector<std::string>{
      "PRICE", "QUALITY", "SERVICE", "DELIVERY", "CHOICE", "WAITING_TIME", "OTHER"};
  return *reasons;
}

// OK when `code` is on the list (`rule_set_list`, or `defaults` when that
// is empty); INVALID_ARGUMENT naming `field` and the allowed codes otherwise.
absl::Status CheckReason(absl::string_view code,
                         const google::protobuf::RepeatedPtrField<std::string>& rule_set_list,
                         const std::vector<std::string>& defaults,
                         absl::string_view field);

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_REASONS_H_
