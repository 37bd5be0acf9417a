#include "recmart/common/fs.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "recmart/common/testing.h"

namespace recmart {
namespace {

namespace fs = std::filesystem;
using ::recmart::testing::StatusIs;
using ::recmart::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

void WriteRaw(const std::string& path, const std::string& contents) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  ASSERT_TRUE(out.good()) << path;
}

std::string ReadRaw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Names in `dir` other than `keep` (to spot temp files left behind).
std::vector<std::string> OtherEntries(const std::string& dir, const std::string& keep) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename() != keep) out.push_back(e.path().filename().string());
  }
  return out;
}

// ---------------------------------------------------------------------------
// ReadFileToString

TEST(ReadFileToString, ReadsBinaryContents) {
  TempDir t;
  std::string data("a\0b\xff\n\r\nend", 10);
  WriteRaw(t / "f.bin", data);
  ASSERT_OK_AND_ASSIGN(std::string got, ReadFileToString(t / "f.bin"));
  EXPECT_EQ(got, data);
}

TEST(ReadFileToString, EmptyFile) {
  TempDir t;
  WriteRaw(t / "empty", "");
  ASSERT_OK_AND_ASSIGN(std::string got, ReadFileToString(t / "empty"));
  EXPECT_EQ(got, "");
}

TEST(ReadFileToString, MissingFileIsNotFound) {
  TempDir t;
  EXPECT_THAT(ReadFileToString(t / "nope.txt"),
              StatusIs(StatusCode::kNotFound, HasSubstr(t / "nope.txt")));
}

// BUG: fs.cc ReadFileToString (lines 55-65): an std::ifstream opened on a directory
// succeeds on Linux, the read fails without setting badbit, and the function
// returns OK with "" — so e.g. `recmart validate somedir` reports a missing
// [project] instead of "is a directory".
TEST(ReadFileToString, DirectoryIsAnError) {
  TempDir t;
  EXPECT_FALSE(ReadFileToString(t.path()).ok());
}

// ---------------------------------------------------------------------------
// WriteFileAtomic

TEST(WriteFileAtomic, CreatesParentsAndWrites) {
  TempDir t;
  const std::string path = t / "a/b/c/out.txt";
  ASSERT_OK(WriteFileAtomic(path, "hello"));
  EXPECT_EQ(ReadRaw(path), "hello");
  EXPECT_THAT(OtherEntries(t / "a/b/c", "out.txt"), IsEmpty());  // no temp left
}

TEST(WriteFileAtomic, ReplacesExistingContent) {
  TempDir t;
  const std::string path = t / "out.txt";
  WriteRaw(path, "old content that is longer than the new one");
  ASSERT_OK(WriteFileAtomic(path, "new"));
  EXPECT_EQ(ReadRaw(path), "new");
  ASSERT_OK(WriteFileAtomic(path, ""));
  EXPECT_EQ(ReadRaw(path), "");
  EXPECT_THAT(OtherEntries(t.path(), "out.txt"), IsEmpty());
}

TEST(WriteFileAtomic, LargeBinaryContent) {
  TempDir t;
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 + 7);
  ASSERT_OK(WriteFileAtomic(t / "big", big));
  EXPECT_EQ(ReadRaw(t / "big"), big);
}

TEST(WriteFileAtomic, ReplacesViaRenameSoOldOpenHandlesKeepOldData) {
  // Atomic replacement means a new inode: a reader that opened the old file
  // keeps reading the old bytes.
  TempDir t;
  const std::string path = t / "f";
  WriteRaw(path, "old");
  std::ifstream reader(path, std::ios::binary);
  ASSERT_OK(WriteFileAtomic(path, "new!"));
  std::string seen((std::istreambuf_iterator<char>(reader)), std::istreambuf_iterator<char>());
  EXPECT_EQ(seen, "old");
  EXPECT_EQ(ReadRaw(path), "new!");
}

TEST(WriteFileAtomic, ParentIsAFileFailsWithIOError) {
  TempDir t;
  WriteRaw(t / "plain", "x");
  EXPECT_THAT(WriteFileAtomic(t / "plain/out.txt", "data"),
              StatusIs(StatusCode::kIOError, HasSubstr(t / "plain/out.txt")));
  EXPECT_EQ(ReadRaw(t / "plain"), "x");
}

