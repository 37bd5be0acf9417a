// recmart_movielens_quick: a quick quality check of any recipe without the
// ETL, on MovieLens (or a dumped interaction matrix), over several splits
// (see bench/README.md).
//
//   recmart_movielens_quick [--data PATH] [--matrix PATH] [--split SPEC]
//                           [--seeds N,N,...] [--threads N]
//                           [--recipe NAME[=JSON] [--tune SPACE]]...
//                           [--fold-in] [--als JSON] [--bpr JSON] [--only NAME]
//
// Data:
//  --data: MovieLens 100K's u.data (tab-separated) or a ratings.csv of the
//    other MovieLens sets (comma-separated, with a header). Every rating is
//    one implicit interaction of value 1 at the rating's time.
//  --matrix: the lake's interaction matrix dumped as tab-separated
//    USER_ID, ITEM_ID, SCORE, FIRST_TS, LAST_TS (e.g. with `recmart sql …
//    COPY (SELECT … FROM interaction_matrix ORDER BY USER_ID, ITEM_ID) TO
//    'm.tsv' (DELIMITER '\t', HEADER false)`), the confidence kept as is --
//    what `recmart evaluate` trains on.
// Every item of the file is in the catalogue.
//
// Protocol: the split (eval::ParseSplitSpec; default random:0.25, per user
// 75/25) is made once per seed (default 1); each recipe trains on the train
// side with its default params, overridden by the JSON object given after
// "=" (or by --als / --bpr for those two), and is measured by eval::Evaluate:
// 10 items per user with the training items excluded, metrics as defined in
// src/recmart/eval/metrics.h. One line per recipe and seed, then the mean
// over the seeds when there are several. --tune SPACE after a --recipe
// first searches that recipe's parameters with eval::Tune (random search,
// 20 trials, on a validation split carved from the train side only, of the
// same kind as the evaluation split -- eval::MirrorSplit, what `recmart tune
// --split` does; SPACE as in eval/tune.h) and then trains the winner --
// quality "with parameters chosen by the tuner". --fold-in also scores
// every user from their history instead of their trained state (what live
// users get).
// Without --recipe: popularity, als and bpr (--only keeps one of them).
//
// Without the data file it prints a skip line and exits 0.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "recmart/engine/recipes.h"
#include "recmart/eval/evaluate.h"
#include "recmart/eval/split.h"
#include "recmart/eval/tune.h"
#include "recmart/models/dataset.h"
#include "recmart/models/model.h"

namespace {

using namespace recmart::models;
using namespace recmart::eval;
using recmart::StatusOr;

// A MovieLens ratings file: every rating one interaction of value 1.
StatusOr<Dataset> LoadRatings(const std::string& path) {
  std::ifstream in(path);
  DatasetBuilder b;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || !std::isdigit(static_cast<unsigned char>(line[0]))) continue;  // header
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream fields(line);
    std::string user, item;
    double rating = 0;
    int64_t ts = 0;
    if (!(fields >> user >> item)) continue;
    fields >> rating >> ts;
    b.AddPair(user, item, 1.0f, ts, ts);
  }
  Dataset d = std::move(b).Build();
  if (d.matrix.nnz() == 0) return recmart::Status::InvalidArgument(path + ": no ratings");
  return d;
}

// A dumped interaction matrix: user, item, confidence, first and last time.
StatusOr<Dataset> LoadMatrix(const std::string& path) {
  std::ifstream in(path);
  DatasetBuilder b;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string user, item;
    float score = 0;
    int64_t first = 0, last = 0;
    if (!(fields >> user >> item >> score >> first >> last)) continue;
    b.AddPair(user, item, score, first, last);
  }
  Dataset d = std::move(b).Build();
  if (d.matrix.nnz() == 0) return recmart::Status::InvalidArgument(path + ": no interactions");
  return d;
}

// Scores every user from their history alone, as a live user with no trained
// state would be scored.
class FoldIn : public Model {
 public:
  explicit FoldIn(const Model& m) : m_(m) {}
  std::string_view recipe() const override { return m_.recipe(); }
  nlohmann::json params() const override { return m_.params(); }
  recmart::Status Fit(const Dataset&, const TrainContext&) override {
    return recmart::Status::OK();
  }
  uint32_t num_items() const override { return m_.num_items(); }
  void ScoreUser(const UserQuery& q, std::span<float> out) const override {
    m_.ScoreUser({kUnknownIndex, q.items, q.weights, false}, out);
  }
  recmart::Status Save(ArrayWriter&) const override { return recmart::Status::OK(); }
  recmart::Status Load(const ArrayReader&) override { return recmart::Status::OK(); }

