// recmart_movielens_quick: a quick quality check of the factor recipes on
// MovieLens 100K (see bench/README.md).
//
//   recmart_movielens_quick [--data PATH/u.data] [--seed N] [--threads N]
//                           [--als JSON] [--bpr JSON] [--fold-in] [--only als|bpr]
//
// The file is MovieLens 100K's u.data (tab-separated) or a ratings.csv of
// the other MovieLens sets (comma-separated, with a header).
// Every rating is one implicit interaction of value 1. Each user's
// interactions are shuffled (seeded) and split 75/25 into train and test;
// every item of the file is in the catalogue. Each recipe trains on the
// train part with its default params (any given with --als / --bpr as a JSON
// object override them), then recommends 10 items per user with the user's
// training items excluded; metrics are the means over users with test items
// of NDCG@10 (binary relevance, ideal DCG over min(10, |test|) hits) and
// precision@10.
// --fold-in also scores every user from their history instead of their
// trained factors (what live users get). A popularity line is the baseline.
//
// Without the data file it prints a skip line and exits 0.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "recmart/models/als/als.h"
#include "recmart/models/bpr/bpr.h"
#include "recmart/models/dataset.h"
#include "recmart/models/model.h"
#include "recmart/models/topk.h"

namespace {

using namespace recmart::models;
using recmart::StatusOr;

struct Split {
  Dataset train;
  std::vector<std::vector<ItemIndex>> test;  // per training user, ascending
};

StatusOr<Split> Load(const std::string& path, uint64_t seed) {
  std::ifstream in(path);
  std::map<std::string, std::vector<std::string>> by_user;
  std::vector<std::string> all_items;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || !std::isdigit(static_cast<unsigned char>(line[0]))) continue;  // header
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream fields(line);
    std::string user, item;
    if (!(fields >> user >> item)) continue;
    by_user[user].push_back(item);
    all_items.push_back(item);
  }
  if (by_user.empty()) return recmart::Status::InvalidArgument(path + ": no ratings");
  DatasetBuilder b;
  std::sort(all_items.begin(), all_items.end());
  all_items.erase(std::unique(all_items.begin(), all_items.end()), all_items.end());
  for (const std::string& i : all_items) b.AddItem(i);
  std::mt19937_64 rng(seed);
  std::vector<std::pair<std::string, std::vector<std::string>>> held_out;
  for (auto& [user, items] : by_user) {
    // Fisher-Yates with the raw generator: fixed by the seed on any library.
    for (size_t k = items.size(); k > 1; --k) std::swap(items[k - 1], items[rng() % k]);
    const size_t train = (items.size() * 3 + 3) / 4;
    for (size_t k = 0; k < train; ++k) b.AddPair(user, items[k], 1.0f);
    held_out.emplace_back(user, std::vector<std::string>(items.begin() + train, items.end()));
  }
  Split s;
  s.train = std::move(b).Build();
  s.test.resize(s.train.users.size());
  for (const auto& [user, items] : held_out) {
    const UserIndex u = s.train.users.Find(user);
    for (const std::string& i : items) s.test[u].push_back(s.train.items.Find(i));
    std::sort(s.test[u].begin(), s.test[u].end());
  }
  return s;
}

struct Metrics {
  double ndcg = 0, precision = 0;
};

// Means over users with test items; `score` fills one user's scores.
Metrics Evaluate(const Split& s, const std::function<void(UserIndex, std::span<float>)>& score) {
  const CsrMatrix& m = s.train.matrix;
  std::vector<float> scores(m.cols);
  Metrics sum;
  int users = 0;
  for (UserIndex u = 0; u < m.rows; ++u) {
    const auto& test = s.test[u];
    if (test.empty()) continue;
    score(u, scores);
    TopKOptions o;
    o.k = 10;
    o.exclude = m.RowIndices(u);
    const std::vector<ScoredItem> top = TopK(scores, o);
    double dcg = 0, idcg = 0;
    int hits = 0;
    for (size_t r = 0; r < top.size(); ++r) {
      if (std::binary_search(test.begin(), test.end(), top[r].item)) {
        dcg += 1.0 / std::log2(r + 2.0);
        ++hits;
      }
    }
    for (size_t r = 0; r < std::min<size_t>(10, test.size()); ++r) idcg += 1.0 / std::log2(r + 2.0);
    sum.ndcg += dcg / idcg;
    sum.precision += hits / 10.0;
    ++users;
  }
  sum.ndcg /= users;
  sum.precision /= users;
  return sum;
}

void Print(const char* name, const Metrics& m, double train_s) {
  std::printf("%-22s NDCG@10 %.4f   P@10 %.4f   train %6.3f s\n", name, m.ndcg, m.precision,
              train_s);
  std::fflush(stdout);
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
  const CsrMatrix& h = s.train.matrix;
  Print(name,
        Evaluate(s,
                 [&](UserIndex u, std::span<float> out) {
                   (*m)->ScoreUser({u, h.RowIndices(u), h.RowValues(u), true}, out);
                 }),
        train_s);
  if (fold_in) {
    Print((std::string(name) + " (fold-in)").c_str(),
          Evaluate(s,
                   [&](UserIndex u, std::span<float> out) {
                     (*m)->ScoreUser({kUnknownIndex, h.RowIndices(u), h.RowValues(u), false}, out);
                   }),
          train_s);
  }
  return true;
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
  StatusOr<Split> s = Load(path, seed);
  if (!s.ok()) {
    std::fprintf(stderr, "recmart_movielens_quick: %s\n", s.status().ToString().c_str());
    return 2;
  }
  std::printf("%s: %u users, %u items, %zu train interactions, seed %llu\n", path.c_str(),
              s->train.users.size(), s->train.items.size(), s->train.matrix.nnz(),
              static_cast<unsigned long long>(seed));

  // Baseline: the most popular unseen items.
  std::vector<float> popularity(s->train.items.size(), 0.0f);
  for (uint32_t i : s->train.matrix.indices) popularity[i] += 1.0f;
  Print("popularity",
        Evaluate(*s,
                 [&](UserIndex, std::span<float> out) {
                   std::copy(popularity.begin(), popularity.end(), out.begin());
                 }),
        0.0);
  bool ok = true;
  if (only.empty() || only == "als") ok &= Run(*s, "als", NewAlsModel, als, threads, fold_in);
  if (only.empty() || only == "bpr") ok &= Run(*s, "bpr", NewBprModel, bpr, threads, fold_in);
  return ok ? 0 : 1;
}