TEST(WriteFileAtomic, LeavesNoTempFilesBehind) {
  TempDir t;
  const std::string path = t / "state.json";
  for (int i = 0; i < 5; ++i) ASSERT_OK(WriteFileAtomic(path, "v" + std::to_string(i)));
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(t.path()))
    names.push_back(e.path().filename().string());
  EXPECT_THAT(names, ElementsAre("state.json"));
  EXPECT_EQ(ReadRaw(path), "v4");
}

TEST(WriteFileAtomic, TargetIsADirectoryFails) {
  TempDir t;
  WriteRaw(t / "dir/keep", "k");
  EXPECT_THAT(WriteFileAtomic(t / "dir", "data"),
              StatusIs(StatusCode::kIOError, HasSubstr("rename")));
  EXPECT_EQ(ReadRaw(t / "dir/keep"), "k");
}

// BUG: fs.cc WriteFileAtomic (line 125): when the final RenameDurable fails (here: the
// target is a directory) the temp file "<path>.tmp.<pid>" is not unlinked and
// stays next to the target forever. Fix: unlink(tmp) when RenameDurable fails
// before the rename happened.
TEST(WriteFileAtomic, FailedRenameRemovesTheTempFile) {
  TempDir t;
  WriteRaw(t / "dir/keep", "k");
  ASSERT_FALSE(WriteFileAtomic(t / "dir", "data").ok());
  EXPECT_THAT(OtherEntries(t.path(), "dir"), IsEmpty());
}

// BUG (minor): fs.cc WriteFileAtomic (line 104) names its temp file
// "<path>.tmp.<pid>", unique per process but not per thread: two threads
// writing the same path share one temp file, so one of them fails with
// "rename ...: No such file or directory" (and the content could mix).
// Fix: add a per-call unique suffix (thread id + counter, or mkstemp).
TEST(WriteFileAtomic, ConcurrentWritersInOneProcess) {
  TempDir t;
  const std::string path = t / "shared";
  const std::string a(256 << 10, 'A');
  const std::string b((256 << 10) + 7, 'B');
  for (int i = 0; i < 20; ++i) {
    Status sa, sb;
    std::thread ta([&] { sa = WriteFileAtomic(path, a); });
    std::thread tb([&] { sb = WriteFileAtomic(path, b); });
    ta.join();
    tb.join();
    ASSERT_OK(sa);
    ASSERT_OK(sb);
    const std::string got = ReadRaw(path);
    ASSERT_TRUE(got == a || got == b) << "mixed content, size " << got.size();
  }
}

TEST(WriteFileAtomic, ReadOnlyDirectoryLeavesOldContent) {
  TempDir t;
  const std::string dir = t / "ro";
  const std::string path = dir + "/config.toml";
  WriteRaw(path, "old");
  ASSERT_EQ(::chmod(t.path().c_str(), 0755), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0555), 0);
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);

  // root ignores directory permissions: run the write as an unprivileged user
  // in a child process then.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    Status s = WriteFileAtomic(path, "new");
    if (s.ok()) ::_exit(1);
    if (s.code() != StatusCode::kIOError) ::_exit(2);
    if (s.message().find(path) == std::string::npos) ::_exit(4);
    ::_exit(0);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0)
      << "1: write succeeded, 2: wrong code, 3: cannot drop privileges, 4: path not named";
  EXPECT_EQ(ReadRaw(path), "old");
  EXPECT_THAT(OtherEntries(dir, "config.toml"), IsEmpty());
}

// ---------------------------------------------------------------------------
// Rename / RenameDurable / SyncPath / SyncFileSystem

