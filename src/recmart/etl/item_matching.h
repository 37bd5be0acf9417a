// Title matching in the ETL (PRODUCT.md step 3, [matching] in the project
// file): before a run reads its files, the items of each title source are
// matched by title to the reference source's catalog, giving a map from the
// source's item id to the reference ITEM_ID that RecordBuilder applies to
// every row of that source. Every decision — match, score, runner-up, or why
// an id stayed unmatched — goes into a report written with the run
// (<lake>/_recmart/matching/run-<RUN>.json) and shown by `recmart match report`.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/config/project.h"
#include "recmart/etl/record_builder.h"

namespace recmart::etl {

struct ItemMatchRow {
  std::string source;
  std::string source_item_id;  // after the source's item_id_rules
  std::string title;
  std::string outcome;  // matched | ambiguous | below_threshold | no_candidate | same_id
  std::string item_id;  // the reference id (matched), else the best candidate
  double score = 0;
  std::string runner_up;
  double runner_up_score = 0;
};

struct ItemMatching {
  // source index → its map (only title sources that had something to match)
  std::map<size_t, std::shared_ptr<const ItemIdMap>> maps;
  std::vector<ItemMatchRow> rows;  // sorted by source, then source id
  size_t reference_items = 0;
};

// Matches the items of `files` (source index → files this run reads) of the
// project's title sources against every file of the reference source.
// An id that is already a reference id is kept as it is ("same_id"). Returns
// an empty result when [matching] declares no title source.
StatusOr<ItemMatching> MatchItems(const config::Project& project,
                                  const std::map<size_t, std::vector<std::string>>& files);

// {"run_id":N, "reference_source":..., "threshold":..., "margin":...,
//  "reference_items":N, "matched":N, "unmatched":N, "matches":[row...]}
nlohmann::json ItemMatchReportJson(const config::Project& project, int64_t run_id,
                                   const ItemMatching& m);
// <lake>/_recmart/matching
std::string ItemMatchReportDir(const config::Project& project);

}  // namespace recmart::etl
