// recmart_movielens_quick: a quick quality check of the factor recipes on
// MovieLens 100K (see bench/README.md).
//
//   recmart_movielens_quick [--data PATH/u.data] [--seed N] [--threads N]
//                           [--als JSON] [--bpr JSON] [--fold-in] [--only als|bpr]
//
// The file is MovieLens 100K's u.data (tab-separated) or a ratings.csv of
// the other MovieLens sets (comma-separated, with a header).
// Every rating is one implicit interaction of value 1. Each user's
// interactions are split 75/25 into train and test per user
// (eval::RandomSplit, seeded); every item of the file is in the catalogue.
// Each recipe trains on the train part with its default params (any given
// with --als / --bpr as a JSON object override them) and is measured by
// eval::Evaluate: 10 items per user with the training items excluded, NDCG@10
// and precision@10 as defined in src/recmart/eval/metrics.h.
// --fold-in also scores every user from their history instead of their
// trained factors (what live users get). A popularity line is the baseline.
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

#include "recmart/eval/evaluate.h"
#include "recmart/eval/split.h"
#include "recmart/models/als/als.h"
#include "recmart/models/bpr/bpr.h"
#include "recmart/models/dataset.h"
#include "recmart/models/model.h"
#include "recmart/models/popularity/popularity.h"

namespace {

using namespace recmart::models;
using namespace recmart::eval;
using recmart::StatusOr;

// Every rating of the file as one interaction of value 1; every item of the
// file is in the catalogue.
StatusOr<Dataset> Load(const std::string& path) {
  std::ifstream in(path);
  DatasetBuilder b;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || !std::isdigit(static_cast<unsigned char>(line[0]))) continue;  // header
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream fields(line);
    std::string user, item;
    if (!(fields >> user >> item)) continue;
    b.AddPair(user, item, 1.0f);
  }
  Dataset d = std::move(b).Build();
  if (d.matrix.nnz() == 0) return recmart::Status::InvalidArgument(path + ": no ratings");
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

bool Print(const char* name, const Model& m, const Split& s, int threads, double train_s) {
  EvalOptions o;
  o.ks = {10};
  o.threads = threads;
  StatusOr<EvalReport> r = Evaluate(m, s, o);
  if (!r.ok()) {
    std::fprintf(stderr, "recmart_movielens_quick: %s\n", r.status().ToString().c_str());
    return false;
  }
  std::printf("%-22s NDCG@10 %.4f   P@10 %.4f   train %6.3f s\n", name, r->AtK(10)->ndcg,
              r->AtK(10)->precision, train_s);
  std::fflush(stdout);
  return true;
}

using Factory = StatusOr<std::unique_ptr<Model>> (*)(const nlohmann::json&);

bool Run(const Split& s, const char* name, Factory make, const nlohmann::json& params, int threads,
         bool fold_in) {
  StatusOr<std::unique_ptr<Model>> m = make(params);
  if (!m.ok()) {
    std::fprintf(stderr, "recmart_movielens_quick: %s\n", m.status().ToString().c_str());
    return false;
  }
  TrainContext ctx;
  ctx.threads = threads;
  auto t0 = std::chrono::steady_clock::now();
  recmart::Status fit = (*m)->Fit(s.train, ctx);
  const double train_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!fit.ok()) {
    std::fprintf(stderr, "recmart_movielens_quick: %s\n", fit.ToString().c_str());
    return false;
  }
  bool ok = Print(name, **m, s, threads, train_s);
  if (fold_in)
    ok &= Print((std::string(name) + " (fold-in)").c_str(), FoldIn(**m), s, threads, train_s);
  return ok;
}

int Usage(const char* problem) {
  std::fprintf(stderr,
               "recmart_movielens_quick: %s\nusage: recmart_movielens_quick [--data u.data] "
               "[--seed N] [--threads N] [--als JSON] [--bpr JSON] [--fold-in] [--only als|bpr]\n",
               problem);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = "/work/shared/data/movielens-100k/u.data";
  uint64_t seed = 1;
  int threads = 2;
  bool fold_in = false;
  std::string only;
  nlohmann::json als = nlohmann::json::object(), bpr = nlohmann::json::object();
  for (int a = 1; a < argc; ++a) {
    std::string_view arg = argv[a];
    if (arg == "--fold-in") {
      fold_in = true;
      continue;
    }
    if (a + 1 >= argc) return Usage("missing value");
    const char* v = argv[++a];
    if (arg == "--data") {
      path = v;
    } else if (arg == "--seed") {
      seed = std::strtoull(v, nullptr, 10);
    } else if (arg == "--threads") {
      threads = std::atoi(v);
    } else if (arg == "--only") {
      only = v;
    } else if (arg == "--als" || arg == "--bpr") {
      nlohmann::json j = nlohmann::json::parse(v, nullptr, false);
      if (!j.is_object()) return Usage("--als / --bpr take a JSON object");
      (arg == "--als" ? als : bpr) = j;
    } else {
      return Usage("unknown option");
    }
  }
  if (!std::filesystem::exists(path)) {
    std::printf("recmart_movielens_quick: %s not found; skipped\n", path.c_str());
    return 0;
  }
  StatusOr<Dataset> data = Load(path);
  StatusOr<Split> s = data.ok() ? RandomSplit(*data, 0.25, seed) : StatusOr<Split>(data.status());
  if (!s.ok()) {
    std::fprintf(stderr, "recmart_movielens_quick: %s\n", s.status().ToString().c_str());
    return 2;
  }
  std::printf("%s: %u users, %u items, %zu train interactions, seed %llu\n", path.c_str(),
              s->train.users.size(), s->train.items.size(), s->train.matrix.nnz(),
              static_cast<unsigned long long>(seed));

  // Baseline: the most popular unseen items.
  bool ok = Run(*s, "popularity", NewPopularityModel, nlohmann::json::object(), threads, false);
  if (only.empty() || only == "als") ok &= Run(*s, "als", NewAlsModel, als, threads, fold_in);
  if (only.empty() || only == "bpr") ok &= Run(*s, "bpr", NewBprModel, bpr, threads, fold_in);
  return ok ? 0 : 1;
}