TEST(Rename, MovesAndReportsFailures) {
  TempDir t;
  WriteRaw(t / "a", "A");
  ASSERT_OK(Rename(t / "a", t / "b"));
  EXPECT_FALSE(fs::exists(t / "a"));
  EXPECT_EQ(ReadRaw(t / "b"), "A");
  EXPECT_THAT(Rename(t / "a", t / "c"),
              StatusIs(StatusCode::kIOError, HasSubstr("rename " + (t / "a") + " -> ")));

  fs::create_directories(t / "sub");
  ASSERT_OK(RenameDurable(t / "b", t / "sub/b"));
  EXPECT_EQ(ReadRaw(t / "sub/b"), "A");
  EXPECT_THAT(RenameDurable(t / "b", t / "sub/c"),
              StatusIs(StatusCode::kIOError, HasSubstr("rename")));
}

TEST(SyncPath, FilesAndDirectories) {
  TempDir t;
  WriteRaw(t / "f", "x");
  EXPECT_OK(SyncPath(t / "f"));
  EXPECT_OK(SyncPath(t.path()));
  EXPECT_THAT(SyncPath(t / "missing"), StatusIs(StatusCode::kIOError, HasSubstr("missing")));
  EXPECT_OK(SyncFileSystem(t.path()));
  EXPECT_THAT(SyncFileSystem(t / "missing"), StatusIs(StatusCode::kIOError, HasSubstr("missing")));
}

// ---------------------------------------------------------------------------
// ExpandGlob

class ExpandGlobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* f : {"a.csv", "b.csv", "ab.csv", "c.txt", ".hidden.csv", "sub/x.csv",
                          "sub/deep/y.csv", "sub/deep/z.txt", "other/w.csv"}) {
      WriteRaw(t_ / f, f);
    }
    fs::create_directories(t_ / "dir.csv");  // a directory that matches *.csv
  }
  std::vector<std::string> Abs(std::vector<std::string> rel) {
    for (auto& r : rel) r = t_ / r;
    return rel;
  }
  TempDir t_;
};

TEST_F(ExpandGlobTest, StarMatchesRegularFilesSortedWithoutHiddenOrDirectories) {
  ASSERT_OK_AND_ASSIGN(auto got, ExpandGlob("*.csv", t_.path()));
  EXPECT_EQ(got, Abs({"a.csv", "ab.csv", "b.csv"}));
}

TEST_F(ExpandGlobTest, QuestionMark) {
  ASSERT_OK_AND_ASSIGN(auto got, ExpandGlob("?.csv", t_.path()));
  EXPECT_EQ(got, Abs({"a.csv", "b.csv"}));
  ASSERT_OK_AND_ASSIGN(got, ExpandGlob("??.csv", t_.path()));
  EXPECT_EQ(got, Abs({"ab.csv"}));
}

TEST_F(ExpandGlobTest, BracketExpressions) {
  ASSERT_OK_AND_ASSIGN(auto got, ExpandGlob("[ab].csv", t_.path()));
  EXPECT_EQ(got, Abs({"a.csv", "b.csv"}));
  ASSERT_OK_AND_ASSIGN(got, ExpandGlob("[!a].csv", t_.path()));
  EXPECT_EQ(got, Abs({"b.csv"}));
  ASSERT_OK_AND_ASSIGN(got, ExpandGlob("[a-c].*", t_.path()));
  EXPECT_EQ(got, Abs({"a.csv", "b.csv", "c.txt"}));
}

TEST_F(ExpandGlobTest, DoubleStarMatchesAnyDepthIncludingZero) {
  ASSERT_OK_AND_ASSIGN(auto got, ExpandGlob("**/*.csv", t_.path()));
  EXPECT_EQ(got, Abs({"a.csv", "ab.csv", "b.csv", "other/w.csv", "sub/deep/y.csv", "sub/x.csv"}));
  ASSERT_OK_AND_ASSIGN(got, ExpandGlob("sub/**/*.csv", t_.path()));
  EXPECT_EQ(got, Abs({"sub/deep/y.csv", "sub/x.csv"}));
  ASSERT_OK_AND_ASSIGN(got, ExpandGlob("sub/**/z.txt", t_.path()));
  EXPECT_EQ(got, Abs({"sub/deep/z.txt"}));
}

