#include "tests/crash/child_process.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"

namespace loyalty::testing {
namespace {

ChildExit FromWaitStatus(int status) {
  ChildExit result;
  if (WIFEXITED(status)) {
    result.exited = true;
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

// Runs in the forked child: only async-signal-safe calls until exec.
[[noreturn]] void ExecChild(char* const* argv, const char* stdout_path,
                            const char* stderr_path, pid_t parent) {
  // Die with the thread that started us, even if the test crashes.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);  // the parent is already gone
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  const int out = open(stdout_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  const int err = open(stderr_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (out < 0 || err < 0) _exit(127);
  dup2(out, STDOUT_FILENO);
  dup2(err, STDERR_FILENO);
  // Nothing of the test (gRPC sockets, files) leaks into the child.
  close_range(3, ~0U, 0);
  execv(argv[0], argv);
  _exit(127);
}

}  // namespace

std::string ChildExit::ToString() const {
  if (exited) return absl::StrCat("exit code ", exit_code);
  return absl::StrCat("signal ", signal, " (", strsignal(signal), ")");
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const std::vector<std::string>& argv, const std::string& stdout_path,
    const std::string& stderr_path) {
  if (argv.empty()) return absl::InvalidArgumentError("no program to start");
  // Everything the child needs is built before fork: after it, a
  // multi-threaded parent's child may only make async-signal-safe calls.
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  }
  if (pid == 0) {
    ExecChild(args.data(), stdout_path.c_str(), stderr_path.c_str(), parent);
  }
  return std::unique_ptr<ChildProcess>(
      new ChildProcess(pid, stdout_path, stderr_path));
}

ChildProcess::~ChildProcess() {
  if (running()) Kill();
}

std::optional<ChildExit> ChildProcess::Poll() {
  if (exit_.has_value()) return exit_;
  int status = 0;
  const pid_t reaped = waitpid(pid_, &status, WNOHANG);
  if (reaped == pid_) exit_ = FromWaitStatus(status);
  return exit_;
}

std::optional<ChildExit> ChildProcess::WaitFor(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!Poll().has_value() && absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_;
}

ChildExit ChildProcess::Kill() {
  if (exit_.has_value()) return *exit_;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_ = FromWaitStatus(status);
  return *exit_;
}

void ChildProcess::Signal(int signal) {
  if (running()) kill(pid_, signal);
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace loyalty::testing
