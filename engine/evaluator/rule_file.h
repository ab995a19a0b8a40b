// Reading rule files: YAML text -> loyalty.v1.RuleSet, with every problem
// reported as "file:line: what is wrong". No file I/O here: callers pass the
// text, so the same code serves loyaltyd's start-up and Program.ValidateRules.
#ifndef LOYALTY_ENGINE_EVALUATOR_RULE_FILE_H_
#define LOYALTY_ENGINE_EVALUATOR_RULE_FILE_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "loyalty/v1/rules.pb.h"

namespace loyalty::evaluator {

// Every problem in the file, each "file:line: message"; empty when it is good.
// Covers YAML syntax, unknown or missing keys, wrong types and values out of
// range (the checks of CompiledRules::Compile, located in the file).
std::vector<std::string> ValidateRuleFile(absl::string_view file_name,
                                          absl::string_view yaml_text);

// The rule set of a good file, with `version` (first 16 hex digits of the
// SHA-256 of the rule set's deterministic serialization) and `source_name`
// filled in. A bad file gives INVALID_ARGUMENT (reason INVALID_RULES) whose
// message lists every problem, one per line.
absl::StatusOr<loyalty::v1::RuleSet> ParseRuleFile(absl::string_view file_name,
                                                   absl::string_view yaml_text);

}  // namespace loyalty::evaluator

#endif  // LOYALTY_ENGINE_EVALUATOR_RULE_FILE_H_
