#include "recmart/training/lake_dataset.h"

#include "recmart/catalog/catalog.h"
#include "recmart/lake/lake.h"

namespace recmart::training {

using nlohmann::json;

namespace {

std::string Str(const lake::QueryResult& r, size_t col, size_t row) {
  return r.GetString(col, row).value_or("");
}

StatusOr<json> Snapshot(catalog::Catalog& cat) {
  json snap = json::object();
  ASSIGN_OR_RETURN(std::vector<catalog::RunRecord> runs, cat.ListRuns(50));
  for (const catalog::RunRecord& run : runs) {
    if (run.kind == "etl" && run.state == "succeeded") {
      snap["etl_run"] = run.id;
      snap["etl_finished_at"] = run.finished_at;
      break;
    }
  }
  ASSIGN_OR_RETURN(std::vector<catalog::LakeFile> files, cat.AllLiveFiles());
  json tables = json::object();
  for (const catalog::LakeFile& f : files) {
    json& t = tables[f.table];
    if (t.is_null()) t = {{"files", 0}, {"rows", uint64_t{0}}};
    t["files"] = t.value("files", 0) + 1;
    t["rows"] = t.value("rows", uint64_t{0}) + f.rows;
  }
  snap["tables"] = tables;
  json bookmarks = json::object();
  ASSIGN_OR_RETURN(std::vector<std::string> sources, cat.SourceNames());
  for (const std::string& s : sources) {
    ASSIGN_OR_RETURN(std::vector<catalog::FileRecord> done, cat.ProcessedFiles(s));
    uint64_t rows = 0;
    for (const auto& f : done) rows += f.rows;
    bookmarks[s] = {{"files", done.size()}, {"rows", rows}};
  }
  snap["bookmarks"] = bookmarks;
  return snap;
}

}  // namespace

StatusOr<json> ReadLakeSnapshot(const config::Project& project) {
  ASSIGN_OR_RETURN(std::unique_ptr<catalog::Catalog> cat,
                   catalog::Catalog::Open(project.catalog_path));
  return Snapshot(*cat);
}

StatusOr<LakeData> LoadLakeData(const config::Project& project, const LoadOptions& options) {
  lake::DatabaseOptions dbo;
  dbo.memory_limit = project.etl.memory_limit;
  dbo.threads = project.etl.threads;
  ASSIGN_OR_RETURN(lake::ReadSession session,
                   lake::ReadSession::Open(project.catalog_path, project.lake_root, dbo));
  lake::Connection& conn = *session.conn;

  LakeData out;
  ASSIGN_OR_RETURN(out.snapshot, Snapshot(*session.catalog));
  models::DatasetBuilder b;

  // Ordered so that dense indices (and so the bundle) do not depend on the
  // order of files in the lake.
  ASSIGN_OR_RETURN(lake::QueryResult m,
                   conn.Query("SELECT USER_ID, ITEM_ID, SCORE, FIRST_TS, LAST_TS "
                              "FROM interaction_matrix "
                              "WHERE USER_ID IS NOT NULL AND ITEM_ID IS NOT NULL "
                              "ORDER BY USER_ID, ITEM_ID"));
  if (m.row_count() == 0) {
    return Status::FailedPrecondition(
        "the lake has no interactions yet: run `recmart etl` first (lake: " + project.lake_root +
        ")");
  }
  for (size_t r = 0; r < m.row_count(); ++r) {
    b.AddPair(Str(m, 0, r), Str(m, 1, r), static_cast<float>(m.GetDouble(2, r)), m.GetInt64(3, r),
              m.GetInt64(4, r));
  }

  if (options.events) {
    ASSIGN_OR_RETURN(lake::QueryResult e,
                     conn.Query("SELECT USER_ID, ITEM_ID, \"TIMESTAMP\", EVENT_TYPE, SESSION_ID "
                                "FROM interactions "
                                "WHERE USER_ID IS NOT NULL AND ITEM_ID IS NOT NULL "
                                "ORDER BY USER_ID, \"TIMESTAMP\", ITEM_ID"));
    for (size_t r = 0; r < e.row_count(); ++r) {
      b.AddEvent(Str(e, 0, r), Str(e, 1, r), e.GetInt64(2, r),
                 models::EventKindFromName(Str(e, 3, r)), Str(e, 4, r));
    }
  }

  ASSIGN_OR_RETURN(lake::QueryResult items,
                   conn.Query("SELECT ITEM_ID, TITLE, CATEGORY_L1, CATEGORY_L2, CATEGORY_L3, "
                              "BRAND, PRICE, AVAILABLE, CREATION_TIMESTAMP FROM items "
                              "WHERE ITEM_ID IS NOT NULL ORDER BY ITEM_ID"));
  struct Row {
    models::ItemIndex index;
    size_t row;
  };
  std::vector<Row> rows;
  for (size_t r = 0; r < items.row_count(); ++r) rows.push_back({b.AddItem(Str(items, 0, r)), r});
  models::Dataset d = std::move(b).Build();
  models::ItemAttributes& a = d.attributes;
  for (const Row& x : rows) {
    const size_t r = x.row;
    const models::ItemIndex i = x.index;
    a.title[i] = Str(items, 1, r);
    a.category_l1[i] = Str(items, 2, r);
    a.category_l2[i] = Str(items, 3, r);
    a.category_l3[i] = Str(items, 4, r);
    a.brand[i] = Str(items, 5, r);
    if (!items.IsNull(6, r)) a.price[i] = items.GetDouble(6, r);
    if (!items.IsNull(7, r)) a.available[i] = Str(items, 7, r) == "no" ? 0 : 1;
    if (!items.IsNull(8, r)) a.created[i] = items.GetInt64(8, r);
  }
  out.dataset = std::move(d);
  return out;
}

}  // namespace recmart::training
