// Child processes for the pipeline: jobs and notification commands.
//
// A child gets its own process group (so a timeout kills the job and
// whatever it started) and dies with its parent (PR_SET_PDEATHSIG: a killed
// runner leaves no job running on behind it). Its stdout and stderr are
// pipes the parent reads without blocking; its stdin is a pipe or /dev/null.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "recmart/common/status.h"

namespace recmart::workflow {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the program (PATH is not searched)
  std::string cwd;                // "" = the parent's
  std::vector<std::pair<std::string, std::string>> env;  // added to the parent's environment
  bool stdin_pipe = false;                               // else /dev/null
};

class Subprocess {
 public:
  static StatusOr<Subprocess> Spawn(const SpawnOptions& options);
  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  // Kills the process group if still running, and reaps it.
  ~Subprocess();

  pid_t pid() const { return pid_; }
  int stdin_fd() const { return in_; }  // -1 unless stdin_pipe; CloseStdin when done
  int stdout_fd() const { return out_; }
  int stderr_fd() const { return err_; }
  void CloseStdin();

  // Non-blocking: true and the wait status once the child has exited.
  bool TryWait(int* wait_status);
  // SIGKILL to the whole process group.
  void Kill();

  // Reads what is available on `fd` (non-blocking) into `buffer`; false at EOF.
  static bool Drain(int fd, std::string* buffer);

 private:
  Subprocess() = default;
  void CloseAll();
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
  bool reaped_ = false;
};

// "exit 3", "killed by signal 9".
std::string DescribeWaitStatus(int wait_status);

}  // namespace recmart::workflow
