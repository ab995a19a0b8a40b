// The command line of loyaltyd (abseil flags), spelled like loyaltyctl's:
// flags are documented with dashes (--data-dir), as loyaltyctl and
// loyalty-bench spell every flag; the underscores abseil names them with
// (--data_dir) are accepted too, so either spelling works in every binary.
// --help lists the flags with dashes; --version prints the build's version.
#ifndef LOYALTY_ENGINE_BASE_COMMAND_LINE_H_
#define LOYALTY_ENGINE_BASE_COMMAND_LINE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace loyalty {

struct CommandLineSpec {
  std::string program;  // "loyaltyd"
  std::string usage;    // what --help prints before the flags
  // The source files (e.g. "loyaltyd_main.cc") whose ABSL_FLAGs --help lists.
  std::vector<std::string> flag_files;
};

// "--data_dir=x" and "-data-dir" become "--data_dir=x" and "-data_dir": the
// name's dashes turn into underscores; values and arguments that are not
// flags stay as they are, and so does everything after "--".
std::vector<std::string> UnderscoreFlagNames(const std::vector<std::string>& args);

// "--data-dir": the documented spelling of abseil flag `name`.
std::string DocumentedFlag(absl::string_view name);

// Parses the command line with abseil after UnderscoreFlagNames. With --help
// (or -h) prints Help and exits 0; with --version prints
// "<program> <BuildVersion()>" and exits 0; with a bad flag, abseil's
// message and exit 1. Returns the positional arguments, argv[0] first.
std::vector<char*> ParseCommandLine(const CommandLineSpec& spec, int argc, char** argv);

// What --help prints: the usage, then every flag of spec.flag_files with its
// default and help, spelled with dashes.
std::string Help(const CommandLineSpec& spec);

}  // namespace loyalty

#endif  // LOYALTY_ENGINE_BASE_COMMAND_LINE_H_
