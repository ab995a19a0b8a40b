#include "engine/server/data_dir.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace loyalty::server {

absl::StatusOr<std::string> PrepareDataDir(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return std::string();
    return absl::UnavailableError(
        absl::StrCat("cannot read data dir '", path, "': ", std::strerror(errno)));
  }
  if (!S_ISDIR(info.st_mode)) return std::string();
  const unsigned mode = info.st_mode & 07777;
  if ((mode & (S_IWGRP | S_IWOTH)) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "data dir '%s' is writable by %s (mode %04o); it holds "
        "members' personal data: check who changed it, then "
        "chmod 700 '%s'",
        path, (mode & S_IWOTH) != 0 ? "everyone" : "its group", mode, path));
  }
  if ((mode & (S_IRWXG | S_IRWXO)) == 0) return std::string();
  const unsigned tightened = mode & ~static_cast<unsigned>(S_IRWXG | S_IRWXO);
  if (chmod(path.c_str(), tightened) != 0) {
    return absl::UnavailableError(
        absl::StrFormat("cannot make data dir '%s' private (chmod %04o): %s", path,
                        tightened, std::strerror(errno)));
  }
  return absl::StrFormat("data dir %s was open to group or others (mode %04o); now %04o",
                         path, mode, tightened);
}

}  // namespace loyalty::server