TEST_F(ExpandGlobTest, RepeatedDoubleStarYieldsNoDuplicates) {
  ASSERT_OK_AND_ASSIGN(auto got, ExpandGlob("**/**/y.csv", t_.path()));
  EXPECT_EQ(got, Abs({"sub/deep/y.csv"}));
}

TEST_F(ExpandGlobTest, WildcardInADirectoryComponent) {
  ASSERT_OK_AND_ASSIGN(auto got, ExpandGlob("*/x.csv", t_.path()));
  EXPECT_EQ(got, Abs({"sub/x.csv"}));
  ASSERT_OK_AND_ASSIGN(got, ExpandGlob("s?b/*/*", t_.path()));
  EXPECT_EQ(got, Abs({"sub/deep/y.csv", "sub/deep/z.txt"}));
}

TEST_F(ExpandGlobTest, AbsolutePatternIgnoresBase) {
  ASSERT_OK_AND_ASSIGN(auto got, ExpandGlob(t_ / "sub/*.csv", "/nonexistent/base"));
  EXPECT_EQ(got, Abs({"sub/x.csv"}));
}

TEST_F(ExpandGlobTest, RelativePatternWithDotDotIsNormalised) {
  ASSERT_OK_AND_ASSIGN(auto got, ExpandGlob("../*.txt", t_ / "sub"));
  EXPECT_EQ(got, Abs({"c.txt"}));
  ASSERT_OK_AND_ASSIGN(got, ExpandGlob("./deep/./*.csv", t_ / "sub"));
  EXPECT_EQ(got, Abs({"sub/deep/y.csv"}));
}

TEST_F(ExpandGlobTest, PlainPathYieldsItselfOnlyIfARegularFile) {
  ASSERT_OK_AND_ASSIGN(auto got, ExpandGlob("sub/x.csv", t_.path()));
  EXPECT_EQ(got, Abs({"sub/x.csv"}));
  ASSERT_OK_AND_ASSIGN(got, ExpandGlob("sub/missing.csv", t_.path()));
  EXPECT_THAT(got, IsEmpty());
  ASSERT_OK_AND_ASSIGN(got, ExpandGlob("sub", t_.path()));
  EXPECT_THAT(got, IsEmpty());  // a directory is not a result
}

TEST_F(ExpandGlobTest, NoMatchIsAnEmptyList) {
  ASSERT_OK_AND_ASSIGN(auto got, ExpandGlob("*.parquet", t_.path()));
  EXPECT_THAT(got, IsEmpty());
  ASSERT_OK_AND_ASSIGN(got, ExpandGlob("nodir/**/*.csv", t_.path()));
  EXPECT_THAT(got, IsEmpty());
}

TEST_F(ExpandGlobTest, ExplicitDotMatchesHiddenFiles) {
  ASSERT_OK_AND_ASSIGN(auto got, ExpandGlob(".*.csv", t_.path()));
  EXPECT_EQ(got, Abs({".hidden.csv"}));
}

// BUG: fs.cc ExpandGlob (lines 130-147) checks HasWildcard() and splits on the *resolved*
// path, so characters of base_dir itself ('[', '*', '?') are taken as
// wildcards: a project in "/data/shop[2024]" never finds "events/*.csv"
// (fnmatch("shop[2024]", "shop[2024]") fails). Fix: expand only the pattern's
// own components and treat base_dir (and any literal prefix) verbatim, e.g.
// start GlobWalk at base_dir for relative patterns.
TEST(ExpandGlob, BaseDirWithGlobCharactersIsLiteral) {
  TempDir t;
  const std::string base = t / "shop[2024]";
  WriteRaw(base + "/e1.csv", "x");
  ASSERT_OK_AND_ASSIGN(auto got, ExpandGlob("*.csv", base));
  EXPECT_THAT(got, ElementsAre(base + "/e1.csv"));
}