 private:
  const Model& m_;
};

struct Figures {
  double ndcg = 0, precision = 0, recall = 0, map = 0, coverage = 0, train_s = 0;
};

void PrintLine(const std::string& name, const std::string& seed, const Figures& f) {
  std::printf(
      "%-28s %-5s NDCG@10 %.4f  P@10 %.4f  R@10 %.4f  MAP@10 %.4f  cov %.3f  train %6.3f s\n",
      name.c_str(), seed.c_str(), f.ndcg, f.precision, f.recall, f.map, f.coverage, f.train_s);
  std::fflush(stdout);
}

StatusOr<Figures> Measure(const Model& m, const Split& s, int threads, double train_s) {
  EvalOptions o;
  o.ks = {10};
  o.threads = threads;
  StatusOr<EvalReport> r = Evaluate(m, s, o);
  if (!r.ok()) return r.status();
  const MetricsAtK& k = *r->AtK(10);
  return Figures{k.ndcg, k.precision, k.recall, k.map, k.coverage, train_s};
}

struct Recipe {
  std::string label, name;
  nlohmann::json params;
  nlohmann::json tune;  // null: no search
  bool fold_in = false;
  std::vector<Figures> runs;
};

// Trains and measures one recipe on one split; appends its figures (and the
// fold-in's to `fold_in_runs`). False after printing an error.
bool Run(const Split& s, const SplitSpec& validation, Recipe& r, std::vector<Figures>* fold_in_runs,
         int threads, const std::string& seed) {
  auto fail = [&](const recmart::Status& st) {
    std::fprintf(stderr, "recmart_movielens_quick: %s: %s\n", r.label.c_str(),
                 st.ToString().c_str());
    return false;
  };
  nlohmann::json params = r.params;
  if (!r.tune.is_null()) {
    TuneOptions o;
    o.space = r.tune;
    o.base = r.params;
    o.threads = threads;
    o.validation_split = validation;
    StatusOr<TuneResult> t = Tune(
        s.train, o, [&r](const nlohmann::json& p) { return recmart::engine::NewModel(r.name, p); });
    if (!t.ok()) return fail(t.status());
    params = t->best_params;
    std::printf("  tuned on validation (ndcg@10 %.4f): %s\n", t->best_score, params.dump().c_str());
  }
  StatusOr<std::unique_ptr<Model>> m = recmart::engine::NewModel(r.name, params);
  if (!m.ok()) return fail(m.status());
  TrainContext ctx;
  ctx.threads = threads;
  auto t0 = std::chrono::steady_clock::now();
  recmart::Status fit = (*m)->Fit(s.train, ctx);
  const double train_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!fit.ok()) return fail(fit);
  StatusOr<Figures> f = Measure(**m, s, threads, train_s);
  if (!f.ok()) return fail(f.status());
  r.runs.push_back(*f);
  PrintLine(r.label, seed, *f);
  if (fold_in_runs) {
    StatusOr<Figures> g = Measure(FoldIn(**m), s, threads, train_s);
    if (!g.ok()) return fail(g.status());
    fold_in_runs->push_back(*g);
    PrintLine(r.label + " (fold-in)", seed, *g);
  }
  return true;
}

Figures Mean(const std::vector<Figures>& runs) {
  Figures m;
  for (const Figures& f : runs) {
    m.ndcg += f.ndcg / runs.size();
    m.precision += f.precision / runs.size();
    m.recall += f.recall / runs.size();
    m.map += f.map / runs.size();
    m.coverage += f.coverage / runs.size();
    m.train_s += f.train_s / runs.size();
  }
  return m;
}

