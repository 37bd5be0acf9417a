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

  // Streamed, typed (never materialised as text): a lake of 100M events has
  // tens of millions of pairs. Ordered so that dense indices (and so the
  // bundle) do not depend on the order of files in the lake.
  ASSIGN_OR_RETURN(std::optional<std::string> pairs,
                   conn.QueryScalar("SELECT count(*) FROM interaction_matrix"));
  b.ReserveGroupedPairs(static_cast<size_t>(std::stoull(pairs.value_or("0"))));
  size_t matrix_rows = 0;
  std::string user, item;
  RETURN_IF_ERROR(conn.Stream(
      "SELECT USER_ID::VARCHAR, ITEM_ID::VARCHAR, SCORE::DOUBLE, FIRST_TS::BIGINT, "
      "LAST_TS::BIGINT, VIEWS::BIGINT, ADD_TO_CARTS::BIGINT, PURCHASES::BIGINT, EVENTS::BIGINT "
      "FROM interaction_matrix WHERE USER_ID IS NOT NULL AND ITEM_ID IS NOT NULL "
      "ORDER BY USER_ID, ITEM_ID",
      [&](const lake::ChunkView& c) -> Status {
        for (size_t r = 0; r < c.size(); ++r) {
          const int64_t views = c.Int64(5, r), carts = c.Int64(6, r), buys = c.Int64(7, r);
          uint8_t kinds = 0;
          auto set = [&](models::EventKind k) { kinds |= uint8_t(1u << unsigned(k)); };
          if (views > 0) set(models::EventKind::kView);
          if (carts > 0) set(models::EventKind::kAddToCart);
          if (buys > 0) set(models::EventKind::kPurchase);
          if (c.Int64(8, r) > views + carts + buys) set(models::EventKind::kOther);
          user.assign(c.Text(0, r));
          item.assign(c.Text(1, r));
          b.AddGroupedPair(user, item, static_cast<float>(c.Double(2, r)), c.Int64(3, r),
                           c.Int64(4, r), kinds);
        }
        matrix_rows += c.size();
        return Status::OK();
      }));
  if (matrix_rows == 0) {
    return Status::FailedPrecondition(
        "the lake has no interactions yet: run `recmart etl` first (lake: " + project.lake_root +
        ")");
  }

  if (options.events) {
    std::string session;
    RETURN_IF_ERROR(conn.Stream(
        "SELECT USER_ID::VARCHAR, ITEM_ID::VARCHAR, \"TIMESTAMP\"::BIGINT, "
        "EVENT_TYPE::VARCHAR, SESSION_ID::VARCHAR FROM interactions "
        "WHERE USER_ID IS NOT NULL AND ITEM_ID IS NOT NULL "
        "ORDER BY USER_ID, \"TIMESTAMP\", ITEM_ID",
        [&](const lake::ChunkView& c) -> Status {
          for (size_t r = 0; r < c.size(); ++r) {
            user.assign(c.Text(0, r));
            item.assign(c.Text(1, r));
            session.assign(c.Text(4, r));
            b.AddEvent(user, item, c.Int64(2, r), models::EventKindFromName(c.Text(3, r)), session);
          }
          return Status::OK();
        }));
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
