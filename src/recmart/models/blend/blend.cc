#include "recmart/models/blend/blend.h"

#include <algorithm>
#include <cmath>

namespace recmart::models {

using nlohmann::json;

void BlendOptions::Visit(ParamReader& r) {
  r.GetJson("components", components,
            "[{\"recipe\": NAME, \"params\": {...}, \"weight\": W}, ...]: the recipes blended");
  r.Get("normalize", normalize, {"zscore", "max", "none"},
        "per-user normalisation of each component's scores before weighting");
}

namespace {

void Normalize(std::span<float> s, const std::string& how) {
  if (how == "none" || s.empty()) return;
  if (how == "max") {
    float m = 0;
    for (float x : s) m = std::max(m, std::fabs(x));
    if (m > 0) {
      for (float& x : s) x /= m;
    }
    return;
  }
  double sum = 0, sq = 0;
  for (float x : s) sum += x;
  const double mean = sum / static_cast<double>(s.size());
  for (float x : s) sq += (x - mean) * (x - mean);
  const double sd = std::sqrt(sq / static_cast<double>(s.size()));
  const float inv = sd > 0 ? static_cast<float>(1.0 / sd) : 0.0f;
  const float m = static_cast<float>(mean);
  for (float& x : s) x = (x - m) * inv;
}

class BlendModel : public Model {
 public:
  BlendModel(BlendOptions o, json params, std::vector<std::unique_ptr<Model>> parts,
             std::vector<float> weights)
      : o_(std::move(o)),
        params_(std::move(params)),
        parts_(std::move(parts)),
        weights_(std::move(weights)) {}

  std::string_view recipe() const override { return "blend"; }
  json params() const override { return params_; }
  uint32_t num_items() const override { return parts_.front()->num_items(); }

  Status Fit(const Dataset& data, const TrainContext& ctx) override {
    for (size_t c = 0; c < parts_.size(); ++c) {
      TrainContext sub = ctx;
      const double lo = static_cast<double>(c) / parts_.size();
      const double span = 1.0 / parts_.size();
      sub.progress = [&ctx, lo, span](std::string_view stage, double f) {
        ctx.Report(stage, lo + span * f);
      };
      Status s = parts_[c]->Fit(data, sub);
      if (!s.ok()) return s.WithContext("blend component " + std::to_string(c));
    }
    return Status::OK();
  }

  void ScoreUser(const UserQuery& q, std::span<float> out) const override {
    ScoreUsers(std::span<const UserQuery>(&q, 1), out);
  }

  void ScoreUsers(std::span<const UserQuery> queries, std::span<float> out) const override {
    const size_t n = num_items();
    std::fill(out.begin(), out.end(), 0.0f);
    std::vector<float> part(queries.size() * n);
    for (size_t c = 0; c < parts_.size(); ++c) {
      parts_[c]->ScoreUsers(queries, part);
      for (size_t q = 0; q < queries.size(); ++q) {
        std::span<float> row(part.data() + q * n, n);
        Normalize(row, o_.normalize);
        float* dst = out.data() + q * n;
        for (size_t i = 0; i < n; ++i) dst[i] += weights_[c] * row[i];
      }
    }
  }

  bool ScoreRelated(ItemIndex item, std::span<float> out) const override {
    std::fill(out.begin(), out.end(), 0.0f);
    std::vector<float> part(out.size());
    bool any = false;
    for (size_t c = 0; c < parts_.size(); ++c) {
      if (!parts_[c]->ScoreRelated(item, part)) continue;
      any = true;
      Normalize(part, o_.normalize);
      for (size_t i = 0; i < out.size(); ++i) out[i] += weights_[c] * part[i];
    }
    return any;
  }

  Status Save(ArrayWriter& out) const override {
    for (size_t c = 0; c < parts_.size(); ++c) {
      ArrayWriter w = out.Scoped("c" + std::to_string(c) + "/");
      RETURN_IF_ERROR(parts_[c]->Save(w));
    }
    return Status::OK();
  }

  Status Load(const ArrayReader& in) override {
    for (size_t c = 0; c < parts_.size(); ++c) {
      RETURN_IF_ERROR(parts_[c]->Load(in.Scoped("c" + std::to_string(c) + "/")));
      if (parts_[c]->num_items() != parts_.front()->num_items()) {
        return Status::DataLoss("blend components disagree on the number of items");
      }
    }
    return Status::OK();
  }

 private:
  BlendOptions o_;
  json params_;
  std::vector<std::unique_ptr<Model>> parts_;
  std::vector<float> weights_;
};

}  // namespace

StatusOr<std::unique_ptr<Model>> NewBlendModel(const json& params,
                                               const ComponentFactory& factory) {
  BlendOptions o;
  json effective;
  RETURN_IF_ERROR(ReadParams(params, "blend", o, &effective));
  if (!o.components.is_array() || o.components.empty()) {
    return Status::InvalidArgument(
        "blend: components: expected a non-empty list of {\"recipe\", \"params\", \"weight\"}");
  }
  std::vector<std::unique_ptr<Model>> parts;
  std::vector<float> weights;
  json resolved = json::array();
  for (size_t c = 0; c < o.components.size(); ++c) {
    const json& comp = o.components[c];
    const std::string where = "blend: components[" + std::to_string(c) + "]";
    if (!comp.is_object() || !comp.contains("recipe") || !comp["recipe"].is_string()) {
      return Status::InvalidArgument(where + ": expected {\"recipe\": NAME, ...}");
    }
    for (auto it = comp.begin(); it != comp.end(); ++it) {
      if (it.key() != "recipe" && it.key() != "params" && it.key() != "weight") {
        return Status::InvalidArgument(where + ": " + it.key() +
                                       ": unknown key (expected recipe, params, weight)");
      }
    }
    const std::string name = comp["recipe"];
    if (name == "blend") return Status::InvalidArgument(where + ": a blend cannot contain a blend");
    double w = 1.0;
    if (comp.contains("weight")) {
      if (!comp["weight"].is_number()) {
        return Status::InvalidArgument(where + ": weight: expected a number");
      }
      w = comp["weight"].get<double>();
    }
    json p = comp.value("params", json::object());
    ASSIGN_OR_RETURN(std::unique_ptr<Model> m, factory(name, p));
    resolved.push_back(
        {{"recipe", std::string(m->recipe())}, {"params", m->params()}, {"weight", w}});
    parts.push_back(std::move(m));
    weights.push_back(static_cast<float>(w));
  }
  effective["components"] = resolved;
  return std::unique_ptr<Model>(
      std::make_unique<BlendModel>(o, effective, std::move(parts), std::move(weights)));
}

}  // namespace recmart::models
