// Rule-set versions: validate, load (store and activate), list.
//
// A load compiles the file on the caller's thread, before the ledger sees
// it: the writer thread only stamps the activation time, checks the money
// terms (currency and point value) against the versions decided before it
// and stages the version's record. The version joins the rule book in the
// load's completion, once its record is durable (rule_book.h says what a
// purchase decided in between sees).
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "engine/base/error.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"
#include "engine/evaluator/rule_file.h"
#include "engine/program/operations.h"
#include "engine/program/simulation.h"
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

std::string FileName(const std::string& given) {
  return given.empty() ? "rules.yaml" : given;
}

// A rule file, read and compiled: what a load stores and activates.
struct CompiledVersion {
  RuleSetVersion version;  // without activation and load times
  std::shared_ptr<const evaluator::CompiledRules> rules;
};

absl::StatusOr<CompiledVersion> CompileVersion(const std::string& file_name,
                                               const std::string& yaml) {
  ASSIGN_OR_RETURN(loyalty::v1::RuleSet rule_set,
                   evaluator::ParseRuleFile(file_name, yaml));
  CompiledVersion compiled;
  ASSIGN_OR_RETURN(compiled.rules, evaluator::CompiledRules::Compile(rule_set));
  compiled.version.set_version(compiled.rules->version());
  compiled.version.set_source_name(file_name);
  *compiled.version.mutable_rule_set() = compiled.rules->rule_set();
  compiled.version.set_yaml(yaml);
  return compiled;
}

MoneyTerms TermsOf(const loyalty::v1::RuleSet& rule_set) {
  return {rule_set.program().currency(), rule_set.program().point_value_minor()};
}

}  // namespace

