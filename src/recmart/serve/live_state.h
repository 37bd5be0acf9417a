// Loading what a Recommender knows beyond its model bundle -- the same way
// for `recmart serve` (ApiServer::Start) and `recmart batch-recommend`, so
// that both answer from the same state:
//
//  1. user metadata: the lake's `users` table (users with at least one of
//     SEGMENT, COUNTRY, CREATION_TIMESTAMP), the base under PUT /users
//     records, so that `IF CurrentUser.F ...` filters work for users known
//     only from the lake;
//  2. the live logs (serve/live_log.h), replayed in the order they were
//     written: events into the users' live history, PUT /items and
//     PUT /users records into the live metadata.
//
// What is not replayed is already elsewhere:
//  - an events or items segment that an ETL run ingested before the live
//    model's training snapshot (manifest "snapshot.etl_run") is in the
//    model's history and item attributes;
//  - a users segment that any ETL run ingested is in the lake's users table
//    read in step 1 (same read session, so the two agree).
// Everything else is replayed, so a restarted server answers as before, and
// startup replays only what the next training has not absorbed yet.
//
// A project without a lake (no catalog file) loads no lake metadata and
// replays every segment.
#pragma once

#include <cstdint>
#include <string>

#include "recmart/common/status.h"
#include "recmart/config/project.h"
#include "recmart/serve/recommender.h"

namespace recmart::serve {

struct LiveStateStats {
  uint64_t lake_users = 0;        // users with metadata from the lake
  uint64_t segments = 0;          // segments replayed (all three logs)
  uint64_t skipped_segments = 0;  // already in the model or the lake
  uint64_t events = 0;            // lines replayed, per log
  uint64_t items = 0;
  uint64_t users = 0;
  uint64_t bad_lines = 0;  // skipped: not complete lines (a torn end of an open segment)

  // "12 lake users, 3 segments replayed (5 events, 1 items, 2 users), 1 already ingested"
  std::string Summary() const;
};

// Steps 1 and 2 above into `rec.live()`, for the logs under `project_dir`.
// Reads open segments too (a running server's, or a killed one's): a partial
// last line is skipped. IOError when a log or the lake cannot be read.
StatusOr<LiveStateStats> LoadLiveState(Recommender& rec, const std::string& project_dir);

// Step 1 alone: replaces the user base with the lake's current users table
// (the server repeats it after a newly promoted model is swapped in). Returns
// how many users have metadata; 0 without a lake.
StatusOr<uint64_t> LoadLakeUsers(const config::Project& project, LiveStore& live);

}  // namespace recmart::serve
