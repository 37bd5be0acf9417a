#include "recmart/cli/model_cli.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <thread>

#include "recmart/common/fs.h"
#include "recmart/engine/recipes.h"

namespace recmart::cli {

using nlohmann::json;

StatusOr<engine::ModelRegistry> OpenRegistry(const config::Project& project) {
  return engine::ModelRegistry::Open(ResolvePath(project.dir, "models"));
}

void AddTrainFlags(CLI::App* cmd, TrainFlags& flags) {
  cmd->add_option("--seed", flags.seed, "random seed: same seed and data give the same model");
  cmd->add_option("--threads", flags.threads, "worker threads (default: all cores)")
      ->check(CLI::Range(0, 1024));
}

models::TrainContext MakeTrainContext(const TrainFlags& flags, ProgressBar* bar) {
  models::TrainContext ctx;
  ctx.seed = flags.seed;
  ctx.threads = flags.threads > 0
                    ? flags.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (bar) {
    ctx.progress = [bar](std::string_view, double fraction) {
      bar->Update(static_cast<uint64_t>(std::lround(fraction * 1000)), 1000);
    };
  }
  return ctx;
}

void AddAnswerFlags(CLI::App* cmd, AnswerFlags& f, size_t default_n) {
  f.num_results = default_n;
  cmd->add_option("-n,--num-results", f.num_results, "how many items (at most 500)")
      ->check(CLI::Range(1, 500));
  cmd->add_option("--offset", f.offset, "skip this many (paging; pages never repeat items)");
  cmd->add_option("--exclude", f.exclude, "comma-separated item ids never to return");
  cmd->add_option("--category", f.category,
                  "only items whose CATEGORY_L1 is one of these (comma-separated)");
  cmd->add_flag("--include-seen", f.include_seen, "allow items the user already interacted with");
  cmd->add_flag("--available-only", f.available_only, "skip items marked unavailable");
  cmd->add_option("--max-price", f.max_price, "skip items priced above this")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--exploration", f.exploration,
                  "share of slots for new items with metadata but no interactions")
      ->check(CLI::Range(0.0, 1.0));
}

std::vector<std::string> SplitCommaList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    std::string part = s.substr(start, comma - start);
    size_t a = part.find_first_not_of(" \t"), b = part.find_last_not_of(" \t");
    if (a != std::string::npos) out.push_back(part.substr(a, b - a + 1));
    start = comma + 1;
  }
  return out;
}

StatusOr<engine::RecommendOptions> MakeRecommendOptions(const engine::ModelBundle& bundle,
                                                        const AnswerFlags& f) {
  engine::RecommendOptions o;
  o.num_results = f.num_results;
  o.offset = f.offset;
  o.exclude_seen = !f.include_seen;
  o.exclude = SplitCommaList(f.exclude);
  o.exploration = f.exploration;
  std::vector<std::string> cats = SplitCommaList(f.category);
  if (!cats.empty() || f.available_only || f.max_price > 0) {
    const models::ItemAttributes& a = bundle.attributes();
    o.allowed.assign(bundle.items().size(), 1);
    for (size_t i = 0; i < o.allowed.size(); ++i) {
      bool ok = true;
      if (!cats.empty()) ok = std::find(cats.begin(), cats.end(), a.category_l1[i]) != cats.end();
      if (ok && f.available_only) ok = a.available[i] != 0;
      if (ok && f.max_price > 0) ok = !std::isnan(a.price[i]) && a.price[i] <= f.max_price;
      o.allowed[i] = ok ? 1 : 0;
    }
  }
  return o;
}

json RecommendationJson(const engine::ModelBundle& bundle, const engine::Recommendation& r) {
  json list = json::array();
  for (const auto& s : r.items) {
    list.push_back({{"itemId", bundle.items().name(s.item)}, {"score", s.score}});
  }
  return {{"itemList", list},
          {"modelVersion", bundle.manifest().value("version", "")},
          {"source", r.source}};
}

void PrintRecommendation(const engine::ModelBundle& bundle, const engine::Recommendation& r,
                         bool as_json) {
  if (as_json) {
    std::cout << RecommendationJson(bundle, r).dump() << "\n";
    return;
  }
  TextTable t;
  t.headers = {"rank", "item", "score", "category", "title"};
  t.numeric = {true, false, true, false, false};
  const models::ItemAttributes& a = bundle.attributes();
  for (size_t k = 0; k < r.items.size(); ++k) {
    const auto& s = r.items[k];
    char score[32];
    std::snprintf(score, sizeof score, "%.4f", s.score);
    t.AddRow({std::to_string(k + 1), bundle.items().name(s.item), std::string(score),
              a.category_l1[s.item], a.title[s.item]});
  }
  PrintTable(std::cout, t);
}

std::optional<engine::ModelBundle> LoadBundleOrReport(const Context& ctx,
                                                      const std::string& version, int& exit_code) {
  std::optional<config::Project> p = LoadProjectOrReport(ctx);
  exit_code = kExitUsage;
  if (!p) return std::nullopt;
  StatusOr<engine::ModelRegistry> reg = OpenRegistry(*p);
  if (!reg.ok()) {
    exit_code = ReportError(reg.status());
    return std::nullopt;
  }
  StatusOr<engine::ModelBundle> b = reg->Load(version);
  if (!b.ok()) {
    exit_code = ReportError(b.status());
    return std::nullopt;
  }
  return std::move(b).value();
}

StatusOr<nlohmann::json> EvaluateRecipe(const models::Dataset& data, const std::string& recipe,
                                        const nlohmann::json& params, const std::string& split_spec,
                                        const std::vector<size_t>& ks, bool exclude_seen,
                                        const TrainFlags& flags, ProgressBar* bar) {
  return training::EvaluateRecipe(data, recipe, params, split_spec, ks, exclude_seen,
                                  MakeTrainContext(flags, bar));
}

StatusOr<std::vector<size_t>> ParseKs(const std::string& s) {
  std::vector<size_t> ks;
  for (const std::string& part : SplitCommaList(s)) {
    char* end = nullptr;
    unsigned long k = std::strtoul(part.c_str(), &end, 10);
    if (part.empty() || *end != '\0' || k == 0 || k > 1000) {
      return Status::InvalidArgument("--k: expected comma-separated cut-offs in 1..1000, got '" +
                                     s + "'");
    }
    ks.push_back(k);
  }
  if (ks.empty()) return Status::InvalidArgument("--k: expected at least one cut-off");
  return ks;
}

void PrintMetricsTable(const nlohmann::json& m, const std::vector<size_t>& ks) {
  TextTable t;
  t.headers = {"k", "precision", "recall", "ndcg", "map", "mrr", "hit_rate", "coverage", "novelty"};
  t.numeric.assign(t.headers.size(), true);
  std::vector<size_t> sorted = ks;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  for (size_t k : sorted) {
    std::vector<std::optional<std::string>> row = {std::to_string(k)};
    for (size_t c = 1; c < t.headers.size(); ++c) {
      std::string key = t.headers[c] + "@" + std::to_string(k);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.4f", m.value(key, 0.0));
      row.push_back(std::string(buf));
    }
    t.AddRow(std::move(row));
  }
  PrintTable(std::cout, t);
}

}  // namespace recmart::cli