// A relative pattern with an empty base_dir resolves against the working
// directory, with or without wildcards, and comes back absolute.
TEST(ExpandGlob, RelativePatternWithEmptyBaseUsesTheWorkingDirectory) {
  TempDir t;
  WriteRaw(t / "data/a.csv", "x");
  const fs::path old = fs::current_path();
  fs::current_path(t.path());
  StatusOr<std::vector<std::string>> plain = ExpandGlob("data/a.csv", "");
  StatusOr<std::vector<std::string>> wild = ExpandGlob("data/*.csv", "");
  fs::current_path(old);
  ASSERT_OK(plain);
  ASSERT_OK(wild);
  EXPECT_THAT(*plain, ElementsAre((fs::path(t.path()) / "data/a.csv").lexically_normal().string()));
  EXPECT_EQ(*wild, *plain);
}

// ---------------------------------------------------------------------------
// StatFile

TEST(StatFile, SizeAndNanosecondMtime) {
  TempDir t;
  WriteRaw(t / "f", "12345");
  struct timespec times[2];
  times[0] = {1700000000, 123456789};
  times[1] = {1700000001, 987654321};
  ASSERT_EQ(::utimensat(AT_FDCWD, (t / "f").c_str(), times, 0), 0);
  ASSERT_OK_AND_ASSIGN(FileStat st, StatFile(t / "f"));
  EXPECT_EQ(st.size, 5u);
  EXPECT_EQ(st.mtime_ns, 1700000001LL * 1000000000LL + 987654321LL);
}

TEST(StatFile, MissingIsNotFound) {
  TempDir t;
  EXPECT_THAT(StatFile(t / "none"), StatusIs(StatusCode::kNotFound, HasSubstr(t / "none")));
}

TEST(StatFile, NotADirectoryComponentIsIOError) {
  TempDir t;
  WriteRaw(t / "f", "x");
  EXPECT_THAT(StatFile(t / "f/child"), StatusIs(StatusCode::kIOError, HasSubstr("f/child")));
}

// ---------------------------------------------------------------------------
// ResolvePath

TEST(ResolvePath, JoinsRelativeAndKeepsAbsolute) {
  EXPECT_EQ(ResolvePath("/proj", "data/a.csv"), "/proj/data/a.csv");
  EXPECT_EQ(ResolvePath("/proj/", "data"), "/proj/data");
  EXPECT_EQ(ResolvePath("/proj/sub", "../lake"), "/proj/lake");
  EXPECT_EQ(ResolvePath("/proj", "./x/./y"), "/proj/x/y");
  EXPECT_EQ(ResolvePath("/proj", "/abs/file"), "/abs/file");
  EXPECT_EQ(ResolvePath("rel/base", "f"), "rel/base/f");
  EXPECT_EQ(ResolvePath("", "f"), "f");
  EXPECT_EQ(ResolvePath("/proj", "*.csv"), "/proj/*.csv");
}

// ---------------------------------------------------------------------------
// CrashPoint

TEST(CrashPoint, KillsOnlyAtTheNamedPoint) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setenv("RECMART_CRASH_AT", "after_commit", 1);
    CrashPoint("before_commit");  // another point: a no-op
    CrashPoint("after_comm");     // a prefix is not a match
    CrashPoint("after_commit");   // dies here
    ::_exit(0);
  }
  int ws = 0;
  ASSERT_EQ(::waitpid(pid, &ws, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(ws)) << "exited normally with " << WEXITSTATUS(ws);
  EXPECT_EQ(WTERMSIG(ws), SIGKILL);
}

TEST(CrashPoint, NoOpWithoutTheVariable) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::unsetenv("RECMART_CRASH_AT");
    CrashPoint("after_commit");
    ::_exit(7);
  }
  int ws = 0;
  ASSERT_EQ(::waitpid(pid, &ws, 0), pid);
  ASSERT_TRUE(WIFEXITED(ws));
  EXPECT_EQ(WEXITSTATUS(ws), 7);
}

// ---------------------------------------------------------------------------
// FileLock

// A pipe-based handshake with a child process.
struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() {
    if (::pipe(fds) != 0) std::abort();
  }
  ~Pipe() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  bool Send() { return ::write(fds[1], "x", 1) == 1; }
  bool Receive() {
    char c;
    return ::read(fds[0], &c, 1) == 1;
  }
};

