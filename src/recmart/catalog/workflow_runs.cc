// The catalog's record of pipeline runs and their jobs (recmart pipeline).
#include <chrono>

#include "recmart/catalog/catalog.h"
#include "recmart/catalog/sqlite.h"
#include "recmart/common/clock.h"

namespace recmart::catalog {
namespace {

constexpr char kRunColumns[] =
    "id, trigger, state, started_ms, finished_ms, params_file, outcome, error";

WorkflowRunRecord ReadRun(const SqliteStatement& row) {
  WorkflowRunRecord r;
  r.id = row.ColumnInt(0);
  r.trigger = row.ColumnText(1);
  r.state = row.ColumnText(2);
  r.started_ms = row.ColumnInt(3);
  r.finished_ms = row.ColumnInt(4);
  r.params_file = row.ColumnText(5);
  r.outcome = row.ColumnText(6);
  r.error = row.ColumnText(7);
  return r;
}

}  // namespace

StatusOr<int64_t> Catalog::BeginWorkflowRun(const std::string& trigger,
                                            const std::string& params_file,
                                            const std::vector<WorkflowJobRecord>& jobs) {
  int64_t id = 0;
  RETURN_IF_ERROR(db_->Transaction([&]() -> Status {
    ASSIGN_OR_RETURN(SqliteStatement run,
                     db_->Prepare("INSERT INTO workflow_runs (trigger, state, started_ms, "
                                  "params_file) VALUES (?, 'running', ?, ?)"));
    RETURN_IF_ERROR(run.Bind(1, trigger).Bind(2, UnixMillis()).Bind(3, params_file).Run());
    id = db_->LastInsertRowId();
    int64_t position = 0;
    for (const WorkflowJobRecord& j : jobs) {
      ASSIGN_OR_RETURN(SqliteStatement st,
                       db_->Prepare("INSERT INTO workflow_jobs VALUES (?, ?, ?, ?, 'pending', 0, "
                                    "0, 0, 0, 0, '', '', '')"));
      RETURN_IF_ERROR(st.Bind(1, id).Bind(2, position++).Bind(3, j.job).Bind(4, j.type).Run());
    }
    return Status::OK();
  }));
  return id;
}

Status Catalog::UpdateWorkflowJob(const WorkflowJobRecord& j) {
  ASSIGN_OR_RETURN(
      SqliteStatement st,
      db_->Prepare("UPDATE workflow_jobs SET state=?, attempts=?, started_ms=?, finished_ms=?, "
                   "rows_in=?, rows_out=?, metrics_json=?, output_json=?, error=? "
                   "WHERE run_id=? AND job=?"));
  st.Bind(1, j.state)
      .Bind(2, int64_t{j.attempts})
      .Bind(3, j.started_ms)
      .Bind(4, j.finished_ms)
      .Bind(5, static_cast<int64_t>(j.rows_in))
      .Bind(6, static_cast<int64_t>(j.rows_out))
      .Bind(7, j.metrics_json)
      .Bind(8, j.output_json)
      .Bind(9, j.error)
      .Bind(10, j.run_id)
      .Bind(11, j.job);
  return st.Run();
}

Status Catalog::SetWorkflowRunState(int64_t run_id, const std::string& state,
                                    const std::string& outcome, const std::string& error) {
  ASSIGN_OR_RETURN(SqliteStatement st,
                   db_->Prepare("UPDATE workflow_runs SET state=?, outcome=?, error=?, "
                                "finished_ms=? WHERE id=?"));
  int64_t finished = state == "running" ? 0 : UnixMillis();
  return st.Bind(1, state).Bind(2, outcome).Bind(3, error).Bind(4, finished).Bind(5, run_id).Run();
}

StatusOr<std::vector<WorkflowRunRecord>> Catalog::ListWorkflowRuns(int limit) {
  ASSIGN_OR_RETURN(SqliteStatement st,
                   db_->Prepare(std::string("SELECT ") + kRunColumns +
                                " FROM workflow_runs ORDER BY id DESC LIMIT ?"));
  st.Bind(1, int64_t{limit});
  std::vector<WorkflowRunRecord> out;
  RETURN_IF_ERROR(st.ForEachRow([&](const SqliteStatement& row) { out.push_back(ReadRun(row)); }));
  return out;
}

StatusOr<std::optional<WorkflowRunRecord>> Catalog::GetWorkflowRun(int64_t run_id) {
  ASSIGN_OR_RETURN(SqliteStatement st, db_->Prepare(std::string("SELECT ") + kRunColumns +
                                                    " FROM workflow_runs WHERE id=?"));
  st.Bind(1, run_id);
  ASSIGN_OR_RETURN(bool found, st.Step());
  if (!found) return std::optional<WorkflowRunRecord>();
  WorkflowRunRecord run = ReadRun(st);
  ASSIGN_OR_RETURN(SqliteStatement js,
                   db_->Prepare("SELECT job, type, state, attempts, started_ms, finished_ms, "
                                "rows_in, rows_out, metrics_json, output_json, error "
                                "FROM workflow_jobs WHERE run_id=? ORDER BY position"));
  js.Bind(1, run_id);
  RETURN_IF_ERROR(js.ForEachRow([&](const SqliteStatement& row) {
    WorkflowJobRecord j;
    j.run_id = run_id;
    j.job = row.ColumnText(0);
    j.type = row.ColumnText(1);
    j.state = row.ColumnText(2);
    j.attempts = static_cast<int>(row.ColumnInt(3));
    j.started_ms = row.ColumnInt(4);
    j.finished_ms = row.ColumnInt(5);
    j.rows_in = static_cast<uint64_t>(row.ColumnInt(6));
    j.rows_out = static_cast<uint64_t>(row.ColumnInt(7));
    j.metrics_json = row.ColumnText(8);
    j.output_json = row.ColumnText(9);
    j.error = row.ColumnText(10);
    run.jobs.push_back(std::move(j));
  }));
  return std::optional<WorkflowRunRecord>(std::move(run));
}

}  // namespace recmart::catalog
