#include "recmart/models/content/content.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace recmart::models {

void ContentOptions::Visit(ParamReader& r) {
  r.Get("category_weight", category_weight, 0.0, 100.0, "weight of the category path tokens");
  r.Get("brand_weight", brand_weight, 0.0, 100.0, "weight of the brand token");
  r.Get("price_weight", price_weight, 0.0, 100.0, "weight of the price bucket token");
  r.Get("title_weight", title_weight, 0.0, 100.0, "weight of the title words");
  r.Get("price_bucket_ratio", price_bucket_ratio, 1.01, 100.0,
        "ratio between a price bucket's bounds (log-scale buckets)");
  r.Get("min_df", min_df, 1, 1000000, "tokens on fewer items are dropped");
}

namespace {

// Words too common in titles to say anything ("lightly": short and English).
constexpr std::string_view kStopWords[] = {"an",  "and",  "are", "as",   "at", "be",  "by",
                                           "for", "from", "in",  "into", "is", "it",  "its",
                                           "of",  "on",   "or",  "the",  "to", "with"};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  // Trim ASCII spaces.
  size_t b = out.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = out.find_last_not_of(" \t\r\n");
  return out.substr(b, e - b + 1);
}

bool IsWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

// Which field a token came from, by its prefix.
enum class Field { kCategory, kBrand, kPrice, kTitle };

Field FieldOf(std::string_view token) {
  switch (token[0]) {
    case 'c':
      return Field::kCategory;
    case 'b':
      return Field::kBrand;
    case 'p':
      return Field::kPrice;
    default:
      return Field::kTitle;
  }
}

double FieldWeight(const ContentOptions& o, Field f) {
  switch (f) {
    case Field::kCategory:
      return o.category_weight;
    case Field::kBrand:
      return o.brand_weight;
    case Field::kPrice:
      return o.price_weight;
    case Field::kTitle:
      return o.title_weight;
  }
  return 0.0;
}

}  // namespace

std::vector<std::string> ItemContentIndex::Tokens(const ItemAttributes& a, ItemIndex i,
                                                  const ContentOptions& o) {
  std::vector<std::string> out;
  if (i >= a.size()) return out;
  std::string path;
  const std::string* levels[] = {&a.category_l1[i], &a.category_l2[i], &a.category_l3[i]};
  for (int level = 0; level < 3; ++level) {
    std::string name = Lower(*levels[level]);
    if (name.empty()) break;  // a deeper level without its parent is not a path
    path += (level ? ">" : "") + name;
    out.push_back("c" + std::to_string(level + 1) + ":" + path);
  }
  std::string brand = Lower(a.brand[i]);
  if (!brand.empty()) out.push_back("b:" + brand);
  const double price = a.price[i];
  if (std::isfinite(price) && price > 0.0) {
    auto bucket = static_cast<long>(std::floor(std::log(price) / std::log(o.price_bucket_ratio)));
    out.push_back("p:" + std::to_string(bucket));
  }
  std::string title = Lower(a.title[i]);
  for (size_t p = 0; p < title.size();) {
    while (p < title.size() && !IsWordByte(static_cast<unsigned char>(title[p]))) ++p;
    size_t e = p;
    while (e < title.size() && IsWordByte(static_cast<unsigned char>(title[e]))) ++e;
    std::string_view word(title.data() + p, e - p);
    bool stop =
        std::find(std::begin(kStopWords), std::end(kStopWords), word) != std::end(kStopWords);
    if (word.size() >= 2 && !stop) out.push_back("w:" + std::string(word));
    p = e;
  }
  return out;
}

ItemContentIndex ItemContentIndex::Build(const ItemAttributes& a, const ContentOptions& o) {
  const auto n = static_cast<uint32_t>(a.size());
  // Pass 1: token ids in first-use order, per-item (token, count), df.
  std::unordered_map<std::string, uint32_t> ids;
  std::vector<std::string> names;
  std::vector<uint32_t> df;
  std::vector<std::vector<std::pair<uint32_t, uint32_t>>> items(n);
  uint32_t with_tokens = 0;
  for (ItemIndex i = 0; i < n; ++i) {
    std::vector<std::string> tokens = Tokens(a, i, o);
    if (tokens.empty()) continue;
    ++with_tokens;
    auto& row = items[i];
    for (std::string& t : tokens) {
      auto [it, added] = ids.emplace(t, static_cast<uint32_t>(names.size()));
      if (added) {
        names.push_back(std::move(t));
        df.push_back(0);
      }
      row.emplace_back(it->second, 1);
    }
    std::sort(row.begin(), row.end());
    // Merge repeats into counts; each distinct token counts once towards df.
    size_t out = 0;
    for (size_t k = 0; k < row.size(); ++k) {
      if (out > 0 && row[out - 1].first == row[k].first) {
        ++row[out - 1].second;
      } else {
        row[out++] = row[k];
        ++df[row[k].first];
      }
    }
    row.resize(out);
  }

  // Pass 2: keep tokens with df >= min_df (renumbered in the same order),
  // weigh, normalise.
  std::vector<uint32_t> renumber(names.size(), kUnknownIndex);
  std::vector<double> token_weight;
  for (uint32_t t = 0; t < names.size(); ++t) {
    if (df[t] < static_cast<uint32_t>(o.min_df)) continue;
    renumber[t] = static_cast<uint32_t>(token_weight.size());
    double idf = std::log((1.0 + with_tokens) / (1.0 + df[t])) + 1.0;
    token_weight.push_back(FieldWeight(o, FieldOf(names[t])) * idf);
  }
  std::vector<int64_t> indptr(size_t{n} + 1, 0);
  std::vector<uint32_t> indices;
  std::vector<float> values;
  for (ItemIndex i = 0; i < n; ++i) {
    std::vector<std::pair<uint32_t, double>> vec;
    double norm = 0.0;
    for (auto [t, count] : items[i]) {
      const uint32_t id = renumber[t];
      if (id == kUnknownIndex) continue;
      double w = token_weight[id] * (1.0 + std::log(static_cast<double>(count)));
      if (w <= 0.0) continue;
      vec.emplace_back(id, w);
      norm += w * w;
    }
    // Renumbering keeps the order, so ids stay ascending.
    norm = std::sqrt(norm);
    for (auto [id, w] : vec) {
      indices.push_back(id);
      values.push_back(static_cast<float>(w / norm));
    }
    indptr[i + 1] = static_cast<int64_t>(indices.size());
  }
  ItemContentIndex index;
  index.features_.rows = n;
  index.features_.cols = static_cast<uint32_t>(token_weight.size());
  index.features_.indptr = Array<int64_t>(std::move(indptr));
  index.features_.indices = Array<uint32_t>(std::move(indices));
  index.features_.values = Array<float>(std::move(values));
  index.BuildPostings();
  return index;
}

