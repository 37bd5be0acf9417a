#include "recmart/workflow/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace recmart::workflow {
namespace {

Status Errno(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

}  // namespace

StatusOr<Subprocess> Subprocess::Spawn(const SpawnOptions& o) {
  if (o.argv.empty()) return Status::InvalidArgument("spawn: empty argv");
  int in[2] = {-1, -1}, out[2], err[2];
  if (o.stdin_pipe && ::pipe2(in, O_CLOEXEC) != 0) return Errno("pipe");
  if (::pipe2(out, O_CLOEXEC) != 0) return Errno("pipe");
  if (::pipe2(err, O_CLOEXEC) != 0) return Errno("pipe");
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::vector<char*> argv;
  for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : o.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e) {
    bool replaced = false;
    for (const auto& [k, v] : o.env) {
      if (std::strncmp(*e, k.c_str(), k.size()) == 0 && (*e)[k.size()] == '=') replaced = true;
    }
    if (!replaced) envp.push_back(*e);
  }
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  const pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) return Errno("fork");
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(o.stdin_pipe ? in[0] : devnull, 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    if (!o.cwd.empty() && ::chdir(o.cwd.c_str()) != 0) {
      const char msg[] = "recmart: cannot enter the job's directory\n";
      (void)!::write(2, msg, sizeof msg - 1);
      ::_exit(127);
    }
    ::execve(argv[0], argv.data(), envp.data());
    const char msg[] = "recmart: cannot start the job's program\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  // Also from the parent, so that a Kill right after Spawn finds the group.
  ::setpgid(pid, pid);
  Subprocess p;
  p.pid_ = pid;
  if (o.stdin_pipe) {
    ::close(in[0]);
    p.in_ = in[1];
    ::fcntl(p.in_, F_SETFL, O_NONBLOCK);
  }
  ::close(out[1]);
  ::close(err[1]);
  p.out_ = out[0];
  p.err_ = err[0];
  ::fcntl(p.out_, F_SETFL, O_NONBLOCK);
  ::fcntl(p.err_, F_SETFL, O_NONBLOCK);
  return p;
}

Subprocess::Subprocess(Subprocess&& o) noexcept { *this = std::move(o); }

Subprocess& Subprocess::operator=(Subprocess&& o) noexcept {
  if (this != &o) {
    CloseAll();
    pid_ = std::exchange(o.pid_, -1);
    in_ = std::exchange(o.in_, -1);
    out_ = std::exchange(o.out_, -1);
    err_ = std::exchange(o.err_, -1);
    reaped_ = std::exchange(o.reaped_, false);
  }
  return *this;
}

Subprocess::~Subprocess() { CloseAll(); }

void Subprocess::CloseAll() {
  if (pid_ > 0 && !reaped_) {
    Kill();
    int st;
    ::waitpid(pid_, &st, 0);
    reaped_ = true;
  }
  for (int* fd : {&in_, &out_, &err_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void Subprocess::CloseStdin() {
  if (in_ >= 0) ::close(in_);
  in_ = -1;
}

bool Subprocess::TryWait(int* wait_status) {
  if (reaped_) return true;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r != pid_) return false;
  reaped_ = true;
  *wait_status = st;
  // The group may still hold processes the job started: they go with it.
  ::kill(-pid_, SIGKILL);
  return true;
}

void Subprocess::Kill() {
  if (pid_ > 0 && !reaped_) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
  }
}

bool Subprocess::Drain(int fd, std::string* buffer) {
  if (fd < 0) return false;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      buffer->append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return true;  // EAGAIN: nothing more for now
  }
}

std::string DescribeWaitStatus(int st) {
  if (WIFEXITED(st)) return "exit " + std::to_string(WEXITSTATUS(st));
  if (WIFSIGNALED(st)) return "killed by signal " + std::to_string(WTERMSIG(st));
  return "stopped";
}

}  // namespace recmart::workflow
