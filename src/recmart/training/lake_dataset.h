// Reading what recipes train on out of the lake: the interaction matrix,
// the curated events and the item catalog, in dense indices, plus a snapshot
// of the lake (last run, bookmarks, row counts) recorded in every bundle.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "recmart/common/status.h"
#include "recmart/config/project.h"
#include "recmart/models/dataset.h"

namespace recmart::training {

struct LoadOptions {
  // Read the curated events too (sessions, event kinds, times) — needed by
  // trending, session co-occurrence and purchase-based recipes; skipping
  // them saves memory on very large lakes. engine::RecipeReadsEvents says
  // which recipes need them.
  bool events = true;
};

struct LakeData {
  models::Dataset dataset;
  // {"etl_run": N, "etl_finished_at": T, "tables": {name: {"files": F, "rows": R}},
  //  "bookmarks": {source: files}}
  nlohmann::json snapshot;
};

// The snapshot LoadLakeData records, read from the catalog alone (cheap).
StatusOr<nlohmann::json> ReadLakeSnapshot(const config::Project& project);

// Reads the lake of `project` under its shared read lock. FailedPrecondition
// with a one-line hint when the lake has no interactions yet.
StatusOr<LakeData> LoadLakeData(const config::Project& project, const LoadOptions& options);

}  // namespace recmart::training
