#include "engine/base/command_line.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "engine/base/version.h"

namespace loyalty {
namespace {

constexpr size_t kHelpWidth = 78;
constexpr char kHelpIndent[] = "      ";

// `text` as lines of at most kHelpWidth columns, each indented.
std::string Wrapped(absl::string_view text) {
  std::string out, line = kHelpIndent;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (line.size() > sizeof(kHelpIndent) - 1 && line.size() + 1 + word.size() > kHelpWidth) {
      absl::StrAppend(&out, line, "\n");
      line = kHelpIndent;
    }
    if (line.size() > sizeof(kHelpIndent) - 1) line.push_back(' ');
    absl::StrAppend(&line, word);
  }
  return absl::StrCat(out, line, "\n");
}

bool Listed(const absl::CommandLineFlag& flag, const CommandLineSpec& spec) {
  for (const std::string& file : spec.flag_files) {
    if (absl::EndsWith(flag.Filename(), file)) return true;
  }
  return false;
}

// The flag word, without a value: "--help", "-h", "--version".
bool Asks(const std::vector<std::string>& args, std::initializer_list<const char*> words) {
  for (const std::string& arg : args) {
    if (arg == "--") return false;
    for (const char* word : words) {
      if (arg == word) return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::string> UnderscoreFlagNames(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  bool flags_end = false;
  for (const std::string& arg : args) {
    if (arg == "--") flags_end = true;
    if (flags_end || arg.size() < 2 || arg[0] != '-') {
      out.push_back(arg);
      continue;
    }
    const size_t start = arg[1] == '-' ? 2 : 1;
    const size_t end = std::min(arg.find('='), arg.size());
    std::string rewritten = arg;
    std::replace(rewritten.begin() + start, rewritten.begin() + end, '-', '_');
    out.push_back(std::move(rewritten));
  }
  return out;
}

std::string DocumentedFlag(absl::string_view name) {
  return absl::StrCat("--", absl::StrReplaceAll(name, {{"_", "-"}}));
}

std::string Help(const CommandLineSpec& spec) {
  std::vector<const absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (Listed(*flag, spec)) flags.push_back(flag);
  }
  std::sort(flags.begin(), flags.end(),
            [](const auto* a, const auto* b) { return a->Name() < b->Name(); });
  std::string text = absl::StrCat(spec.usage, "\n\nFlags (--name VALUE or --name=VALUE; "
                                  "--data_dir and --data-dir are the same flag):\n");
  for (const absl::CommandLineFlag* flag : flags) {
    const std::string fallback = flag->DefaultValue();
    absl::StrAppend(&text, "  ", DocumentedFlag(flag->Name()), "  (default: ",
                    fallback.empty() ? "none" : fallback, ")\n", Wrapped(flag->Help()));
  }
  absl::StrAppend(&text, "  --version\n", Wrapped("Print the version of this build and exit."),
                  "  --help\n", Wrapped("Print this help and exit."));
  return text;
}

std::vector<char*> ParseCommandLine(const CommandLineSpec& spec, int argc, char** argv) {
  // Kept for the life of the process: the returned arguments point into it.
  static auto* const kArgs = new std::vector<std::string>();
  static auto* const kPointers = new std::vector<char*>();
  *kArgs = UnderscoreFlagNames(std::vector<std::string>(argv, argv + argc));
  if (Asks(*kArgs, {"--help", "-h", "-help", "--helpfull"})) {
    std::fputs(Help(spec).c_str(), stdout);
    std::exit(0);
  }
  if (Asks(*kArgs, {"--version", "-version"})) {
    std::printf("%s %s\n", spec.program.c_str(), BuildVersion());
    std::exit(0);
  }
  kPointers->clear();
  for (std::string& arg : *kArgs) kPointers->push_back(arg.data());
  kPointers->push_back(nullptr);
  return absl::ParseCommandLine(static_cast<int>(kArgs->size()), kPointers->data());
}

}  // namespace loyalty
