// Item similarity from metadata alone: what relates items on day one, before
// anyone has used them.
//
// ItemContentIndex turns ItemAttributes into one sparse vector per item over
// tokens:
//   c1:<l1>  c2:<l1>><l2>  c3:<l1>><l2>><l3>   the category path, one token per
//                                              level (a deeper shared level
//                                              means more tokens in common)
//   b:<brand>                                  the brand
//   p:<k>   k = floor(log(price) / log(price_bucket_ratio)): log-scale price
//           buckets; at ratio 2, 9 and 15 share bucket 3 (8-16), 17 is in 4
//   w:<word>  each title word: lower-cased ASCII letters and digits (bytes of
//           UTF-8 sequences kept as letters), at least 2 characters, a few
//           English stop words dropped
// All text is lower-cased. A token's weight is field_weight x tf x idf with
// tf = 1 + ln(count in the item), idf = ln((1 + N) / (1 + df)) + 1 (N items
// with any token, df items with this one), and every vector is L2-normalised,
// so the dot product of two items is their cosine in [0, 1]. Tokens on fewer
// than min_df items are dropped (they cannot relate two items, only dilute).
// An item without metadata (or with only dropped tokens) has no features and
// scores 0 everywhere.
//
// Related items are found through an inverted index (token -> items), so a
// query costs the summed posting lengths of its tokens, not items x tokens.
// The saved form is the items x tokens matrix only (indptr, token ids,
// weights: ~12 bytes per token of an item); the inverted index is rebuilt at
// Load in O(tokens). Token strings are not kept.
//
// The "content" recipe is a Model over this index: a user's scores are
// FromHistory of their history, related items are Related. Its parameters are
// ContentOptions.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/models/array_file.h"
#include "recmart/models/dataset.h"
#include "recmart/models/model.h"
#include "recmart/models/params.h"

namespace recmart::models {

struct ContentOptions {
  // Field weights, applied to TF-IDF before normalisation. Category is what
  // shoppers browse by; price only separates within it, hence lighter.
  double category_weight = 1.0;
  double brand_weight = 1.0;
  double price_weight = 0.5;
  double title_weight = 1.0;
  // Ratio between a price bucket's bounds (2: octaves 8-16, 16-32, ...).
  double price_bucket_ratio = 2.0;
  // Tokens on fewer items are dropped.
  int min_df = 2;

  void Visit(ParamReader& r);
};

class ItemContentIndex {
 public:
  // An index over attributes.size() items. Deterministic: token ids are
  // assigned in the order items (then their fields) first use them.
  static ItemContentIndex Build(const ItemAttributes& attributes, const ContentOptions& options);

  // The raw tokens of item i, in field order and with repeats (what Build
  // weighs), e.g. {"c1:shoes", "c2:shoes>running", "b:acme", "p:6", "w:trail"}.
  static std::vector<std::string> Tokens(const ItemAttributes& attributes, ItemIndex i,
                                         const ContentOptions& options);

  uint32_t num_items() const { return features_.rows; }
  uint32_t num_tokens() const { return features_.cols; }
  // True when item i has at least one token.
  bool HasFeatures(ItemIndex i) const { return i < features_.rows && features_.RowSize(i) > 0; }
  // items x tokens: row i is item i's unit-length vector (token ids ascending).
  const CsrMatrix& features() const { return features_; }

  // Writes the cosine of `item` to every item into out (size num_items());
  // item itself gets 1 when it has features. All 0 for an item without
  // features or outside the index.
  void Related(ItemIndex item, std::span<float> out) const;

  // Writes into out (size num_items()) the cosine of every item to the
  // profile sum_k weights[k] x vector(items[k]). Items outside the index or
  // without features add nothing; all 0 when nothing is left. `weights` may
  // be empty (every item weighs 1). REQUIRES: weights empty or the size of
  // items.
  void FromHistory(std::span<const ItemIndex> items, std::span<const float> weights,
                   std::span<float> out) const;

  // Adds the index's arrays to `out` ("features"; scope it to nest).
  void Save(ArrayWriter& out) const;
  // Reads what Save wrote (memory-mapped) and rebuilds the inverted index.
  // DataLoss when the arrays are missing or inconsistent.
  Status Load(const ArrayReader& in);

 private:
  void BuildPostings();

  CsrMatrix features_;  // items x tokens
  CsrMatrix postings_;  // tokens x items (the transpose), owned
};

StatusOr<std::unique_ptr<Model>> NewContentModel(const nlohmann::json& params);

}  // namespace recmart::models
