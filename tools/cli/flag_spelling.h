// One spelling of every flag: documented with dashes (--data-dir), as
// loyaltyd, loyaltyctl and loyalty-bench list them in --help. loyaltyd's
// flags are abseil flags, whose own spelling is --data_dir; the tools read
// that spelling too, so scripts written either way keep working. CLI11 knows
// each flag by its dashed name only, and this turns the underscores of a
// flag's name into dashes before CLI11 reads the command line.
#ifndef LOYALTY_TOOLS_CLI_FLAG_SPELLING_H_
#define LOYALTY_TOOLS_CLI_FLAG_SPELLING_H_

#include <string>
#include <vector>

namespace loyalty_cli {

// argv[1..argc) with "--max_in_flight=5" read as "--max-in-flight=5": only
// the name of a word that starts with "--" changes, not its value after '='
// nor any word after a bare "--". (A word that starts with "--" is taken for
// a flag; CLI11 reads it as one too.) Returned in REVERSE order, as
// CLI::App::parse(std::vector<std::string>&) wants it.
std::vector<std::string> DashedArgsReversed(int argc, const char* const* argv);

}  // namespace loyalty_cli

#endif  // LOYALTY_TOOLS_CLI_FLAG_SPELLING_H_
