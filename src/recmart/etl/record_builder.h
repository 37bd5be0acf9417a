// RecordBuilder: applies one source's mapping to a row read by an ingest
// reader, producing canonical records (an event, item metadata, user
// metadata) or the reason the row is rejected. It implements the cleaning
// rules of PRODUCT.md step 3: id clean-up, timestamp formats, event-type
// mapping, transaction rules. Pure and allocation-light; one per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/config/project.h"
#include "recmart/ingest/reader.h"
#include "recmart/matching/id_rules.h"

namespace recmart::etl {

// Ids longer than this are rejected ("id_too_long").
inline constexpr size_t kMaxIdBytes = 256;

struct BuiltEvent {
  std::string_view user_id;
  std::string_view item_id;
  int64_t timestamp = 0;
  std::string_view event_type;
  std::optional<double> event_value;
  std::string_view session_id;  // empty = none
};

struct BuiltItem {
  std::string_view item_id;
  std::optional<std::string_view> title, description, category_l1, category_l2, category_l3, brand;
  std::optional<double> price;
  std::optional<std::string_view> available;  // "yes" / "no"
  std::optional<int64_t> creation_timestamp;
  std::optional<int64_t> updated_at;  // the row's event time, when it has one
};

struct BuiltUser {
  std::string_view user_id;
  std::optional<std::string_view> segment, country;
  std::optional<int64_t> creation_timestamp;
  std::optional<int64_t> updated_at;
};

struct Rejection {
  std::string reason;  // machine-readable, e.g. "invalid_timestamp"
  std::string detail;  // "TIMESTAMP (column event_time): '2019-13-01' is out of range"
};

// The outcome of one row. Views point into the row or into the builder and
// are valid until the next Build().
struct BuildOutput {
  std::optional<Rejection> rejection;
  std::optional<int64_t> event_day;  // day of the parsed timestamp, if any (for reconciliation)
  bool has_event = false;
  BuiltEvent event;
  bool has_item = false;
  BuiltItem item;
  bool has_user = false;
  BuiltUser user;
};

// A source's item id (after its item_id_rules) → the reference catalog's
// ITEM_ID, from title matching (etl/item_matching.h).
using ItemIdMap = std::map<std::string, std::string, std::less<>>;

class RecordBuilder {
 public:
  // ITEM_ID goes through the source's item_id_rules, then through
  // `title_matches` when given (ids it does not list stay as they are).
  explicit RecordBuilder(const config::SourceConfig& source,
                         std::shared_ptr<const ItemIdMap> title_matches = nullptr);

  // The source columns to request from the reader, in the order Build()
  // expects them in Row::values.
  const std::vector<std::string>& source_columns() const { return columns_; }

  // Builds from a good row (row.error == kNone). Never fails: problems become
  // out->rejection.
  void Build(const ingest::Row& row, BuildOutput* out);

 private:
  std::optional<std::string_view> Value(const ingest::Row& row, int index) const;
  bool Reject(BuildOutput* out, std::string reason, std::string detail) const;
  bool Id(const ingest::Row& row, int index, std::string_view field, std::string_view* id,
          BuildOutput* out) const;
  bool Timestamp(const ingest::Row& row, int index, std::string_view field, int64_t* ts,
                 BuildOutput* out) const;
  bool Number(const ingest::Row& row, int index, std::string_view field, std::string_view reason,
              std::optional<double>* value, BuildOutput* out) const;
  bool MapEventType(std::string_view raw, std::string_view* type, BuildOutput* out);
  bool BuildItemFields(const ingest::Row& row, const std::vector<std::pair<std::string, int>>& map,
                       std::string_view item_id, BuildOutput* out);
  bool BuildUserFields(const ingest::Row& row, const std::vector<std::pair<std::string, int>>& map,
                       std::string_view user_id, BuildOutput* out);
  std::string ColumnLabel(std::string_view field, int index) const;
  bool MapItemId(std::string_view* id, BuildOutput* out);

  const config::SourceConfig source_;  // a copy: the builder never dangles
  std::vector<std::string> columns_;
  // canonical field → index into columns_ (-1 when not mapped)
  int user_ = -1, item_ = -1, ts_ = -1, type_ = -1, value_ = -1, session_ = -1, order_ = -1,
      quantity_ = -1, unit_price_ = -1;
  std::vector<std::pair<std::string, int>> item_fields_;  // field → column index
  std::vector<std::pair<std::string, int>> user_fields_;
  std::string type_buffer_;  // normalised event type when it had to be rewritten
  std::string category_buffer_;
  std::string available_buffer_;
  std::vector<matching::IdRule> item_rules_;  // validated by config
  std::shared_ptr<const ItemIdMap> title_matches_;
  std::string item_id_buffer_;  // ITEM_ID after the rules
};

}  // namespace recmart::etl
