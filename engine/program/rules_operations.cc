// Rule-set versions: validate, load (store and activate), list.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "engine/base/error.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"
#include "engine/evaluator/rule_file.h"
#include "engine/program/operations.h"
#include "engine/program/submit.h"

namespace loyalty::program {
namespace {

using loyalty::v1::RuleSetVersion;

constexpr char kRulesPrefix[] = "rules/";

// Ordered by activation: "rules/<unix nanos, 20 digits>/<version>".
std::string VersionKey(absl::Time activation, absl::string_view version) {
  return absl::StrFormat("%s%020d/%s", kRulesPrefix,
                         absl::ToUnixNanos(activation), version);
}

absl::StatusOr<RuleSetVersion> CompileVersion(
    const std::string& file_name, const std::string& yaml,
    std::shared_ptr<const evaluator::CompiledRules>* compiled) {
  ASSIGN_OR_RETURN(loyalty::v1::RuleSet rule_set,
                   evaluator::ParseRuleFile(file_name, yaml));
  ASSIGN_OR_RETURN(*compiled, evaluator::CompiledRules::Compile(rule_set));
  RuleSetVersion version;
  version.set_version((*compiled)->version());
  version.set_source_name(file_name);
  *version.mutable_rule_set() = (*compiled)->rule_set();
  version.set_yaml(yaml);
  return version;
}

}  // namespace

loyalty::v1::ValidateRulesResponse Operations::ValidateRules(
    const loyalty::v1::ValidateRulesRequest& request) const {
  loyalty::v1::ValidateRulesResponse response;
  const std::string name = request.file_name().empty() ? "rules.yaml" : request.file_name();
  for (std::string& problem : evaluator::ValidateRuleFile(name, request.yaml())) {
    response.add_problems(std::move(problem));
  }
  if (response.problems().empty()) {
    auto rule_set = evaluator::ParseRuleFile(name, request.yaml());
    if (rule_set.ok()) response.set_version(rule_set->version());
  }
  return response;
}

void Operations::LoadRules(const loyalty::v1::LoadRulesRequest& request,
                           Reply<loyalty::v1::LoadRulesResponse> reply) {
  internal::SubmitToLedger(
      ledger_, request.request_id(), internal::Fingerprint("LoadRules", request),
      [this, request](ledger::Transaction& t) -> absl::StatusOr<std::string> {
        std::shared_ptr<const evaluator::CompiledRules> compiled;
        const std::string name =
            request.file_name().empty() ? "rules.yaml" : request.file_name();
        ASSIGN_OR_RETURN(RuleSetVersion version,
                         CompileVersion(name, request.yaml(), &compiled));
        absl::Time activation = t.now();
        if (request.has_activation_time()) {
          activation = std::max(activation, FromTimestamp(request.activation_time()));
        }
        *version.mutable_activation_time() = ToTimestamp(activation);
        *version.mutable_load_time() = ToTimestamp(t.now());
        t.PutAux(VersionKey(activation, version.version()),
                 version.SerializeAsString());
        // Decided on the writer thread: later operations of this batch see it.
        book_.Add(version, std::move(compiled));
        loyalty::v1::LoadRulesResponse response;
        version.clear_rule_set();
        version.clear_yaml();
        *response.mutable_version() = std::move(version);
        return response.SerializeAsString();
      },
      std::move(reply));
}

absl::StatusOr<loyalty::v1::GetRulesResponse> Operations::GetRules(
    const loyalty::v1::GetRulesRequest& request) const {
  loyalty::v1::GetRulesResponse response;
  response.set_active_version(rules()->version());
  ASSIGN_OR_RETURN(auto stored, ledger_->ReadAux(kRulesPrefix));
  for (const auto& [key, value] : stored) {
    RuleSetVersion* version = response.add_versions();
    if (!version->ParseFromString(value)) {
      return absl::DataLossError(absl::StrCat("record ", key, " does not parse"));
    }
    if (!request.include_rule_sets()) {
      version->clear_rule_set();
      version->clear_yaml();
    }
  }
  return response;
}

absl::Status Operations::LoadStoredRules() {
  ASSIGN_OR_RETURN(auto stored, ledger_->ReadAux(kRulesPrefix));
  const std::shared_ptr<const evaluator::CompiledRules> initial =
      book_.ActiveAt(absl::InfinitePast());
  bool initial_stored = false;
  for (const auto& [key, value] : stored) {
    RuleSetVersion version;
    if (!version.ParseFromString(value)) {
      return absl::DataLossError(absl::StrCat("record ", key, " does not parse"));
    }
    ASSIGN_OR_RETURN(auto compiled,
                     evaluator::CompiledRules::Compile(version.rule_set()));
    initial_stored |= version.version() == initial->version();
    book_.Add(std::move(version), std::move(compiled));
  }
  if (initial_stored) return absl::OkStatus();
  // A rule file given at start that is not stored yet becomes a new version,
  // active from now.
  absl::Notification stored_now;
  absl::Status status;
  RuleSetVersion version;
  version.set_version(initial->version());
  version.set_source_name(initial->rule_set().source_name());
  *version.mutable_rule_set() = initial->rule_set();
  internal::SubmitToLedger<loyalty::v1::LoadRulesResponse>(
      ledger_, absl::StrCat("start-rules-", initial->version()),
      internal::Fingerprint("StartRules", loyalty::v1::LoadRulesRequest()),
      [this, version, initial](ledger::Transaction& t) mutable
          -> absl::StatusOr<std::string> {
        *version.mutable_activation_time() = ToTimestamp(t.now());
        *version.mutable_load_time() = ToTimestamp(t.now());
        t.PutAux(VersionKey(t.now(), version.version()), version.SerializeAsString());
        book_.Add(version, initial);
        return loyalty::v1::LoadRulesResponse().SerializeAsString();
      },
      [&](absl::StatusOr<loyalty::v1::LoadRulesResponse> result) {
        status = result.status();
        stored_now.Notify();
      });
  stored_now.WaitForNotification();
  return status;
}

}  // namespace loyalty::program
