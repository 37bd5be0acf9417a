#include "recmart/common/fs.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace recmart {
namespace fs = std::filesystem;

namespace {
std::string ErrnoText() { return std::strerror(errno); }

bool HasWildcard(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

// Matches path components of `pattern` (split on '/') against the tree under `dir`.
void GlobWalk(const fs::path& dir, const std::vector<std::string>& parts, size_t i,
              std::vector<std::string>* out) {
  std::error_code ec;
  if (i == parts.size()) {
    if (fs::is_regular_file(dir, ec)) out->push_back(dir.string());
    return;
  }
  const std::string& part = parts[i];
  if (part == "**") {
    GlobWalk(dir, parts, i + 1, out);  // zero directories
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      // Like '*', '**' does not enter hidden directories.
      if (it->is_directory(ec) && it->path().filename().string()[0] != '.')
        GlobWalk(it->path(), parts, i, out);
    }
    return;
  }
  if (!HasWildcard(part)) {
    fs::path next = dir / part;
    if (fs::exists(next, ec)) GlobWalk(next, parts, i + 1, out);
    return;
  }
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (fnmatch(part.c_str(), name.c_str(), FNM_PERIOD) == 0)
      GlobWalk(it->path(), parts, i + 1, out);
  }
}
}  // namespace

StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return Status::IOError(path + ": is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::IOError(path + ": " + ErrnoText());
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IOError(path + ": read failed");
  return ss.str();
}

Status SyncPath(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(path + ": open for sync: " + ErrnoText());
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::IOError(path + ": fsync: " + ErrnoText());
  return Status::OK();
}

Status SyncFileSystem(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(path + ": open for sync: " + ErrnoText());
  int rc = ::syncfs(fd);
  ::close(fd);
  if (rc != 0) return Status::IOError(path + ": syncfs: " + ErrnoText());
  return Status::OK();
}

Status Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return Status::IOError("rename " + from + " -> " + to + ": " + ErrnoText());
  }
  return Status::OK();
}

Status RenameDurable(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return Status::IOError("rename " + from + " -> " + to + ": " + ErrnoText());
  }
  std::string dir = fs::path(to).parent_path().string();
  return SyncPath(dir.empty() ? "." : dir);
}

Status WriteFileAtomic(const std::string& path, std::string_view contents) {
  fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  // Unique per process and call, so concurrent writers never share a temp file.
  static std::atomic<uint64_t> counter{0};
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(tmp + ": " + ErrnoText());
  const char* p = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = Status::IOError(tmp + ": write: " + ErrnoText());
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return Status::IOError(tmp + ": fsync/close: " + ErrnoText());
  }
  Status s = RenameDurable(tmp, path);
  if (!s.ok()) ::unlink(tmp.c_str());
  return s;
}

StatusOr<std::vector<std::string>> ExpandGlob(const std::string& pattern,
                                              const std::string& base_dir) {
  // Wildcards are honoured in the pattern only: a relative pattern is walked
  // from base_dir (or the working directory) taken literally, so a project
  // living under "/data/shop[1]" still finds its files.
  std::error_code ec;
  fs::path start;
  std::string rel = pattern;
  if (!pattern.empty() && pattern[0] == '/') {
    start = "/";
  } else {
    start = base_dir.empty() ? fs::current_path(ec) : fs::path(base_dir);
  }
  std::vector<std::string> out;
  if (!HasWildcard(rel)) {
    fs::path full = (rel[0] == '/' ? fs::path(rel) : start / rel).lexically_normal();
    if (fs::is_regular_file(full, ec)) out.push_back(full.string());
    return out;
  }
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= rel.size()) {
    size_t slash = rel.find('/', pos);
    if (slash == std::string::npos) slash = rel.size();
    std::string part = rel.substr(pos, slash - pos);
    if (!part.empty() && part != ".") parts.push_back(part);
    pos = slash + 1;
  }
  GlobWalk(start, parts, 0, &out);
  for (auto& f : out) f = fs::path(f).lexically_normal().string();
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

StatusOr<FileStat> StatFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::IOError(path + ": " + ErrnoText());
  }
  FileStat fst;
  fst.size = static_cast<uint64_t>(st.st_size);
  fst.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  return fst;
}

StatusOr<FileLock> FileLock::Acquire(const std::string& path, std::string_view what, Mode mode) {
  std::error_code ec;
  fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(path + ": " + ErrnoText());
  int op = mode == Mode::kSharedWait ? LOCK_SH : LOCK_EX;
  if (mode == Mode::kExclusiveTry) op |= LOCK_NB;
  int rc;
  do {
    rc = ::flock(fd, op);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    ::close(fd);
    return Status::FailedPrecondition(std::string(what) + " is held by another recmart process (" +
                                      path + ")");
  }
  return FileLock(fd);
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}
FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

void CrashPoint(const char* point) {
  const char* at = std::getenv("RECMART_CRASH_AT");
  if (!at || std::strcmp(at, point) != 0) return;
  // With RECMART_CRASH_ONCE=<marker file>, only the first process to reach
  // the point dies (it creates the marker), so a restarted run gets past it.
  if (const char* once = std::getenv("RECMART_CRASH_ONCE")) {
    int fd = ::open(once, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return;
    ::close(fd);
  }
  ::kill(::getpid(), SIGKILL);
}

bool FaultInjected(const char* fault) {
  const char* f = std::getenv("RECMART_FAULT");
  return f && std::strcmp(f, fault) == 0;
}

std::string ResolvePath(const std::string& base, const std::string& path) {
  if (path.empty() || path[0] == '/' || base.empty()) return path;
  return (fs::path(base) / path).lexically_normal().string();
}

}  // namespace recmart
