#include "checkpoint.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace loyaltyctl {
namespace {

absl::Status Failed(const std::string& what, const std::string& path) {
  return absl::UnavailableError(
      absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<std::optional<Checkpoint>> ReadCheckpoint(
    const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    if (errno == ENOENT) return std::optional<Checkpoint>();
    return Failed("read", path);
  }
  std::stringstream text;
  text << file.rdbuf();
  const std::vector<std::string> words = absl::StrSplit(
      absl::StripAsciiWhitespace(text.str()), ' ', absl::SkipEmpty());
  Checkpoint checkpoint;
  int index = 0;
  bool ok = (words.size() == 1 || words.size() == 2) &&
            absl::SimpleAtoi(words[0], &checkpoint.sequence) &&
            checkpoint.sequence >= 0;
  if (ok && words.size() == 2) {
    ok = absl::SimpleAtoi(words[1], &index) && index >= 0 &&
         checkpoint.sequence > 0;
    checkpoint.index = index;
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint ", path,
                     " does not read as 'SEQUENCE [INDEX]'; fix or "
                     "remove it (removing it forwards from --after again)"));
  }
  return std::optional<Checkpoint>(checkpoint);
}

absl::Status WriteCheckpoint(const std::string& path,
                             const Checkpoint& checkpoint) {
  const std::string temporary = path + ".tmp";
  std::FILE* file = std::fopen(temporary.c_str(), "w");
  if (file == nullptr) return Failed("create", temporary);
  std::string line = absl::StrCat(checkpoint.sequence);
  if (checkpoint.index) absl::StrAppend(&line, " ", *checkpoint.index);
  line += "\n";
  const bool written =
      std::fwrite(line.data(), 1, line.size(), file) == line.size() &&
      std::fflush(file) == 0 && fsync(fileno(file)) == 0;
  if (std::fclose(file) != 0 || !written) {
    std::remove(temporary.c_str());
    return Failed("write", temporary);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return Failed("rename the checkpoint to", path);
  }
  return absl::OkStatus();
}

}  // namespace loyaltyctl
