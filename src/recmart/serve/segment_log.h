// SegmentLog: an append-only log of JSON lines in segment files -- the live
// event log (durable: POST /events answers only after its lines are on disk)
// and the impression log (buffered).
//
// Files, in one directory (see abtest/abtest.h for the line formats):
//   PREFIX-<start ms>-<seq>.jsonl.open   the segment being appended
//   PREFIX-<start ms>-<seq>.jsonl        sealed: complete, never written again
// A segment is sealed (fsync, rename, fsync of the directory) when it reaches
// max_bytes or max_age, and on Close. `recmart etl` reads sealed segments
// only, and a sealed file never changes, so the ETL's per-file bookkeeping
// ingests each event exactly once. On Open, segments left ".open" by a
// killed process are sealed after dropping a torn last line (a line is
// acknowledged only once complete on disk, so nothing acknowledged is lost).
//
// Group commit: Append queues lines and returns at once; one writer thread
// writes everything queued in one write(2) and, when durable, one
// fdatasync(2), then runs the callbacks of every line in the batch. Under
// load many requests share one sync.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "recmart/common/status.h"

namespace recmart::serve {

struct SegmentLogOptions {
  std::string dir;
  std::string prefix = "events";
  bool durable = true;           // fdatasync before callbacks
  int64_t max_bytes = 64 << 20;  // seal when larger
  double max_age_seconds = 60;   // seal when older (and non-empty)
  double flush_interval_ms = 0;  // non-durable logs: batch for this long
};

class SegmentLog {
 public:
  // Creates the directory, seals leftover open segments, starts the writer.
  static StatusOr<std::unique_ptr<SegmentLog>> Open(SegmentLogOptions options);
  ~SegmentLog();  // Close()

  // Queues `lines` (complete lines, '\n'-terminated). `done` runs on the
  // writer thread once they are written (and synced when durable), with the
  // write's status. Never blocks on I/O.
  void Append(std::string lines, std::function<void(const Status&)> done = {});
  // Writes everything queued and seals the open segment. Appends after
  // Close fail with FailedPrecondition.
  void Close();

  // Append calls whose lines are written (and synced when durable).
  uint64_t lines_written() const;
  uint64_t syncs() const;

 private:
  explicit SegmentLog(SegmentLogOptions o) : o_(std::move(o)) {}
  Status OpenSegment();
  Status SealSegment();
  void WriterLoop();

  SegmentLogOptions o_;
  int fd_ = -1;
  std::string open_path_;
  int64_t bytes_ = 0;
  int64_t opened_ms_ = 0;
  uint64_t seq_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string pending_;
  std::vector<std::function<void(const Status&)>> waiters_;
  uint64_t pending_lines_ = 0;
  bool closing_ = false;
  uint64_t lines_written_ = 0, syncs_ = 0;
  std::thread writer_;
};

}  // namespace recmart::serve