// Forks a child that acquires `path` in `mode`, reports the outcome on
// `ready` ('x' sent only if it got the lock) and then waits for `release`
// (or dies when killed).
pid_t ForkHolder(const std::string& path, FileLock::Mode mode, Pipe& ready, Pipe& release) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  // Keep only the child's ends, so that the parent going away reads as EOF.
  ::close(ready.fds[0]);
  ::close(release.fds[1]);
  ready.fds[0] = release.fds[1] = -1;
  StatusOr<FileLock> lock = FileLock::Acquire(path, "child", mode);
  if (!lock.ok()) ::_exit(2);
  if (!ready.Send()) ::_exit(3);
  release.Receive();
  ::_exit(0);
}

int Reap(pid_t pid) {
  int wstatus = 0;
  if (::waitpid(pid, &wstatus, 0) != pid) return -1;
  return wstatus;
}

TEST(FileLock, CreatesTheFileAndItsDirectories) {
  TempDir t;
  const std::string path = t / "a/b/run.lock";
  ASSERT_OK_AND_ASSIGN(FileLock lock, FileLock::Acquire(path, "the lake"));
  EXPECT_TRUE(fs::is_regular_file(path));
}

TEST(FileLock, OpenFailureIsIOError) {
  TempDir t;
  fs::create_directories(t / "isdir");
  EXPECT_THAT(FileLock::Acquire(t / "isdir", "x"),
              StatusIs(StatusCode::kIOError, HasSubstr(t / "isdir")));
}

TEST(FileLock, ExclusiveTryFailsWhileAnotherProcessHoldsIt) {
  TempDir t;
  const std::string path = t / "write.lock";
  Pipe ready, release;
  pid_t pid = ForkHolder(path, FileLock::Mode::kExclusiveTry, ready, release);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(ready.Receive()) << "child could not take the lock";

  EXPECT_THAT(FileLock::Acquire(path, "the lake /x (another run)"),
              StatusIs(StatusCode::kFailedPrecondition,
                       HasSubstr("the lake /x (another run) is held by another recmart process (" +
                                 path + ")")));
  EXPECT_THAT(FileLock::Acquire(path, "w", FileLock::Mode::kExclusiveTry),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("w is held")));

  ASSERT_TRUE(release.Send());
  int ws = Reap(pid);
  ASSERT_TRUE(WIFEXITED(ws));
  EXPECT_EQ(WEXITSTATUS(ws), 0);
  EXPECT_OK(FileLock::Acquire(path, "after release"));
}

TEST(FileLock, ReleasedWhenTheHolderProcessDies) {
  TempDir t;
  const std::string path = t / "write.lock";
  Pipe ready, release;
  pid_t pid = ForkHolder(path, FileLock::Mode::kExclusiveTry, ready, release);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(ready.Receive());
  ASSERT_FALSE(FileLock::Acquire(path, "x").ok());

  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int ws = Reap(pid);
  ASSERT_TRUE(WIFSIGNALED(ws));
  EXPECT_EQ(WTERMSIG(ws), SIGKILL);
  // No stale lock: the kernel dropped it with the process.
  EXPECT_OK(FileLock::Acquire(path, "x"));
}

TEST(FileLock, ChildCannotTakeALockTheParentHolds) {
  TempDir t;
  const std::string path = t / "write.lock";
  ASSERT_OK_AND_ASSIGN(FileLock held, FileLock::Acquire(path, "parent"));
  Pipe ready, release;
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    StatusOr<FileLock> l = FileLock::Acquire(path, "child", FileLock::Mode::kExclusiveTry);
    ::_exit(l.ok() ? 1 : (l.status().code() == StatusCode::kFailedPrecondition ? 0 : 2));
  }
  int ws = Reap(pid);
  ASSERT_TRUE(WIFEXITED(ws));
  EXPECT_EQ(WEXITSTATUS(ws), 0) << "1: child got the lock, 2: wrong error";
}

TEST(FileLock, SecondAcquireInTheSameProcessConflicts) {
  // flock locks belong to the open file description: a second open of the
  // same file in the same process is a different holder.
  TempDir t;
  const std::string path = t / "l";
  ASSERT_OK_AND_ASSIGN(FileLock first, FileLock::Acquire(path, "first"));
  EXPECT_THAT(FileLock::Acquire(path, "second"),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("second is held")));
}

