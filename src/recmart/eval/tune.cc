#include "recmart/eval/tune.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>
#include <set>
#include <string>

#include "recmart/eval/evaluate.h"
#include "recmart/eval/metrics.h"
#include "recmart/eval/random.h"
#include "recmart/eval/split.h"

namespace recmart::eval {

using nlohmann::json;

json TuneResult::ToJson() const {
  json t = json::array();
  for (const Trial& trial : trials) {
    t.push_back({{"params", trial.params},
                 {"score", trial.score},
                 {"seconds", trial.seconds},
                 {"rung", trial.rung},
                 {"users", trial.users}});
  }
  return {
      {"metric", metric}, {"best_score", best_score}, {"best_params", best_params}, {"trials", t}};
}

namespace {

// One key of the search space.
struct Dimension {
  std::string key;
  std::vector<json> choices;  // non-empty for a list of choices
  double min = 0, max = 0;    // a range otherwise
  bool log = false;
  bool integer = false;
};

constexpr std::string_view kDimensionForms =
    "a non-empty list of choices, or an object {\"min\": number, \"max\": number, \"log\": "
    "boolean, \"int\": boolean} with min <= max";

Status BadDimension(const std::string& key, std::string_view expected, const json& got) {
  return Status::InvalidArgument("tune space: \"" + key + "\": expected " + std::string(expected) +
                                 ", got " + got.dump());
}

StatusOr<std::vector<Dimension>> ParseSpace(const json& space) {
  std::vector<Dimension> dims;
  if (space.is_null()) return dims;
  if (!space.is_object()) {
    return Status::InvalidArgument(
        "tune space: expected a JSON object mapping parameter names to choices or ranges, got " +
        space.dump());
  }
  for (const auto& [key, v] : space.items()) {  // keys in sorted order: draws are reproducible
    Dimension d;
    d.key = key;
    if (v.is_array()) {
      if (v.empty()) return BadDimension(key, kDimensionForms, v);
      d.choices.assign(v.begin(), v.end());
      dims.push_back(std::move(d));
      continue;
    }
    if (!v.is_object()) return BadDimension(key, kDimensionForms, v);
    for (const auto& [field, value] : v.items()) {
      if (field == "min" || field == "max") {
        if (!value.is_number()) return BadDimension(key + "." + field, "a number", value);
      } else if (field == "log" || field == "int") {
        if (!value.is_boolean()) return BadDimension(key + "." + field, "true or false", value);
      } else {
        return BadDimension(key, "only the fields min, max, log and int in a range", v);
      }
    }
    if (!v.contains("min") || !v.contains("max")) return BadDimension(key, kDimensionForms, v);
    d.min = v["min"].get<double>();
    d.max = v["max"].get<double>();
    d.log = v.value("log", false);
    d.integer = v.value("int", false);
    if (!std::isfinite(d.min) || !std::isfinite(d.max) || d.min > d.max) {
      return BadDimension(key, kDimensionForms, v);
    }
    if (d.log && d.min <= 0) return BadDimension(key, "min > 0 in a \"log\" range", v);
    if (d.integer && std::ceil(d.min) > std::floor(d.max)) {
      return BadDimension(key, "an integer between min and max in an \"int\" range", v);
    }
    dims.push_back(std::move(d));
  }
  return dims;
}

json Draw(const Dimension& d, std::mt19937_64& rng) {
  if (!d.choices.empty()) return d.choices[UniformBelow(rng, d.choices.size())];
  if (d.integer && !d.log) {
    const int64_t lo = static_cast<int64_t>(std::ceil(d.min));
    const int64_t hi = static_cast<int64_t>(std::floor(d.max));
    return lo + static_cast<int64_t>(UniformBelow(rng, static_cast<uint64_t>(hi - lo) + 1));
  }
  const double u = UniformUnit(rng);
  const double x = d.log ? std::exp(std::log(d.min) + u * (std::log(d.max) - std::log(d.min)))
                         : d.min + u * (d.max - d.min);
  if (d.integer) {
    return std::clamp(static_cast<int64_t>(std::llround(x)), static_cast<int64_t>(std::ceil(d.min)),
                      static_cast<int64_t>(std::floor(d.max)));
  }
  return std::clamp(x, d.min, d.max);
}

// `count` distinct draws (fewer when the space has fewer distinct points than
// a bounded number of redraws can find).
std::vector<json> DrawCandidates(const std::vector<Dimension>& dims, int count, uint64_t seed) {
  constexpr int kRedraws = 100;
  std::mt19937_64 rng(SeedFor(seed, 0x74756e65 /* "tune" */));
  std::vector<json> out;
  std::set<std::string> seen;
  for (int c = 0; c < count; ++c) {
    bool fresh = false;
    for (int attempt = 0; attempt < kRedraws && !fresh; ++attempt) {
      json values = json::object();
      for (const Dimension& d : dims) values[d.key] = Draw(d, rng);
      if (seen.insert(values.dump()).second) {
        out.push_back(std::move(values));
        fresh = true;
      }
    }
    if (!fresh) break;
  }
  return out;
}

// A key that starts with "/" is a JSON pointer into the params.
bool IsPointer(const std::string& key) { return !key.empty() && key[0] == '/'; }

json Merge(const json& base, const json& values) {
  json params = base.is_null() ? json::object() : base;
  for (const auto& [key, v] : values.items()) {
    if (IsPointer(key)) {
      params[json::json_pointer(key)] = v;  // checked by CheckPointers
    } else {
      params[key] = v;
    }
  }
  return params;
}

// Every JSON-pointer key of the space must be well-formed and its parent
// must exist in base (a pointer into a recipe's defaults would otherwise
// build a partial object in their place).
Status CheckPointers(const std::vector<Dimension>& dims, const json& base) {
  const json params = base.is_null() ? json::object() : base;
  for (const Dimension& d : dims) {
    if (!IsPointer(d.key)) continue;
    try {
      const json::json_pointer pointer(d.key);
      const json::json_pointer parent = pointer.parent_pointer();
      if (!params.contains(parent) || !params.at(parent).is_structured()) {
        return Status::InvalidArgument(
            "tune space: \"" + d.key + "\": expected a pointer into the base params, whose \"" +
            parent.to_string() + "\" must be an object or array there; give it in \"params\"");
      }
      const json& container = params.at(parent);
      if (container.is_array()) {
        const std::string last = pointer.back();
        const bool index =
            !last.empty() && last.find_first_not_of("0123456789") == std::string::npos;
        if (!index || std::stoull(last) >= container.size()) {
          return Status::InvalidArgument("tune space: \"" + d.key + "\": expected an index below " +
                                         std::to_string(container.size()) + " into \"" +
                                         parent.to_string() + "\"");
        }
      }
    } catch (const json::exception& e) {
      return Status::InvalidArgument(
          "tune space: \"" + d.key +
          "\": expected a parameter name or a JSON pointer: " + e.what());
    }
  }
  return Status::OK();
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Shared state of one Tune call.
class Tuner {
 public:
  Tuner(const TuneOptions& o, const ModelFactory& make_model, MetricName metric, Split validation)
      : o_(o), make_model_(make_model), metric_(metric), validation_(std::move(validation)) {}

  const Split& validation() const { return validation_; }

  // A trained model for `values`.
  StatusOr<std::unique_ptr<models::Model>> Train(const json& values) const {
    if (o_.cancel && o_.cancel->load(std::memory_order_relaxed)) {
      return Status::Cancelled("tune: cancelled");
    }
    const std::string where = "tune: candidate " + values.dump();
    auto made = make_model_(Merge(o_.base, values));
    if (!made.ok()) return made.status().WithContext(where);
    std::unique_ptr<models::Model> model = std::move(made).value();
    if (!model) return Status::Internal(where + ": the factory returned no model");
    models::TrainContext ctx;
    ctx.threads = o_.threads;
    ctx.seed = o_.seed;
    ctx.cancel = o_.cancel;
    RETURN_IF_ERROR(model->Fit(validation_.train, ctx).WithContext(where));
    return model;
  }

  // Scores `model` on `max_users` validation users (0 = all) and records the trial.
  StatusOr<double> Score(const models::Model& model, const json& values, int rung, size_t max_users,
                         std::chrono::steady_clock::time_point start,
                         std::vector<Trial>& trials) const {
    EvalOptions eo;
    eo.ks = {metric_.k};
    eo.threads = o_.threads;
    eo.max_users = max_users;
    eo.sample_seed = o_.seed;
    auto report = Evaluate(model, validation_, eo);
    if (!report.ok()) return report.status().WithContext("tune: candidate " + values.dump());
    ASSIGN_OR_RETURN(double score, report->Value(metric_));
    Trial t{values, score, SecondsSince(start), rung, report->users};
    if (o_.on_trial) o_.on_trial(t);
    trials.push_back(std::move(t));
    return score;
  }

 private:
  const TuneOptions& o_;
  const ModelFactory& make_model_;
  MetricName metric_;
  Split validation_;
};

struct Candidate {
  size_t index;  // draw order: the tie-breaker
  json values;
  std::unique_ptr<models::Model> model;
  double score = 0;
};

// Best first; ties to the earlier draw.
bool Better(const Candidate& a, const Candidate& b) {
  return a.score != b.score ? a.score > b.score : a.index < b.index;
}

Status RandomSearch(const Tuner& tuner, const TuneOptions& o, const std::vector<json>& draws,
                    TuneResult& result) {
  bool have_best = false;
  for (const json& values : draws) {
    const auto start = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(std::unique_ptr<models::Model> model, tuner.Train(values));
    ASSIGN_OR_RETURN(double score,
                     tuner.Score(*model, values, 0, o.max_users, start, result.trials));
    if (!have_best || score > result.best_score) {
      have_best = true;
      result.best_score = score;
      result.best_params = values;
    }
  }
  return Status::OK();
}

Status Halving(const Tuner& tuner, const TuneOptions& o, const std::vector<json>& draws,
               TuneResult& result) {
  const size_t eta = static_cast<size_t>(o.eta);
  auto keep = [&](size_t n) { return (n + eta - 1) / eta; };
  int rungs = 1;
  for (size_t c = draws.size(); c > 1 && keep(c) > 1; c = keep(c)) ++rungs;
  const size_t all_users = tuner.validation().num_test_users();
  size_t users = o.max_users;
  if (users == 0) {
    // Halve all_users once per later rung (rounding up): the last rung sees all.
    users = std::max<size_t>(1, (all_users + (size_t{1} << (rungs - 1)) - 1) >> (rungs - 1));
  }

  std::vector<Candidate> alive;
  for (int rung = 0; rung < rungs; ++rung) {
    const size_t cap = users >= all_users ? 0 : users;
    const size_t survivors = rung + 1 < rungs ? keep(rung == 0 ? draws.size() : alive.size()) : 1;
    std::vector<Candidate> next;  // the best `survivors` so far, best first
    auto offer = [&](Candidate c) {
      auto at = std::upper_bound(next.begin(), next.end(), c, Better);
      next.insert(at, std::move(c));
      if (next.size() > survivors) next.pop_back();  // drops that model at once
    };
    if (rung == 0) {
      for (size_t i = 0; i < draws.size(); ++i) {
        const auto start = std::chrono::steady_clock::now();
        Candidate c{i, draws[i], nullptr, 0};
        ASSIGN_OR_RETURN(c.model, tuner.Train(c.values));
        ASSIGN_OR_RETURN(c.score, tuner.Score(*c.model, c.values, rung, cap, start, result.trials));
        offer(std::move(c));
      }
    } else {
      // Candidates in draw order, so trials are listed the same way each rung.
      std::sort(alive.begin(), alive.end(),
                [](const Candidate& a, const Candidate& b) { return a.index < b.index; });
      for (Candidate& c : alive) {
        if (o.cancel && o.cancel->load(std::memory_order_relaxed)) {
          return Status::Cancelled("tune: cancelled");
        }
        const auto start = std::chrono::steady_clock::now();
        ASSIGN_OR_RETURN(c.score, tuner.Score(*c.model, c.values, rung, cap, start, result.trials));
      }
      for (Candidate& c : alive) offer(std::move(c));
    }
    alive = std::move(next);
    users *= 2;
  }
  result.best_params = alive.front().values;
  result.best_score = alive.front().score;
  return Status::OK();
}

}  // namespace

SplitSpec MirrorSplit(const SplitSpec& evaluation, const models::Dataset& data) {
  SplitSpec mirror = evaluation;
  if (evaluation.kind == SplitSpec::Kind::kTime && evaluation.last_days <= 0) {
    constexpr int64_t kDay = 86400;
    const int64_t span = std::max<int64_t>(0, data.now - evaluation.cutoff);
    mirror.last_days = static_cast<int>(std::max<int64_t>(1, (span + kDay - 1) / kDay));
    mirror.cutoff = 0;
  }
  return mirror;
}

StatusOr<TuneResult> Tune(const models::Dataset& train, const TuneOptions& o,
                          const ModelFactory& make_model) {
  ASSIGN_OR_RETURN(std::vector<Dimension> dims, ParseSpace(o.space));
  if (!o.base.is_null() && !o.base.is_object()) {
    return Status::InvalidArgument("tune base params: expected a JSON object, got " +
                                   o.base.dump());
  }
  if (o.strategy != "random" && o.strategy != "halving") {
    return Status::InvalidArgument("tune strategy: expected random or halving, got \"" +
                                   o.strategy + "\"");
  }
  if (o.trials < 1) {
    return Status::InvalidArgument("tune trials: expected an integer >= 1, got " +
                                   std::to_string(o.trials));
  }
  if (o.strategy == "halving" && o.eta < 2) {
    return Status::InvalidArgument("tune eta: expected an integer >= 2, got " +
                                   std::to_string(o.eta));
  }
  if (o.threads < 1) {
    return Status::InvalidArgument("tune threads: expected an integer >= 1, got " +
                                   std::to_string(o.threads));
  }
  RETURN_IF_ERROR(CheckPointers(dims, o.base));
  ASSIGN_OR_RETURN(MetricName metric, ParseMetricName(o.metric));
  auto carved = MakeSplit(train, o.validation_split, o.seed);
  if (!carved.ok()) return carved.status().WithContext("tune validation split");
  if (carved->num_test_users() == 0) {
    return Status::InvalidArgument(
        "tune: expected training data with at least one user with 2 or more interactions to "
        "hold out for validation; there is none");
  }
  const Tuner tuner(o, make_model, metric, std::move(carved).value());

  const std::vector<json> draws = DrawCandidates(dims, o.trials, o.seed);
  TuneResult result;
  result.metric = o.metric;
  if (o.strategy == "random") {
    RETURN_IF_ERROR(RandomSearch(tuner, o, draws, result));
  } else {
    RETURN_IF_ERROR(Halving(tuner, o, draws, result));
  }
  result.best_params = Merge(o.base, result.best_params);
  return result;
}

}  // namespace recmart::eval
