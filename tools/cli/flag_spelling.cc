#include "flag_spelling.h"

#include <algorithm>

namespace loyalty_cli {

std::vector<std::string> DashedArgsReversed(int argc, const char* const* argv) {
  std::vector<std::string> args;
  bool flags_ended = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") flags_ended = true;
    if (!flags_ended && arg.size() > 2 && arg.compare(0, 2, "--") == 0) {
      const size_t name_end = std::min(arg.find('='), arg.size());
      std::replace(arg.begin() + 2, arg.begin() + static_cast<long>(name_end),
                   '_', '-');
    }
    args.push_back(std::move(arg));
  }
  std::reverse(args.begin(), args.end());
  return args;
}

}  // namespace loyalty_cli
