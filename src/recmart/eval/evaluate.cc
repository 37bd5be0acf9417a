#include "recmart/eval/evaluate.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "recmart/eval/random.h"
#include "recmart/models/topk.h"

namespace recmart::eval {

using models::UserIndex;

const MetricsAtK* EvalReport::AtK(size_t k) const {
  for (const MetricsAtK& m : at_k) {
    if (m.k == k) return &m;
  }
  return nullptr;
}

StatusOr<double> EvalReport::Value(const MetricName& name) const {
  const MetricsAtK* m = AtK(name.k);
  if (!m) {
    return Status::NotFound(std::string(MetricKindName(name.kind)) + "@" + std::to_string(name.k) +
                            ": k = " + std::to_string(name.k) + " was not evaluated");
  }
  return MetricValue(*m, name.kind);
}

nlohmann::json EvalReport::ToJson() const {
  nlohmann::json j = {{"users", users}, {"test_pairs", test_pairs}, {"seconds", seconds}};
  for (const MetricsAtK& m : at_k) {
    const std::string at = "@" + std::to_string(m.k);
    j["precision" + at] = m.precision;
    j["recall" + at] = m.recall;
    j["ndcg" + at] = m.ndcg;
    j["map" + at] = m.map;
    j["mrr" + at] = m.mrr;
    j["hit_rate" + at] = m.hit_rate;
    j["coverage" + at] = m.coverage;
    j["novelty" + at] = m.novelty;
  }
  for (size_t k : {5, 10, 25}) {
    if (const MetricsAtK* m = AtK(k)) {
      j["precision_at_" + std::to_string(k)] = m->precision;
      j["normalized_discounted_cumulative_gain_at_" + std::to_string(k)] = m->ndcg;
    }
  }
  if (const MetricsAtK* m = AtK(25)) j["mean_reciprocal_rank_at_25"] = m->mrr;
  if (!at_k.empty()) {
    const MetricsAtK* m = AtK(25);
    j["coverage"] = (m ? m : &at_k.back())->coverage;
  }
  return j;
}

namespace {

// What one batch needs besides the model; reused across batches so a thread
// allocates its score buffer once.
struct Scratch {
  std::vector<float> scores;
  std::vector<models::UserQuery> queries;
  std::vector<ItemIndex> ranked;
};

// Hands each running batch a Scratch; at most one per concurrently running
// batch ever exists, i.e. one per thread.
class ScratchPool {
 public:
  std::unique_ptr<Scratch> Get() {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return std::make_unique<Scratch>();
    std::unique_ptr<Scratch> s = std::move(free_.back());
    free_.pop_back();
    return s;
  }
  void Put(std::unique_ptr<Scratch> s) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(s));
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<Scratch>> free_;
};

constexpr size_t kScoreBufferBytes = size_t{64} << 20;

// The users to evaluate: those with held-out items, sampled down to
// o.max_users, ascending.
std::vector<UserIndex> PickUsers(const Split& split, const EvalOptions& o) {
  std::vector<UserIndex> users;
  for (UserIndex u = 0; u < split.test.size(); ++u) {
    if (!split.test[u].empty()) users.push_back(u);
  }
  if (o.max_users == 0 || users.size() <= o.max_users) return users;
  std::vector<std::pair<uint64_t, UserIndex>> keyed;
  keyed.reserve(users.size());
  for (UserIndex u : users) keyed.emplace_back(SeedFor(o.sample_seed, u), u);
  std::nth_element(keyed.begin(), keyed.begin() + o.max_users, keyed.end());
  users.clear();
  for (size_t i = 0; i < o.max_users; ++i) users.push_back(keyed[i].second);
  std::sort(users.begin(), users.end());
  return users;
}

}  // namespace

StatusOr<EvalReport> Evaluate(const models::Model& model, const Split& split,
                              const EvalOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  const models::Dataset& train = split.train;
  const models::CsrMatrix& matrix = train.matrix;
  std::vector<size_t> ks = o.ks;
  std::sort(ks.begin(), ks.end());
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
  if (ks.empty() || ks.front() == 0) {
    return Status::InvalidArgument("evaluate: expected one or more cut-offs k >= 1");
  }
  if (o.threads < 1) {
    return Status::InvalidArgument("evaluate: expected threads >= 1, got " +
                                   std::to_string(o.threads));
  }
  const size_t num_items = train.items.size();
  if (model.num_items() != num_items || matrix.cols != num_items) {
    return Status::InvalidArgument(
        "evaluate: the model scores " + std::to_string(model.num_items()) +
        " items but the split's training data has " + std::to_string(num_items) +
        "; expected a model trained on split.train");
  }
  if (split.test.size() != train.users.size() || matrix.rows != train.users.size()) {
    return Status::InvalidArgument(
        "evaluate: expected split.test and split.train.matrix to have "
        "one row per training user (" +
        std::to_string(train.users.size()) + ")");
  }

  const std::vector<UserIndex> users = PickUsers(split, o);
  const std::vector<double> self_info = ItemSelfInformation(matrix);
  const size_t kmax = ks.back();
  const size_t budget =
      std::max<size_t>(1, kScoreBufferBytes / sizeof(float) / std::max<size_t>(num_items, 1));
  const size_t batch = std::clamp<size_t>(o.batch_size, 1, budget);
  const size_t num_batches = (users.size() + batch - 1) / batch;

  std::vector<std::vector<MetricSums>> batch_sums(num_batches);
  CoverageTracker coverage(num_items);
  ScratchPool pool;
  models::ParallelFor(o.threads, users.size(), batch, [&](size_t begin, size_t end) {
    std::unique_ptr<Scratch> s = pool.Get();
    const size_t n = end - begin;
    s->scores.resize(n * num_items);
    s->queries.clear();
    for (size_t q = begin; q < end; ++q) {
      const UserIndex u = users[q];
      s->queries.push_back({u, matrix.RowIndices(u), matrix.RowValues(u), true});
    }
    model.ScoreUsers(s->queries, s->scores);

    std::vector<MetricSums> sums(ks.size());
    for (size_t i = 0; i < ks.size(); ++i) sums[i].k = ks[i];
    for (size_t q = 0; q < n; ++q) {
      const UserIndex u = users[begin + q];
      models::TopKOptions top;
      top.k = kmax;
      if (o.exclude_seen) top.exclude = matrix.RowIndices(u);
      const std::vector<models::ScoredItem> best =
          models::TopK(std::span<const float>(s->scores).subspan(q * num_items, num_items), top);
      s->ranked.clear();
      for (const models::ScoredItem& b : best) s->ranked.push_back(b.item);
      for (MetricSums& m : sums) m.AddUser(s->ranked, split.test[u], self_info);
      coverage.Add(s->ranked);
    }
    batch_sums[begin / batch] = std::move(sums);
    pool.Put(std::move(s));
  });

  EvalReport report;
  report.users = users.size();
  for (UserIndex u : users) report.test_pairs += split.test[u].size();
  for (size_t i = 0; i < ks.size(); ++i) {
    MetricSums total;
    total.k = ks[i];
    for (const std::vector<MetricSums>& b : batch_sums) total.Merge(b[i]);
    report.at_k.push_back(Means(total, coverage.Coverage(ks[i])));
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace recmart::eval
