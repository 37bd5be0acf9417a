// recmart batch-recommend: recommendations (or related items) for many ids
// at once, written as JSON lines in the managed service's batch shape
//   {"input": {"userId": "u1"}, "output": {"recommendedItems": [...], "scores": [...]}, "error":
//   null}
// or as Parquet with the same columns.
#include <fstream>
#include <iostream>

#include "recmart/cli/model_cli.h"
#include "recmart/common/fs.h"
#include "recmart/lake/duckdb.h"

namespace recmart::cli {
namespace {

struct Args {
  std::string input = "-", output = "-", model, format;
  bool items = false;
  AnswerFlags answer;
  TrainFlags flags;
};

// One id per line: a bare id, or a JSON object with "userId" / "itemId".
StatusOr<std::vector<std::string>> ReadIds(const std::string& path, bool items) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path);
    if (!file) return Status::InvalidArgument(path + ": cannot open");
    in = &file;
  }
  const char* key = items ? "itemId" : "userId";
  std::vector<std::string> ids;
  std::string line;
  size_t n = 0;
  while (std::getline(*in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (line[line.find_first_not_of(" \t")] == '{') {
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_object() || !j.contains(key) || !j[key].is_string()) {
        return Status::InvalidArgument(path + ":" + std::to_string(n) + ": expected {\"" + key +
                                       "\": \"...\"}");
      }
      ids.push_back(j[key]);
    } else {
      ids.push_back(line);
    }
  }
  return ids;
}

std::string AnswerLine(const engine::ModelBundle& b, const std::string& id, bool items,
                       const engine::RecommendOptions& o) {
  nlohmann::json line = {{"input", {{items ? "itemId" : "userId", id}}}};
  engine::Recommendation r;
  if (items) {
    StatusOr<engine::Recommendation> rel = engine::RelatedItems(b, id, "", o);
    if (!rel.ok()) {
      line["output"] = nullptr;
      line["error"] = rel.status().message();
      return line.dump();
    }
    r = std::move(rel).value();
  } else {
    r = engine::RecommendForUser(b, id, o);
  }
  nlohmann::json ids = nlohmann::json::array(), scores = nlohmann::json::array();
  for (const auto& s : r.items) {
    ids.push_back(b.items().name(s.item));
    scores.push_back(s.score);
  }
  line["output"] = {{"recommendedItems", ids}, {"scores", scores}};
  line["error"] = nullptr;
  return line.dump();
}

// JSON lines -> Parquet through DuckDB (zstd, one file).
Status WriteParquet(const std::string& jsonl_path, const std::string& out) {
  ASSIGN_OR_RETURN(std::unique_ptr<lake::Database> db, lake::Database::Open(""));
  ASSIGN_OR_RETURN(lake::Connection conn, db->Connect());
  auto quote = [](const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
    return q + "'";
  };
  return conn.Execute(
      "COPY (SELECT * FROM read_json(" + quote(jsonl_path) +
      ", format='newline_delimited', columns={'input': 'STRUCT(userId VARCHAR, itemId VARCHAR)', "
      "'output': 'STRUCT(recommendedItems VARCHAR[], scores DOUBLE[])', 'error': 'VARCHAR'})) TO " +
      quote(out) + " (FORMAT parquet, COMPRESSION zstd)");
}

int Run(const Context& ctx, const Args& a) {
  std::string format = a.format;
  if (format.empty()) {
    format = a.output.size() > 8 && a.output.ends_with(".parquet") ? "parquet" : "jsonl";
  }
  if (format == "parquet" && a.output == "-") {
    return ReportError(Status::InvalidArgument("--output: Parquet needs a file name"));
  }
  int rc = kExitOk;
  std::optional<engine::ModelBundle> b = LoadBundleOrReport(ctx, a.model, rc);
  if (!b) return rc;
  StatusOr<std::vector<std::string>> ids = ReadIds(a.input, a.items);
  if (!ids.ok()) return ReportError(ids.status());
  StatusOr<engine::RecommendOptions> o = MakeRecommendOptions(*b, a.answer);
  if (!o.ok()) return ReportError(o.status());
  if (a.items) o->exclude_seen = false;

  std::vector<std::string> lines(ids->size());
  ProgressBar bar("batch-recommend", StderrIsTty() && !ctx.quiet);
  std::atomic<size_t> done{0};
  models::TrainContext tc = MakeTrainContext(a.flags, nullptr);
  models::ParallelFor(tc.threads, ids->size(), 256, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) lines[i] = AnswerLine(*b, (*ids)[i], a.items, *o);
    done += end - begin;
  });
  bar.Update(done, ids->size());
  bar.Finish();

  std::string text;
  for (const std::string& l : lines) text += l + "\n";
  if (a.output == "-") {
    std::cout << text;
  } else if (format == "jsonl") {
    if (Status s = WriteFileAtomic(a.output, text); !s.ok()) return ReportError(s);
  } else {
    std::string tmp = a.output + ".tmp.jsonl";
    Status s = WriteFileAtomic(tmp, text);
    if (s.ok()) s = WriteParquet(tmp, a.output + ".tmp");
    std::remove(tmp.c_str());
    if (s.ok()) s = RenameDurable(a.output + ".tmp", a.output);
    if (!s.ok()) return ReportError(s);
  }
  Info(ctx, "wrote " + WithThousands(lines.size()) + " answers" +
                (a.output == "-" ? "" : " to " + a.output));
  return kExitOk;
}

}  // namespace

void RegisterBatchRecommend(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "batch-recommend", "recommendations for many users (or related items for many items)");
  AddProjectOption(cmd, ctx);
  auto a = std::make_shared<Args>();
  cmd->add_option("-i,--input", a->input,
                  "ids, one per line, or JSON lines {\"userId\": ...} (default: stdin)");
  cmd->add_option("-o,--output", a->output, "output file, .jsonl or .parquet (default: stdout)");
  cmd->add_option("--format", a->format, "jsonl | parquet (default: from the file name)")
      ->check(CLI::IsMember({"jsonl", "parquet"}));
  cmd->add_flag("--items", a->items, "inputs are item ids: write related items");
  cmd->add_option("-m,--model", a->model, "model version (default: the live one)");
  AddAnswerFlags(cmd, a->answer, 25);
  AddTrainFlags(cmd, a->flags);
  cmd->callback([&ctx, a] { ctx.action = [&ctx, a] { return Run(ctx, *a); }; });
}

}  // namespace recmart::cli
