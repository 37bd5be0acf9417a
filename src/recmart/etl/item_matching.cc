#include "recmart/etl/item_matching.h"

#include <set>

#include "recmart/etl/crawl.h"
#include "recmart/ingest/reader.h"
#include "recmart/matching/title_matcher.h"

namespace recmart::etl {
namespace {

// Calls `fn(item_id, title)` for every good row of `path` that names an item
// with a title (ids after the source's item_id_rules).
template <typename Fn>
Status ForEachTitle(const config::SourceConfig& source, const std::string& path, Fn fn) {
  RecordBuilder builder(source);
  ASSIGN_OR_RETURN(std::unique_ptr<ingest::RowReader> reader,
                   ingest::RowReader::Open(path, source.reader, builder.source_columns()));
  ingest::Row row;
  BuildOutput out;
  while (true) {
    StatusOr<bool> more = reader->Next(&row);
    if (!more.ok()) return more.status().WithContext("source '" + source.name + "'");
    if (!*more) break;
    if (row.error != ingest::RowError::kNone) continue;
    builder.Build(row, &out);
    if (out.rejection || !out.has_item || !out.item.title) continue;
    fn(out.item.item_id, *out.item.title);
  }
  return Status::OK();
}

}  // namespace

StatusOr<ItemMatching> MatchItems(const config::Project& project,
                                  const std::map<size_t, std::vector<std::string>>& files) {
  ItemMatching result;
  const config::MatchingOptions& opt = project.matching;
  if (opt.title_sources.empty()) return result;
  bool any = false;
  for (const auto& [s, paths] : files) {
    any |= !paths.empty() && std::find(opt.title_sources.begin(), opt.title_sources.end(),
                                       project.sources[s].name) != opt.title_sources.end();
  }
  if (!any) return result;

  // The reference: every file of the reference source, not only new ones, so
  // that a run matching new titles sees the whole catalog.
  const config::SourceConfig* ref = project.FindSource(opt.reference_source);
  if (!ref) return Status::InvalidArgument("matching: unknown reference source");
  matching::TitleMatcher matcher({opt.threshold, opt.margin});
  std::set<std::string, std::less<>> reference_ids;
  ASSIGN_OR_RETURN(std::vector<std::string> ref_files, SourceFiles(project, *ref));
  for (const std::string& f : ref_files) {
    RETURN_IF_ERROR(ForEachTitle(*ref, f, [&](std::string_view id, std::string_view title) {
      reference_ids.emplace(id);
      matcher.AddReference(id, title);
    }));
  }
  result.reference_items = reference_ids.size();

  for (const auto& [s, paths] : files) {
    const config::SourceConfig& source = project.sources[s];
    if (std::find(opt.title_sources.begin(), opt.title_sources.end(), source.name) ==
        opt.title_sources.end())
      continue;
    std::map<std::string, std::string> titles;  // id → first title seen
    for (const std::string& f : paths) {
      RETURN_IF_ERROR(ForEachTitle(source, f, [&](std::string_view id, std::string_view title) {
        titles.emplace(std::string(id), std::string(title));
      }));
    }
    auto map = std::make_shared<ItemIdMap>();
    for (const auto& [id, title] : titles) {
      ItemMatchRow row;
      row.source = source.name;
      row.source_item_id = id;
      row.title = title;
      if (reference_ids.count(id)) {
        row.outcome = "same_id";
        row.item_id = id;
        row.score = 1;
      } else {
        matching::TitleMatch m = matcher.Match(title);
        row.outcome = std::string(matching::MatchOutcomeName(m.outcome));
        row.item_id = m.item_id;
        row.score = m.score;
        row.runner_up = m.runner_up;
        row.runner_up_score = m.runner_up_score;
        if (m.outcome == matching::MatchOutcome::kMatched) (*map)[id] = m.item_id;
      }
      result.rows.push_back(std::move(row));
    }
    result.maps[s] = std::move(map);
  }
  return result;
}

nlohmann::json ItemMatchReportJson(const config::Project& project, int64_t run_id,
                                   const ItemMatching& m) {
  nlohmann::json rows = nlohmann::json::array();
  size_t matched = 0, unmatched = 0;
  for (const ItemMatchRow& r : m.rows) {
    bool ok = r.outcome == "matched" || r.outcome == "same_id";
    (ok ? matched : unmatched)++;
    rows.push_back({{"source", r.source},
                    {"source_item_id", r.source_item_id},
                    {"title", r.title},
                    {"outcome", r.outcome},
                    {"item_id", ok ? nlohmann::json(r.item_id) : nlohmann::json(nullptr)},
                    {"best_candidate", r.item_id},
                    {"score", r.score},
                    {"runner_up", r.runner_up},
                    {"runner_up_score", r.runner_up_score}});
  }
  return {{"run_id", run_id},
          {"reference_source", project.matching.reference_source},
          {"threshold", project.matching.threshold},
          {"margin", project.matching.margin},
          {"reference_items", m.reference_items},
          {"matched", matched},
          {"unmatched", unmatched},
          {"matches", rows}};
}

std::string ItemMatchReportDir(const config::Project& project) {
  return project.lake_root + "/_recmart/matching";
}

}  // namespace recmart::etl
