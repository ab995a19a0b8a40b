// ChildProcess: a program started by a test (loyaltyd), with its stdout and
// stderr going to files so that the test can read them at any time without
// ever blocking the child. The child is killed with SIGKILL when the object
// goes away, and also when the thread that started it dies (PDEATHSIG), so a
// test that fails or crashes leaves no process behind.
//
// Not thread-safe: start, wait and kill from one thread (the test's main
// thread, which PDEATHSIG ties the child to).
#ifndef LOYALTY_TESTS_CRASH_CHILD_PROCESS_H_
#define LOYALTY_TESTS_CRASH_CHILD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace loyalty::testing {

// How a child ended, as waitpid reports it.
struct ChildExit {
  bool exited = false;  // true: exit_code is set; false: killed by `signal`
  int exit_code = 0;
  int signal = 0;
  std::string ToString() const;
};

class ChildProcess {
 public:
  // Starts `argv` (argv[0] is the program's path). stdout and stderr are
  // appended to the two files, which are created if missing.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      const std::vector<std::string>& argv, const std::string& stdout_path,
      const std::string& stderr_path);

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // Kill() if still running

  pid_t pid() const { return pid_; }
  bool running() const { return !exit_.has_value(); }

  // Reaps the child if it has ended, without waiting; its exit once known.
  std::optional<ChildExit> Poll();
  // Waits at most `timeout` for the child to end; nullopt if it did not.
  std::optional<ChildExit> WaitFor(absl::Duration timeout);
  // SIGKILL, then waits for it (a killed process always ends).
  ChildExit Kill();
  // Sends `signal` (e.g. SIGTERM) without waiting.
  void Signal(int signal);

  const std::string& stdout_path() const { return stdout_path_; }
  const std::string& stderr_path() const { return stderr_path_; }

 private:
  ChildProcess(pid_t pid, std::string stdout_path, std::string stderr_path)
      : pid_(pid),
        stdout_path_(std::move(stdout_path)),
        stderr_path_(std::move(stderr_path)) {}

  pid_t pid_;
  std::string stdout_path_;
  std::string stderr_path_;
  std::optional<ChildExit> exit_;
};

// The whole content of a file; empty when it cannot be read.
std::string ReadWholeFile(const std::string& path);

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_CRASH_CHILD_PROCESS_H_
