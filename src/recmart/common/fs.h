// File-system helpers with the guarantees the lake and catalog rely on.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "recmart/common/status.h"

namespace recmart {

// Reads a whole file. NotFound when it does not exist.
StatusOr<std::string> ReadFileToString(const std::string& path);

// Writes `contents` to `path` atomically: a temp file in the same directory is
// written, fsynced and renamed over `path`, then the directory is fsynced. A
// reader sees the old file or the new one, never a mix; a crash leaves the old.
Status WriteFileAtomic(const std::string& path, std::string_view contents);

// Renames `from` to `to` (same file system) and fsyncs the target directory.
Status RenameDurable(const std::string& from, const std::string& to);

// fsyncs a file or directory.
Status SyncPath(const std::string& path);

// Flushes every dirty page of the file system holding `path` (syncfs(2)): one
// call makes a whole batch of written files and renames durable, where an
// fsync per file would cost a disk flush each.
Status SyncFileSystem(const std::string& path);

// rename(2) without syncing; pair with SyncFileSystem for a batch.
Status Rename(const std::string& from, const std::string& to);

// Expands a path pattern: `*`, `?` and `[...]` within a name, and `**` for any
// number of directories. Results are regular files, sorted. A pattern without
// wildcards yields the path itself if it is a regular file. Relative patterns
// are resolved against `base_dir`.
StatusOr<std::vector<std::string>> ExpandGlob(const std::string& pattern,
                                              const std::string& base_dir);

struct FileStat {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};
StatusOr<FileStat> StatFile(const std::string& path);

// An exclusive advisory lock on a file (flock), held until destruction. Two
// processes cannot both hold it; the kernel drops it if the process dies, so a
// killed run never leaves a stale lock.
class FileLock {
 public:
  enum class Mode {
    kExclusiveTry,   // fail at once if anyone holds it
    kExclusiveWait,  // wait until it is free
    kSharedWait,     // wait until no exclusive holder; many shared holders coexist
  };
  // With kExclusiveTry, fails with FailedPrecondition naming `what` if another
  // process holds the lock.
  static StatusOr<FileLock> Acquire(const std::string& path, std::string_view what,
                                    Mode mode = Mode::kExclusiveTry);
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Crash-test hook: when the environment variable RECMART_CRASH_AT equals
// `point`, the process kills itself with SIGKILL right here, as a power cut or
// an OOM kill would. Used by tests/cli/crash_test.sh to prove that a run killed
// at each step of the commit protocol leaves the last good state. A no-op
// otherwise (one getenv). With RECMART_CRASH_ONCE=<file> too, only the first
// process to reach the point dies (the marker file records it), so that the
// restarted run gets past it.
void CrashPoint(const char* point);

// Fault-injection hook for tests: true when RECMART_FAULT equals `fault`.
// Lets a test make a check fail on purpose (e.g. lose a staged row) to prove
// the check is real.
bool FaultInjected(const char* fault);

// Joins `path` onto `base` unless `path` is absolute.
std::string ResolvePath(const std::string& base, const std::string& path);

}  // namespace recmart