int Usage(const char* problem) {
  std::fprintf(stderr,
               "recmart_movielens_quick: %s\nusage: recmart_movielens_quick [--data u.data | "
               "--matrix m.tsv] [--split SPEC] [--seeds N,N,...] [--threads N] "
               "[--recipe NAME[=JSON] [--tune SPACE]]... [--fold-in] [--als JSON] [--bpr JSON] "
               "[--only NAME]\n",
               problem);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = "/work/shared/data/movielens-100k/u.data";
  bool matrix = false;
  std::string split_spec = "random:0.25";
  std::vector<uint64_t> seeds;
  int threads = 2;
  bool fold_in = false;
  std::string only;
  std::vector<Recipe> recipes;
  nlohmann::json als = nlohmann::json::object(), bpr = nlohmann::json::object();
  for (int a = 1; a < argc; ++a) {
    std::string_view arg = argv[a];
    if (arg == "--fold-in") {
      fold_in = true;
      continue;
    }
    if (a + 1 >= argc) return Usage("missing value");
    const std::string v = argv[++a];
    if (arg == "--data" || arg == "--matrix") {
      path = v;
      matrix = arg == "--matrix";
    } else if (arg == "--split") {
      split_spec = v;
    } else if (arg == "--seed" || arg == "--seeds") {
      std::istringstream list(v);
      for (std::string s; std::getline(list, s, ',');) seeds.push_back(std::stoull(s));
    } else if (arg == "--threads") {
      threads = std::atoi(v.c_str());
    } else if (arg == "--only") {
      only = v;
    } else if (arg == "--recipe") {
      const size_t eq = v.find('=');
      Recipe r{v, v.substr(0, eq), nlohmann::json::object()};
      if (eq != std::string::npos) {
        r.params = nlohmann::json::parse(v.substr(eq + 1), nullptr, false);
        if (!r.params.is_object()) return Usage("--recipe NAME=JSON takes a JSON object");
      }
      recipes.push_back(std::move(r));
    } else if (arg == "--tune") {
      if (recipes.empty()) return Usage("--tune follows the --recipe it searches");
      recipes.back().tune = nlohmann::json::parse(v, nullptr, false);
      if (!recipes.back().tune.is_object()) return Usage("--tune takes a JSON object");
      recipes.back().label += " tuned";
    } else if (arg == "--als" || arg == "--bpr") {
      nlohmann::json j = nlohmann::json::parse(v, nullptr, false);
      if (!j.is_object()) return Usage("--als / --bpr take a JSON object");
      (arg == "--als" ? als : bpr) = j;
    } else {
      return Usage("unknown option");
    }
  }
  if (seeds.empty()) seeds = {1};
  if (recipes.empty()) {
    recipes.push_back({"popularity", "popularity", nlohmann::json::object()});
    if (only.empty() || only == "als") recipes.push_back({"als", "als", als});
    if (only.empty() || only == "bpr") recipes.push_back({"bpr", "bpr", bpr});
    for (size_t i = 1; i < recipes.size(); ++i) recipes[i].fold_in = fold_in;
  } else {
    for (Recipe& r : recipes) r.fold_in = fold_in;
  }
  if (!std::filesystem::exists(path)) {
    std::printf("recmart_movielens_quick: %s not found; skipped\n", path.c_str());
    return 0;
  }
  StatusOr<SplitSpec> spec = ParseSplitSpec(split_spec);
  if (!spec.ok()) return Usage(spec.status().ToString().c_str());
  StatusOr<Dataset> data = matrix ? LoadMatrix(path) : LoadRatings(path);
  if (!data.ok()) {
    std::fprintf(stderr, "recmart_movielens_quick: %s\n", data.status().ToString().c_str());
    return 2;
  }
  std::vector<std::vector<Figures>> fold_in_runs(recipes.size());
  bool ok = true;
  for (uint64_t seed : seeds) {
    StatusOr<Split> s = MakeSplit(*data, *spec, seed);
    if (!s.ok()) {
      std::fprintf(stderr, "recmart_movielens_quick: %s\n", s.status().ToString().c_str());
      return 2;
    }
    std::printf(
        "%s: %u users, %u items, %zu train interactions, %zu test users, split %s, "
        "seed %llu\n",
        path.c_str(), s->train.users.size(), s->train.items.size(), s->train.matrix.nnz(),
        s->num_test_users(), split_spec.c_str(), static_cast<unsigned long long>(seed));
    for (size_t i = 0; i < recipes.size(); ++i) {
      ok &= Run(*s, MirrorSplit(*spec, *data), recipes[i],
                recipes[i].fold_in ? &fold_in_runs[i] : nullptr, threads, std::to_string(seed));
    }
  }
  if (seeds.size() > 1) {
    std::printf("mean over %zu seeds\n", seeds.size());
    for (size_t i = 0; i < recipes.size(); ++i) {
      if (!recipes[i].runs.empty()) PrintLine(recipes[i].label, "mean", Mean(recipes[i].runs));
      if (!fold_in_runs[i].empty())
        PrintLine(recipes[i].label + " (fold-in)", "mean", Mean(fold_in_runs[i]));
    }
  }
  return ok ? 0 : 1;
}