absl::Status CheckMoneyTerms(const MoneyTerms& active,
                             const MoneyTerms& loaded) {
  if (loaded.currency != active.currency) {
    return FailedPrecondition(
        "RULES_CURRENCY_CHANGED", "program.currency",
        absl::StrCat("the ledger holds amounts in ", active.currency,
                     "; a rule file in ", loaded.currency,
                     " would change what they mean (allowed only while no "
                     "entry has moved points or money)"));
  }
  if (loaded.point_value_minor != active.point_value_minor) {
    return FailedPrecondition(
        "RULES_POINT_VALUE_CHANGED", "program.point_value_minor",
        absl::StrCat("points in the ledger are worth ", active.point_value_minor,
                     " minor units each; a rule file with ",
                     loaded.point_value_minor,
                     " would change the liability (allowed only while no "
                     "entry has moved points or money)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<loyalty::v1::ValidateRulesResponse> Operations::ValidateRules(
    const loyalty::v1::ValidateRulesRequest& request) const {
  loyalty::v1::ValidateRulesResponse response;
  const std::string name = FileName(request.file_name());
  for (std::string& problem : evaluator::ValidateRuleFile(name, request.yaml())) {
    response.add_problems(std::move(problem));
  }
  if (!response.problems().empty()) return response;
  ASSIGN_OR_RETURN(loyalty::v1::RuleSet rule_set,
                   evaluator::ParseRuleFile(name, request.yaml()));
  response.set_version(rule_set.version());
  // What LoadRules would decide now (a sale may still come in between).
  ASSIGN_OR_RETURN(auto balances, ledger_->ReadProgramBalances());
  if (!balances.empty()) {
    RETURN_IF_ERROR(CheckMoneyTerms(DecidedTerms(), TermsOf(rule_set)));
  }
  return response;
}

namespace {

// The period of a simulation: both ends set, from before to.
absl::Status CheckSimulation(const loyalty::v1::SimulateRulesRequest& request) {
  if (!request.has_from_time()) {
    return InvalidArgument("MISSING_FIELD", "from_time",
                           "the period needs a start");
  }
  if (!request.has_to_time()) {
    return InvalidArgument("MISSING_FIELD", "to_time",
                           "the period needs an end");
  }
  if (FromTimestamp(request.to_time()) <= FromTimestamp(request.from_time())) {
    return InvalidArgument("INVALID_PERIOD", "to_time",
                           "to_time must be after from_time");
  }
  if (request.sample_every() < 0) {
    return InvalidArgument("INVALID_SAMPLE", "sample_every",
                           "every Nth member: N >= 1 (0: every member)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<loyalty::v1::SimulateRulesResponse> Operations::SimulateRules(
    const loyalty::v1::SimulateRulesRequest& request,
    absl::string_view partner_id,
    absl::FunctionRef<void(const loyalty::v1::SimulateRulesResponse&)> progress,
    const std::atomic<bool>* stop) const {
  RETURN_IF_ERROR(CheckSimulation(request));
  ASSIGN_OR_RETURN(
      CompiledVersion candidate,
      CompileVersion(FileName(request.file_name()), request.yaml()));
  ASSIGN_OR_RETURN(auto balances, ledger_->ReadProgramBalances());
  if (!balances.empty()) {
    RETURN_IF_ERROR(
        CheckMoneyTerms(DecidedTerms(), TermsOf(candidate.rules->rule_set())));
  }
  SimulationInput input;
  input.ledger = ledger_;
  input.recorded = &book_;
  input.candidate = std::move(candidate.rules);
  input.from = FromTimestamp(request.from_time());
  input.to = FromTimestamp(request.to_time());
  input.sample_every = request.sample_every();
  input.sample_segment = request.sample_segment();
  input.partner_id = std::string(partner_id);
  return Simulate(input, progress, stop);
}

MoneyTerms Operations::DecidedTerms() const {
  absl::MutexLock lock(&terms_mu_);
  return decided_terms_;
}

absl::Status Operations::DecideTerms(const MoneyTerms& loaded,
                                     bool points_or_money_moved) {
  absl::MutexLock lock(&terms_mu_);
  if (points_or_money_moved) {
    RETURN_IF_ERROR(CheckMoneyTerms(decided_terms_, loaded));
  }
  decided_terms_ = loaded;
  return absl::OkStatus();
}

void Operations::LoadRules(const loyalty::v1::LoadRulesRequest& request,
                           Reply<loyalty::v1::LoadRulesResponse> reply,
                           absl::Time deadline) {
  // Read and compiled here, on the caller's thread, not on the writer's.
  absl::StatusOr<CompiledVersion> compiled =
      CompileVersion(FileName(request.file_name()), request.yaml());
  if (!compiled.ok()) {
    reply(compiled.status());
    return;
  }
  auto rules = compiled->rules;
  std::optional<absl::Time> requested;
  if (request.has_activation_time()) {
    requested = FromTimestamp(request.activation_time());
  }
  auto decide = [this, version = std::move(compiled->version), requested](
                    ledger::Transaction& t) mutable -> absl::StatusOr<std::string> {
    RETURN_IF_ERROR(DecideTerms(TermsOf(version.rule_set()),
                                t.points_or_money_moved()));
    const absl::Time activation = std::max(t.now(), requested.value_or(t.now()));
    *version.mutable_activation_time() = ToTimestamp(activation);
    *version.mutable_load_time() = ToTimestamp(t.now());
    t.PutAux(VersionKey(activation, version.version()), version.SerializeAsString());
    loyalty::v1::LoadRulesResponse response;
    version.clear_rule_set();
    version.clear_yaml();
    *response.mutable_version() = std::move(version);
    return response.SerializeAsString();
  };
  auto done = [this, rules = std::move(rules),
               reply = std::move(reply)](ledger::Outcome outcome) mutable {
    if (!outcome.status.ok()) {
      reply(outcome.status);
      return;
    }
    loyalty::v1::LoadRulesResponse response;
    if (!response.ParseFromString(outcome.response)) {
      reply(absl::InternalError("a stored response does not parse"));
      return;
    }
    // Durable now. A replay was added when it was first answered (or read
    // back at start).
    if (!outcome.replayed) book_.Add(response.version(), std::move(rules));
    reply(std::move(response));
  };
  ledger_->Submit(ledger::Operation{request.request_id(),
                                    internal::Fingerprint("LoadRules", request),
                                    std::move(decide), deadline},
                  std::move(done));
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
    {
      absl::MutexLock lock(&terms_mu_);
      decided_terms_ = TermsOf(version.rule_set());  // newest activation last
    }
    book_.Add(std::move(version), std::move(compiled));
  }
  if (initial_stored) return absl::OkStatus();
  return StoreStartRules(initial);
}

// A rule file given at start that is not stored yet becomes a new version,
// active from now, under the same money-terms check as a load.
absl::Status Operations::StoreStartRules(
    std::shared_ptr<const evaluator::CompiledRules> initial) {
  absl::Notification stored_now;
  absl::Status status;
  RuleSetVersion version;
  version.set_version(initial->version());
  version.set_source_name(initial->rule_set().source_name());
  *version.mutable_rule_set() = initial->rule_set();
  auto decide = [this, version](ledger::Transaction& t) mutable
      -> absl::StatusOr<std::string> {
    RETURN_IF_ERROR(DecideTerms(TermsOf(version.rule_set()),
                                t.points_or_money_moved()));
    *version.mutable_activation_time() = ToTimestamp(t.now());
    *version.mutable_load_time() = ToTimestamp(t.now());
    t.PutAux(VersionKey(t.now(), version.version()), version.SerializeAsString());
    loyalty::v1::LoadRulesResponse response;
    *response.mutable_version() = version;
    return response.SerializeAsString();
  };
  internal::SubmitToLedger<loyalty::v1::LoadRulesResponse>(
      ledger_, absl::StrCat("start-rules-", initial->version()),
      internal::Fingerprint("StartRules", loyalty::v1::LoadRulesRequest()),
      std::move(decide),
      [&](absl::StatusOr<loyalty::v1::LoadRulesResponse> result) {
        status = result.status();
        // Durable (or refused): only now may it price anything.
        if (result.ok()) book_.Add(result->version(), initial);
        stored_now.Notify();
      });
  stored_now.WaitForNotification();
  return status;
}

}  // namespace loyalty::program
