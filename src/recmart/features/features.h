// The feature store (PRODUCT.md step 5): features of users, items and
// user–item pairs, computed with DuckDB SQL over the lake's curated tables
// (interactions, items) from events strictly before an as-of time.
//
// Vocabulary ([features.<group>].features in the project file):
//   user       recency_days (since the last event), frequency (distinct
//              orders/sessions with a purchase), monetary (sum of purchase
//              EVENT_VALUE), events, favourite_categories (the top_categories
//              CATEGORY_L1 by events, a list), average_price (mean PRICE of
//              the items the user interacted with)
//   item       popularity → popularity_<W>d (distinct users in the last W days,
//              per windows_days), conversion → views, add_to_carts, purchases,
//              view_to_cart, cart_to_purchase, view_to_purchase (NULL when
//              the denominator is 0), price_band ("<10", "10-50", ">=100" from
//              price_band_edges), age_days (since CREATION_TIMESTAMP, else the
//              first event; NULL when not yet created), events
//   user_item  events, views, add_to_carts, purchases, recency_days
// Every value is point-in-time: events strictly before the as-of time, and
// item metadata (PRICE, CATEGORY_L1, CREATION_TIMESTAMP) as it was then,
// from the lake's item_history (ItemsAsOfSql). An item's first known record
// stands for all earlier time: there is nothing older to use.
//
// Offline store: <lake>/features/<group>/snapshot_date=YYYY-MM-DD/part.parquet
// (Hive layout; replaced atomically by a temp file and a rename).
// Online store: the latest snapshot in LMDB (online_store.h), read with the
// group's TTL counted from when the value was written.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/config/project.h"
#include "recmart/features/online_store.h"

namespace recmart::features {

inline constexpr config::FeatureGroup kGroups[] = {
    config::FeatureGroup::kUser, config::FeatureGroup::kItem, config::FeatureGroup::kUserItem};

// SQL computing `group`'s features for every row of `spine`, a relation with
// columns _row (BIGINT, unique), _as_of (BIGINT epoch seconds) and USER_ID
// and/or ITEM_ID as the group needs. Uses only events with TIMESTAMP < _as_of.
// Output: _row, the key column(s), then the features in configuration order.
// Expects views named interactions, items and item_history
// (lake::Lake::CreateViews).
std::string FeatureSql(config::FeatureGroup group, const config::FeatureGroupConfig& c,
                       std::string_view spine);

// A CTE "ia AS (…)" with, for each (ITEM_ID, _as_of) row of the relation
// `pairs`, the item's PRICE, CATEGORY_L1 and CREATION_TIMESTAMP as they were
// just before _as_of (see lake/tables.cc, item_history). Items without any
// record then are absent.
std::string ItemsAsOfSql(std::string_view pairs);

struct MaterializeOptions {
  // "YYYY-MM-DD": features as of the end of that day (UTC), i.e. from events
  // before the next midnight. Empty: the day of the lake's latest event.
  std::string date;
  bool online = true;  // also load the snapshot into the online store
  int64_t now = 0;     // written_at, epoch seconds; 0 = the clock
};
struct GroupOutput {
  std::string group;
  uint64_t rows = 0;
  std::string file;    // the snapshot's Parquet file
  size_t skipped = 0;  // ids too long for an online key
};
struct MaterializeResult {
  std::string snapshot_date;
  int64_t as_of = 0;
  std::vector<GroupOutput> groups;
};
// Computes every configured group as of the date and writes the offline
// snapshots, then (options.online) replaces the groups in the online store.
// FailedPrecondition when [features] configures no group or the lake has no
// interactions; InvalidArgument for a malformed date.
StatusOr<MaterializeResult> Materialize(const config::Project& project,
                                        const MaterializeOptions& options);

struct OnlineFeatures {
  bool expired = false;  // older than the group's TTL: `values` is empty
  nlohmann::json values = nlohmann::json::object();
  int64_t as_of = 0;
  std::string snapshot_date;
  int64_t written_at = 0;
};
// Reads (group, id) from the online store at time `now` (epoch seconds).
// NotFound for an unknown id; FailedPrecondition when the group is not
// configured. For user_item, id is "<user>\0<item>".
StatusOr<OnlineFeatures> ReadOnline(const OnlineStore& store,
                                    const config::FeaturesOptions& options,
                                    config::FeatureGroup group, std::string_view id, int64_t now);
// {"<key>": id, "status": "ok"|"expired", "features": {...} (ok only),
//  "asOf": S, "snapshotDate": D, "writtenAt": S, "ttlHours": H}
nlohmann::json OnlineFeaturesJson(std::string_view key_name, std::string_view id,
                                  const OnlineFeatures& f, double ttl_hours);

struct TrainingSetOptions {
  // CSV with a header: user_id,item_id,timestamp,label (timestamp: epoch
  // seconds or ISO-8601, UTC when it has no zone).
  std::string labels;
  std::string out;  // .parquet → Parquet; anything else → CSV with a header
};
struct TrainingSetResult {
  uint64_t rows = 0;
  std::vector<std::string> columns;
};
// Joins every label to the feature values as they were at the label's time:
// each feature is computed from events strictly before that label's timestamp
// (no value from the label's moment or later can leak in). Columns:
// user_id, item_id, timestamp, label, then user_*, item_*, ui_* features.
StatusOr<TrainingSetResult> BuildTrainingSet(const config::Project& project,
                                             const TrainingSetOptions& options);

}  // namespace recmart::features