void ItemContentIndex::BuildPostings() { postings_ = features_.Transposed(); }

void ItemContentIndex::Related(ItemIndex item, std::span<float> out) const {
  std::fill(out.begin(), out.end(), 0.0f);
  if (!HasFeatures(item)) return;
  auto tokens = features_.RowIndices(item);
  auto weights = features_.RowValues(item);
  for (size_t k = 0; k < tokens.size(); ++k) {
    auto idx = postings_.RowIndices(tokens[k]);
    auto val = postings_.RowValues(tokens[k]);
    const float a = weights[k];
    for (size_t x = 0; x < idx.size(); ++x) out[idx[x]] += a * val[x];
  }
}

void ItemContentIndex::FromHistory(std::span<const ItemIndex> items, std::span<const float> weights,
                                   std::span<float> out) const {
  std::fill(out.begin(), out.end(), 0.0f);
  // The profile, merged by token: (token, weight) sorted, then summed.
  std::vector<std::pair<uint32_t, double>> profile;
  for (size_t k = 0; k < items.size(); ++k) {
    if (!HasFeatures(items[k])) continue;
    const double w = k < weights.size() ? weights[k] : 1.0;
    auto idx = features_.RowIndices(items[k]);
    auto val = features_.RowValues(items[k]);
    for (size_t x = 0; x < idx.size(); ++x) profile.emplace_back(idx[x], w * val[x]);
  }
  std::stable_sort(profile.begin(), profile.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  size_t used = 0;
  for (size_t k = 0; k < profile.size(); ++k) {
    if (used > 0 && profile[used - 1].first == profile[k].first) {
      profile[used - 1].second += profile[k].second;
    } else {
      profile[used++] = profile[k];
    }
  }
  profile.resize(used);
  double norm = 0.0;
  for (const auto& [t, w] : profile) norm += w * w;
  if (!(norm > 0.0)) return;
  norm = std::sqrt(norm);
  for (const auto& [t, w] : profile) {
    const auto a = static_cast<float>(w / norm);
    auto idx = postings_.RowIndices(t);
    auto val = postings_.RowValues(t);
    for (size_t x = 0; x < idx.size(); ++x) out[idx[x]] += a * val[x];
  }
}

void ItemContentIndex::Save(ArrayWriter& out) const { out.Add("features", features_); }

Status ItemContentIndex::Load(const ArrayReader& in) {
  ASSIGN_OR_RETURN(CsrMatrix f, in.Csr("features"));
  for (uint32_t t : f.indices) {
    if (t >= f.cols) return Status::DataLoss("content index: token id out of range");
  }
  features_ = std::move(f);
  BuildPostings();
  return Status::OK();
}

namespace {

class ContentModel : public Model {
 public:
  ContentModel(ContentOptions o, nlohmann::json params) : o_(o), params_(std::move(params)) {}

  std::string_view recipe() const override { return "content"; }
  nlohmann::json params() const override { return params_; }
  uint32_t num_items() const override { return index_.num_items(); }

  Status Fit(const Dataset& data, const TrainContext& ctx) override {
    ctx.Report("content index", 0.0);
    if (data.attributes.size() == data.items.size()) {
      index_ = ItemContentIndex::Build(data.attributes, o_);
    } else {
      ItemAttributes a = data.attributes;
      a.Resize(data.items.size());
      index_ = ItemContentIndex::Build(a, o_);
    }
    ctx.Report("content index", 1.0);
    return Status::OK();
  }

  void ScoreUser(const UserQuery& q, std::span<float> out) const override {
    index_.FromHistory(q.items, q.weights, out);
  }

  bool ScoreRelated(ItemIndex item, std::span<float> out) const override {
    if (!index_.HasFeatures(item)) return false;
    index_.Related(item, out);
    return true;
  }

  Status Save(ArrayWriter& out) const override {
    index_.Save(out);
    return Status::OK();
  }
  Status Load(const ArrayReader& in) override { return index_.Load(in); }

 private:
  ContentOptions o_;
  nlohmann::json params_;
  ItemContentIndex index_;
};

}  // namespace

StatusOr<std::unique_ptr<Model>> NewContentModel(const nlohmann::json& params) {
  ContentOptions o;
  nlohmann::json effective;
  RETURN_IF_ERROR(ReadParams(params, "content", o, &effective));
  return std::unique_ptr<Model>(std::make_unique<ContentModel>(o, effective));
}

}  // namespace recmart::models
