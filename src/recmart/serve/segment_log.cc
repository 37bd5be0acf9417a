#include "recmart/serve/segment_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "recmart/common/clock.h"
#include "recmart/common/fs.h"

namespace recmart::serve {

namespace {

namespace fs = std::filesystem;

constexpr char kOpen[] = ".jsonl.open";

Status Errno(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Errno(dir);
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::OK() : Errno(dir);
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Seals a segment a killed process left open: drops a torn last line, syncs,
// renames.
Status SealLeftover(const std::string& path) {
  StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  size_t keep = text->rfind('\n');
  keep = keep == std::string::npos ? 0 : keep + 1;
  if (keep != text->size()) {
    if (::truncate(path.c_str(), static_cast<off_t>(keep)) != 0) return Errno(path);
  }
  int fd = ::open(path.c_str(), O_WRONLY);
  if (fd < 0) return Errno(path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno(path);
  const std::string sealed = path.substr(0, path.size() - std::strlen(kOpen)) + ".jsonl";
  if (keep == 0) {
    fs::remove(path);
    return Status::OK();
  }
  if (::rename(path.c_str(), sealed.c_str()) != 0) return Errno(path);
  return Status::OK();
}

}  // namespace

StatusOr<std::unique_ptr<SegmentLog>> SegmentLog::Open(SegmentLogOptions options) {
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) return Status::IOError(options.dir + ": " + ec.message());
  for (const auto& e : fs::directory_iterator(options.dir, ec)) {
    const std::string p = e.path().string();
    if (EndsWith(p, kOpen) && e.path().filename().string().rfind(options.prefix + "-", 0) == 0) {
      RETURN_IF_ERROR(SealLeftover(p));
    }
  }
  if (ec) return Status::IOError(options.dir + ": " + ec.message());
  RETURN_IF_ERROR(SyncDir(options.dir));
  std::unique_ptr<SegmentLog> log(new SegmentLog(std::move(options)));
  log->writer_ = std::thread([l = log.get()] { l->WriterLoop(); });
  return log;
}

SegmentLog::~SegmentLog() { Close(); }

Status SegmentLog::OpenSegment() {
  opened_ms_ = UnixMillis();
  open_path_ = o_.dir + "/" + o_.prefix + "-" + std::to_string(opened_ms_) + "-" +
               std::to_string(::getpid()) + "-" + std::to_string(seq_++) + kOpen;
  fd_ = ::open(open_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) return Errno(open_path_);
  bytes_ = 0;
  // The new name must survive a crash before any line in it is acknowledged.
  return o_.durable ? SyncDir(o_.dir) : Status::OK();
}

Status SegmentLog::SealSegment() {
  if (fd_ < 0) return Status::OK();
  int rc = ::fsync(fd_);
  ::close(fd_);
  fd_ = -1;
  if (rc != 0) return Errno(open_path_);
  if (bytes_ == 0) {
    ::unlink(open_path_.c_str());
    return Status::OK();
  }
  const std::string sealed =
      open_path_.substr(0, open_path_.size() - std::strlen(kOpen)) + ".jsonl";
  if (::rename(open_path_.c_str(), sealed.c_str()) != 0) return Errno(open_path_);
  return SyncDir(o_.dir);
}

void SegmentLog::Append(std::string lines, std::function<void(const Status&)> done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!closing_) {
      pending_ += lines;
      ++pending_lines_;
      if (done) waiters_.push_back(std::move(done));
      cv_.notify_one();
      return;
    }
  }
  if (done) done(Status::FailedPrecondition("the log is closed"));
}

void SegmentLog::WriterLoop() {
  std::string batch;
  std::vector<std::function<void(const Status&)>> callbacks;
  for (;;) {
    bool closing = false;
    uint64_t lines = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      const auto age_limit =
          std::chrono::milliseconds(static_cast<int64_t>(o_.max_age_seconds * 1000));
      cv_.wait_for(lock,
                   std::min<std::chrono::milliseconds>(age_limit, std::chrono::milliseconds(1000)),
                   [&] { return !pending_.empty() || closing_; });
      if (!o_.durable && o_.flush_interval_ms > 0 && !closing_) {
        // Buffered logs: let a few more lines join the batch.
        lock.unlock();
        std::this_thread::sleep_for(
            std::chrono::microseconds(static_cast<int64_t>(o_.flush_interval_ms * 1000)));
        lock.lock();
      }
      batch.swap(pending_);
      callbacks.swap(waiters_);
      lines = pending_lines_;
      pending_lines_ = 0;
      closing = closing_;
    }
    Status s;
    if (!batch.empty()) {
      if (fd_ < 0) s = OpenSegment();
      const char* p = batch.data();
      size_t left = batch.size();
      while (s.ok() && left > 0) {
        ssize_t n = ::write(fd_, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          s = Errno(open_path_);
          break;
        }
        p += n;
        left -= static_cast<size_t>(n);
      }
      if (s.ok()) bytes_ += static_cast<int64_t>(batch.size());
      if (s.ok() && o_.durable && ::fdatasync(fd_) != 0) s = Errno(open_path_);
    }
    for (auto& cb : callbacks) cb(s);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (s.ok()) lines_written_ += lines;
      if (!batch.empty() && o_.durable) ++syncs_;
    }
    batch.clear();
    callbacks.clear();
    const bool too_big = bytes_ >= o_.max_bytes;
    const bool too_old =
        fd_ >= 0 && bytes_ > 0 &&
        UnixMillis() - opened_ms_ >= static_cast<int64_t>(o_.max_age_seconds * 1000);
    if (closing || too_big || too_old) (void)SealSegment();
    if (closing) {
      std::lock_guard<std::mutex> lock(mu_);
      if (pending_.empty()) return;
    }
  }
}

void SegmentLog::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!writer_.joinable()) return;
    closing_ = true;
    cv_.notify_all();
  }
  writer_.join();
}

uint64_t SegmentLog::lines_written() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lines_written_;
}

uint64_t SegmentLog::syncs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return syncs_;
}

}  // namespace recmart::serve
