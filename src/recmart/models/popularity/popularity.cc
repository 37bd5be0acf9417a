#include "recmart/models/popularity/popularity.h"

#include <algorithm>
#include <cmath>

#include "recmart/models/params.h"

namespace recmart::models {

void PopularityOptions::Visit(ParamReader& r) {
  r.Get("signal", signal, {"users", "score", "purchases"},
        "what makes an item popular: distinct users, summed implicit score, or purchases");
  r.Get("half_life_days", half_life_days, 0.0, 36500.0,
        "time decay of older interactions (0 = none)");
}

void TrendingOptions::Visit(ParamReader& r) {
  r.Get("window_days", window_days, 0.01, 3650.0, "length of the recent window, in days");
  r.Get("smoothing", smoothing, 0.0, 1e6, "added to both windows' counts");
}

namespace {

constexpr double kDay = 86400.0;

double Decay(double half_life_days, int64_t now, int64_t ts) {
  if (half_life_days <= 0.0) return 1.0;
  double age_days = std::max(0.0, static_cast<double>(now - ts) / kDay);
  return std::exp2(-age_days / half_life_days);
}

// A model that gives every user the same item scores.
class ItemScoresModel : public Model {
 public:
  ItemScoresModel(std::string_view recipe, nlohmann::json params)
      : recipe_(recipe), params_(std::move(params)) {}

  std::string_view recipe() const override { return recipe_; }
  nlohmann::json params() const override { return params_; }
  uint32_t num_items() const override { return static_cast<uint32_t>(scores_.size()); }

  void ScoreUser(const UserQuery&, std::span<float> out) const override {
    std::copy(scores_.begin(), scores_.end(), out.begin());
  }
  Status Save(ArrayWriter& out) const override {
    out.Add("scores", scores_.span());
    return Status::OK();
  }
  Status Load(const ArrayReader& in) override {
    ASSIGN_OR_RETURN(scores_, in.Floats("scores"));
    return Status::OK();
  }

 protected:
  void SetScores(std::vector<float> s) { scores_ = Array<float>(std::move(s)); }

 private:
  std::string recipe_;
  nlohmann::json params_;
  Array<float> scores_;
};

class PopularityModel : public ItemScoresModel {
 public:
  PopularityModel(PopularityOptions o, nlohmann::json params)
      : ItemScoresModel("popularity", std::move(params)), o_(std::move(o)) {}

  Status Fit(const Dataset& data, const TrainContext&) override {
    SetScores(Compute(data, o_));
    return Status::OK();
  }

  static std::vector<float> Compute(const Dataset& data, const PopularityOptions& o) {
    std::vector<double> acc(data.items.size(), 0.0);
    bool purchases = o.signal == "purchases";
    bool any_purchase = false;
    if (purchases) {
      for (const Event& e : data.events) {
        if (e.kind != EventKind::kPurchase) continue;
        acc[e.item] += Decay(o.half_life_days, data.now, e.ts);
        any_purchase = true;
      }
    }
    if (!any_purchase) {
      const CsrMatrix& m = data.matrix;
      for (uint32_t u = 0; u < m.rows; ++u) {
        for (int64_t k = m.indptr[u]; k < m.indptr[u + 1]; ++k) {
          double w = o.signal == "users" ? 1.0 : m.values[k];
          acc[m.indices[k]] += w * Decay(o.half_life_days, data.now, data.last_ts[k]);
        }
      }
    }
    return std::vector<float>(acc.begin(), acc.end());
  }

 private:
  PopularityOptions o_;
};

class TrendingModel : public ItemScoresModel {
 public:
  TrendingModel(TrendingOptions o, nlohmann::json params)
      : ItemScoresModel("trending", std::move(params)), o_(o) {}

  // score = recent * ln((recent + s) / (previous + s)): volume times growth.
  // Items without recent activity score 0; declining items go negative.
  Status Fit(const Dataset& data, const TrainContext&) override {
    const double window = o_.window_days * kDay;
    std::vector<double> recent(data.items.size(), 0.0), previous(data.items.size(), 0.0);
    auto add = [&](ItemIndex item, int64_t ts) {
      double age = static_cast<double>(data.now - ts);
      if (age < window) {
        recent[item] += 1.0;
      } else if (age < 2 * window) {
        previous[item] += 1.0;
      }
    };
    if (!data.events.empty()) {
      for (const Event& e : data.events) add(e.item, e.ts);
    } else {
      for (size_t k = 0; k < data.matrix.nnz(); ++k) add(data.matrix.indices[k], data.last_ts[k]);
    }
    std::vector<float> scores(data.items.size());
    const double s = o_.smoothing;
    for (size_t i = 0; i < scores.size(); ++i) {
      double r = recent[i], p = previous[i];
      double growth =
          (s == 0.0 && (r == 0.0 || p == 0.0)) ? (r > 0 ? 1.0 : 0.0) : std::log((r + s) / (p + s));
      scores[i] = static_cast<float>(r > 0 ? r * growth : -p);
    }
    SetScores(std::move(scores));
    return Status::OK();
  }

 private:
  TrendingOptions o_;
};

template <typename Options, typename M>
StatusOr<std::unique_ptr<Model>> Make(const nlohmann::json& params, const char* name) {
  Options o;
  nlohmann::json effective;
  RETURN_IF_ERROR(ReadParams(params, name, o, &effective));
  return std::unique_ptr<Model>(std::make_unique<M>(o, effective));
}

}  // namespace

StatusOr<std::unique_ptr<Model>> NewPopularityModel(const nlohmann::json& params) {
  return Make<PopularityOptions, PopularityModel>(params, "popularity");
}

StatusOr<std::unique_ptr<Model>> NewTrendingModel(const nlohmann::json& params) {
  return Make<TrendingOptions, TrendingModel>(params, "trending");
}

std::vector<float> PopularityScores(const Dataset& data) {
  return PopularityModel::Compute(data, PopularityOptions{});
}

}  // namespace recmart::models
