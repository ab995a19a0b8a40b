#include "bash_completion.h"

#include <algorithm>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace loyalty_cli {
namespace {

// One parser node: "" for the program, "/member/get" for `member get`.
struct Node {
  std::string path;
  const CLI::App* app;
};

void CollectNodes(const CLI::App& app, const std::string& path,
                  std::vector<Node>* nodes) {
  nodes->push_back({path, &app});
  // With a filter, CLI11 lists every subcommand defined (not only parsed).
  for (const CLI::App* sub :
       app.get_subcommands([](const CLI::App*) { return true; })) {
    // A subcommand without a name is an option group, not a verb.
    if (sub->get_name().empty()) continue;
    CollectNodes(*sub, absl::StrCat(path, "/", sub->get_name()), nodes);
  }
}

// "--server", or "-h" for a flag with a short name only.
std::string FlagWord(const CLI::Option& option) {
  if (!option.get_lnames().empty()) {
    return absl::StrCat("--", option.get_lnames().front());
  }
  return absl::StrCat("-", option.get_snames().front());
}

// The flags typed after `app`'s name: its own, then those of each parent
// that CLI11 lets through (fallthrough), such as loyaltyctl's global flags.
// `with_value` keeps only those that take a value.
std::vector<std::string> FlagWords(const CLI::App& app, bool with_value) {
  std::vector<std::string> words;
  std::set<std::string> seen;
  for (const CLI::App* node = &app; node != nullptr;
       node = node->get_fallthrough() ? node->get_parent() : nullptr) {
    for (const CLI::Option* option : node->get_options()) {
      if (!option->nonpositional()) continue;
      if (with_value && option->get_expected_max() == 0) continue;  // a switch
      std::string word = FlagWord(*option);
      if (seen.insert(word).second) words.push_back(std::move(word));
    }
  }
  return words;
}

std::vector<std::string> VerbWords(const CLI::App& app) {
  std::vector<std::string> words;
  for (const CLI::App* sub :
       app.get_subcommands([](const CLI::App*) { return true; })) {
    if (!sub->get_name().empty()) words.push_back(sub->get_name());
  }
  return words;
}

bool TakesArguments(const CLI::App& app) {
  return !app.get_options([](const CLI::Option* option) {
               return !option->nonpositional();
             })
              .empty();
}

// The case branch of one node: the words offered there, the flags after
// which bash completes a value (file names) instead, and whether a word
// that is not a flag is an argument (file names too).
std::string CaseBranch(const Node& node) {
  std::vector<std::string> words = VerbWords(*node.app);
  for (std::string& flag : FlagWords(*node.app, /*with_value=*/false)) {
    words.push_back(std::move(flag));
  }
  return absl::StrCat(
      "    \"", node.path, "\")\n      words=\"", absl::StrJoin(words, " "),
      "\"\n      values=\"",
      absl::StrJoin(FlagWords(*node.app, /*with_value=*/true), " "),
      "\"\n      arguments=", TakesArguments(*node.app) ? "1" : "", " ;;\n");
}

}  // namespace

std::string BashCompletion(const CLI::App& app, const std::string& program) {
  std::vector<Node> nodes;
  CollectNodes(app, "", &nodes);
  std::vector<std::string> verb_paths;
  for (const Node& node : nodes) {
    if (!node.path.empty()) verb_paths.push_back(node.path);
  }
  const std::string function = absl::StrCat(
      "_", absl::StrReplaceAll(program, {{"-", "_"}}), "_completion");
  std::string script = absl::StrCat(
      "# bash completion for ", program, ", generated from its parser.\n",
      "# Load it with: source <(", program, " ",
      verb_paths.empty() ? "--completion bash" : "completion bash", ")\n",
      function, "() {\n",
      "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
      "  local path=\"\" word words values arguments i\n"
      "  # The verbs typed so far; flags and their values are skipped.\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    word=${COMP_WORDS[i]}\n"
      "    case \"$path/$word\" in\n");
  if (!verb_paths.empty()) {
    absl::StrAppend(&script, "      ", absl::StrJoin(verb_paths, "|"),
                    ") path=\"$path/$word\" ;;\n");
  }
  absl::StrAppend(&script,
                  "    esac\n"
                  "  done\n"
                  "  case \"$path\" in\n");
  for (const Node& node : nodes) absl::StrAppend(&script, CaseBranch(node));
  absl::StrAppend(
      &script,
      "  esac\n"
      "  # After a flag that takes a value: bash's default (file names).\n"
      "  case \" $values \" in *\" $prev \"*) return 0 ;; esac\n"
      "  # A verb's argument (ID, FILE): bash's default too, unless a flag.\n"
      "  [[ -n $arguments && $cur != -* ]] && return 0\n"
      "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
      "}\n"
      "complete -o default -F ",
      function, " ", program, "\n");
  return script;
}

}  // namespace loyalty_cli
