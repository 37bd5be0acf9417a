// recmart batch-recommend: recommendations (or related items) for many ids
// at once, written as JSON lines in the managed service's batch shape
//   {"input": {"userId": "u1"}, "output": {"recommendedItems": [...], "scores": [...]}, "error":
//   null}
// or as Parquet with the same columns.
//
// One code path with the API: answers come from a serve::Recommender opened
// and loaded exactly as `recmart serve` does it (the live model or a
// campaign's variant per user, the project's named filters, the lake's user
// metadata, the live logs replayed), so a batch answer equals the server's
// answer to the same request, scores written in the same text.
#include <fmt/format.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>

#include "recmart/cli/model_cli.h"
#include "recmart/common/fs.h"
#include "recmart/common/json_text.h"
#include "recmart/lake/duckdb.h"
#include "recmart/serve/live_state.h"
#include "recmart/serve/recommender.h"

namespace recmart::cli {
namespace {

struct Args {
  std::string input = "-", output = "-", model, format;
  bool items = false;
  std::string filter;                      // a name from the project's [filters]
  std::vector<std::string> filter_values;  // NAME=VALUE, VALUE in filter literal syntax
  AnswerFlags answer;
  TrainFlags flags;
};

// The name under which the filter of --category / --available-only /
// --max-price (chained after --filter's) is compiled; not a TOML bare key, so
// no project filter can have it.
constexpr char kCliFilter[] = "(batch-recommend)";

std::string Literal(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

// --category, --available-only and --max-price as filter expressions, so
// that they go through the same filter code as the server's named filters.
std::vector<std::string> FlagExpressions(const AnswerFlags& f) {
  std::vector<std::string> out;
  std::vector<std::string> cats = SplitCommaList(f.category);
  if (!cats.empty()) {
    std::string list;
    for (const std::string& c : cats) list += (list.empty() ? "" : ", ") + Literal(c);
    out.push_back("INCLUDE ItemID WHERE Items.CATEGORY_L1 IN (" + list + ")");
  }
  if (f.available_only) out.push_back("EXCLUDE ItemID WHERE Items.AVAILABLE IN (\"no\")");
  if (f.max_price > 0) {
    out.push_back("INCLUDE ItemID WHERE Items.PRICE <= " + fmt::format("{}", f.max_price));
  }
  return out;
}

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

// One output line: the answer, or the error of this input.
std::string AnswerLine(const std::string& id, bool items, const StatusOr<serve::Answer>& a) {
  std::string line = items ? "{\"input\":{\"itemId\":" : "{\"input\":{\"userId\":";
  AppendJsonString(id, &line);
  line += "},\"output\":";
  if (!a.ok()) {
    line += "null,\"error\":";
    AppendJsonString(a.status().message(), &line);
    return line + "}";
  }
  line += "{\"recommendedItems\":[";
  for (size_t k = 0; k < a->items.size(); ++k) {
    if (k) line += ',';
    AppendJsonString(a->items[k].first, &line);
  }
  line += "],\"scores\":[";
  for (size_t k = 0; k < a->items.size(); ++k) {
    if (k) line += ',';
    serve::AppendScore(a->items[k].second, &line);
  }
  return line + "]},\"error\":null}";
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
  std::map<std::string, std::string> values;
  for (const std::string& v : a.filter_values) {
    const size_t eq = v.find('=');
    if (eq == 0 || eq == std::string::npos) {
      return ReportError(
          Status::InvalidArgument("--filter-value: expected NAME=VALUE, got '" + v + "'"));
    }
    values[v.substr(0, eq)] = v.substr(eq + 1);
  }
  std::optional<config::Project> project = LoadProjectOrReport(ctx);
  if (!project) return kExitUsage;
  StatusOr<std::vector<std::string>> ids = ReadIds(a.input, a.items);
  if (!ids.ok()) return ReportError(ids.status());

  // The filter: --filter's expression, then the flags' expressions, chained.
  std::string filter = a.filter;
  std::vector<std::string> chain = FlagExpressions(a.answer);
  if (!chain.empty()) {
    if (!a.filter.empty()) {
      auto named = project->filters.find(a.filter);
      if (named == project->filters.end()) {
        return ReportError(Status::InvalidArgument("--filter: no filter named '" + a.filter + "'"));
      }
      chain.insert(chain.begin(), named->second);
    }
    std::string text;
    for (const std::string& e : chain) text += (text.empty() ? "" : " | ") + e;
    project->filters[kCliFilter] = text;
    filter = kCliFilter;
  }

  // Opened and loaded as `recmart serve` does.
  serve::RecommenderOptions ro = serve::RecommenderOptionsFor(*project);
  ro.pinned_version = a.model;
  StatusOr<std::unique_ptr<serve::Recommender>> rec = serve::Recommender::Open(*project, ro);
  if (!rec.ok()) return ReportError(rec.status());
  StatusOr<serve::LiveStateStats> loaded = serve::LoadLiveState(**rec, project->dir);
  if (!loaded.ok()) return ReportError(loaded.status());
  Info(ctx, "batch-recommend: model " + (*rec)->models()->live->version + ", loaded " +
                loaded->Summary());

  const AnswerFlags& f = a.answer;
  std::vector<std::string> exclude = SplitCommaList(f.exclude);
  std::vector<std::string> lines(ids->size());
  // A request-level error (a missing filter value, a filter that needs a
  // current item) fails every input alike: stop with it instead of writing
  // it on every line. Only an unknown item is an error of one input.
  std::mutex error_mu;
  std::optional<Status> fatal;
  ProgressBar bar("batch-recommend", StderrIsTty() && !ctx.quiet);
  std::atomic<size_t> done{0};
  auto ask = [&](const std::string& id) -> StatusOr<serve::Answer> {
    if (a.items) {
      serve::SimilarRequest r;
      r.item_id = id;
      r.num_results = f.num_results;
      r.offset = f.offset;
      r.filter = filter;
      r.filter_values = values;
      r.exclude = exclude;
      return (*rec)->Similar(r);
    }
    serve::RecommendRequest r;
    r.user_id = id;
    r.num_results = f.num_results;
    r.offset = f.offset;
    r.filter = filter;
    r.filter_values = values;
    r.exclude = exclude;
    r.exploration = f.exploration;
    r.exclude_seen = !f.include_seen;
    return (*rec)->Recommend(r);
  };
  models::TrainContext tc = MakeTrainContext(a.flags, nullptr);
  models::ParallelFor(tc.threads, ids->size(), 256, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const std::string& id = (*ids)[i];
      StatusOr<serve::Answer> answer = ask(id);
      if (!answer.ok() && answer.status().code() != StatusCode::kNotFound) {
        std::lock_guard<std::mutex> lock(error_mu);
        if (!fatal) fatal = answer.status();
      }
      lines[i] = AnswerLine(id, a.items, answer);
    }
    done += end - begin;
  });
  bar.Update(done, ids->size());
  bar.Finish();
  if (fatal) return ReportError(*fatal);

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
  cmd->add_option("-m,--model", a->model,
                  "model version (default: as the server, the live one or the user's campaign "
                  "variant)");
  cmd->add_option("--filter", a->filter, "a named filter of the project's [filters]");
  cmd->add_option("--filter-value", a->filter_values,
                  "NAME=VALUE for the filter's $NAME, VALUE as in the API's filterValues "
                  "(e.g. 'CATEGORY=\"shoes\",\"bags\"'); repeatable");
  AddAnswerFlags(cmd, a->answer, 25);
  AddTrainFlags(cmd, a->flags);
  cmd->callback([&ctx, a] { ctx.action = [&ctx, a] { return Run(ctx, *a); }; });
}

}  // namespace recmart::cli