TEST(FileLock, DestructionReleases) {
  TempDir t;
  const std::string path = t / "l";
  {
    ASSERT_OK_AND_ASSIGN(FileLock lock, FileLock::Acquire(path, "scoped"));
    EXPECT_FALSE(FileLock::Acquire(path, "inner").ok());
  }
  EXPECT_OK(FileLock::Acquire(path, "after scope"));
}

TEST(FileLock, MoveTransfersOwnership) {
  TempDir t;
  const std::string a = t / "a.lock";
  const std::string b = t / "b.lock";
  ASSERT_OK_AND_ASSIGN(FileLock la, FileLock::Acquire(a, "a"));
  {
    FileLock moved(std::move(la));
    EXPECT_FALSE(FileLock::Acquire(a, "a2").ok());  // still held by `moved`
  }
  EXPECT_OK(FileLock::Acquire(a, "a3"));  // released with `moved`, not twice-closed

  ASSERT_OK_AND_ASSIGN(FileLock x, FileLock::Acquire(a, "a"));
  ASSERT_OK_AND_ASSIGN(FileLock y, FileLock::Acquire(b, "b"));
  x = std::move(y);                              // x drops a, takes b
  EXPECT_OK(FileLock::Acquire(a, "a"));          // a is free
  EXPECT_FALSE(FileLock::Acquire(b, "b").ok());  // b is held by x
  FileLock& same = x;
  x = std::move(same);  // self-move keeps it
  EXPECT_FALSE(FileLock::Acquire(b, "b").ok());
}

TEST(FileLock, SharedHoldersCoexistAndExcludeWriters) {
  TempDir t;
  const std::string path = t / "commit.lock";
  Pipe ready, release;
  pid_t pid = ForkHolder(path, FileLock::Mode::kSharedWait, ready, release);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(ready.Receive());

  // Another shared holder gets in at once (run with a deadline so that a
  // regression fails instead of hanging).
  auto shared = std::async(std::launch::async, [&] {
    return FileLock::Acquire(path, "reader", FileLock::Mode::kSharedWait);
  });
  if (shared.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    ADD_FAILURE() << "kSharedWait blocked behind another shared holder";
    release.Send();
    Reap(pid);
    shared.wait();
    return;
  }
  StatusOr<FileLock> reader = shared.get();
  ASSERT_OK(reader);

  // An exclusive try fails while any shared holder exists.
  EXPECT_THAT(FileLock::Acquire(path, "writer", FileLock::Mode::kExclusiveTry),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("writer")));

  ASSERT_TRUE(release.Send());
  Reap(pid);
  EXPECT_FALSE(FileLock::Acquire(path, "writer").ok());  // our own shared lock remains
  reader = Status::Cancelled("drop");                    // releases it
  EXPECT_OK(FileLock::Acquire(path, "writer"));
}

TEST(FileLock, SharedWaitBlocksWhileExclusiveHeld) {
  TempDir t;
  const std::string path = t / "commit.lock";
  Pipe ready, release;
  pid_t pid = ForkHolder(path, FileLock::Mode::kExclusiveTry, ready, release);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(ready.Receive());

  auto waiting = std::async(std::launch::async, [&] {
    return FileLock::Acquire(path, "reader", FileLock::Mode::kSharedWait);
  });
  EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  ASSERT_TRUE(release.Send());
  ASSERT_EQ(waiting.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_OK(waiting.get());
  Reap(pid);
}

TEST(FileLock, ExclusiveWaitBlocksUntilTheHolderDies) {
  TempDir t;
  const std::string path = t / "commit.lock";
  Pipe ready, release;
  pid_t pid = ForkHolder(path, FileLock::Mode::kSharedWait, ready, release);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(ready.Receive());

  auto waiting = std::async(std::launch::async, [&] {
    return FileLock::Acquire(path, "committer", FileLock::Mode::kExclusiveWait);
  });
  EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  Reap(pid);
  ASSERT_EQ(waiting.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_OK(waiting.get());
}

}  // namespace
}  // namespace recmart
