#include "recmart/etl/record_builder.h"

#include <algorithm>

#include "recmart/ingest/values.h"

namespace recmart::etl {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// NormalizeId without allocating: trimming and dropping an integral ".0…0"
// fraction both shorten the text, so the result is a view of the input.
std::string_view IdView(std::string_view s) {
  s = Trim(s);
  size_t dot = s.find('.');
  if (dot != std::string_view::npos && dot > 0 && dot + 1 < s.size()) {
    bool digits_before =
        std::all_of(s.begin(), s.begin() + dot, [](char c) { return c >= '0' && c <= '9'; });
    bool zeros_after = std::all_of(s.begin() + dot + 1, s.end(), [](char c) { return c == '0'; });
    if (digits_before && zeros_after) s = s.substr(0, dot);
  }
  return s;
}

bool IsCanonicalName(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string Shorten(std::string_view v) {
  constexpr size_t kMax = 80;
  if (v.size() <= kMax) return std::string(v);
  return std::string(v.substr(0, kMax)) + "…";
}

int IndexOf(const std::vector<std::string>& v, const std::string& name) {
  auto it = std::find(v.begin(), v.end(), name);
  return it == v.end() ? -1 : static_cast<int>(it - v.begin());
}

}  // namespace

RecordBuilder::RecordBuilder(const config::SourceConfig& source,
                             std::shared_ptr<const ItemIdMap> title_matches)
    : source_(source), columns_(source.SourceColumns()), title_matches_(std::move(title_matches)) {
  if (auto rules = matching::ParseIdRules(source_.item_id_rules); rules.ok())
    item_rules_ = std::move(rules).value();
  auto idx = [&](const char* field) {
    auto it = source_.columns.find(field);
    return it == source_.columns.end() ? -1 : IndexOf(columns_, it->second);
  };
  user_ = idx(config::field::kUserId);
  item_ = idx(config::field::kItemId);
  ts_ = idx(config::field::kTimestamp);
  type_ = idx(config::field::kEventType);
  value_ = idx(config::field::kEventValue);
  session_ = idx(config::field::kSessionId);
  order_ = idx(config::field::kOrderId);
  quantity_ = idx(config::field::kQuantity);
  unit_price_ = idx(config::field::kUnitPrice);
  if (source_.kind == config::SourceKind::kItems) {
    for (const auto& [field, col] : source_.columns) {
      if (field != "ITEM_ID") item_fields_.emplace_back(field, IndexOf(columns_, col));
    }
  } else if (source_.kind == config::SourceKind::kUsers) {
    for (const auto& [field, col] : source_.columns) {
      if (field != "USER_ID") user_fields_.emplace_back(field, IndexOf(columns_, col));
    }
  } else {
    for (const auto& [field, col] : source_.item_columns)
      item_fields_.emplace_back(field, IndexOf(columns_, col));
    for (const auto& [field, col] : source_.user_columns)
      user_fields_.emplace_back(field, IndexOf(columns_, col));
  }
}

std::optional<std::string_view> RecordBuilder::Value(const ingest::Row& row, int index) const {
  if (index < 0 || static_cast<size_t>(index) >= row.values.size()) return std::nullopt;
  return row.values[static_cast<size_t>(index)];
}

std::string RecordBuilder::ColumnLabel(std::string_view field, int index) const {
  std::string out(field);
  if (index >= 0) out += " (column " + columns_[static_cast<size_t>(index)] + ")";
  return out;
}

bool RecordBuilder::Reject(BuildOutput* out, std::string reason, std::string detail) const {
  out->rejection = Rejection{std::move(reason), std::move(detail)};
  return false;
}

bool RecordBuilder::Id(const ingest::Row& row, int index, std::string_view field,
                       std::string_view* id, BuildOutput* out) const {
  std::optional<std::string_view> v = Value(row, index);
  std::string_view s = v ? IdView(*v) : std::string_view();
  if (s.empty()) {
    std::string lower(field);  // built only on failure: this runs for every row
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](char c) { return static_cast<char>(std::tolower(c)); });
    return Reject(out, "missing_" + lower, ColumnLabel(field, index) + " is empty or missing");
  }
  if (s.size() > kMaxIdBytes) {
    return Reject(out, "id_too_long",
                  ColumnLabel(field, index) + " is " + std::to_string(s.size()) +
                      " bytes (at most " + std::to_string(kMaxIdBytes) + ")");
  }
  *id = s;
  return true;
}

bool RecordBuilder::MapItemId(std::string_view* id, BuildOutput* out) {
  if (!item_rules_.empty()) {
    item_id_buffer_ = matching::NormalizeItemId(*id, item_rules_);
    if (item_id_buffer_.empty()) {
      return Reject(out, "missing_item_id",
                    "ITEM_ID '" + Shorten(*id) + "' is empty after item_id_rules");
    }
    *id = item_id_buffer_;
  }
  if (title_matches_) {
    auto it = title_matches_->find(*id);
    if (it != title_matches_->end()) *id = it->second;
  }
  return true;
}

bool RecordBuilder::Timestamp(const ingest::Row& row, int index, std::string_view field,
                              int64_t* ts, BuildOutput* out) const {
  std::optional<std::string_view> v = Value(row, index);
  if (!v || Trim(*v).empty())
    return Reject(out, "missing_timestamp", ColumnLabel(field, index) + " is empty or missing");
  ingest::ParsedTimestamp p = ingest::ParseTimestamp(*v, source_.timestamp);
  switch (p.error) {
    case ingest::ValueError::kNone:
      *ts = p.epoch_seconds;
      return true;
    case ingest::ValueError::kOutOfRange:
      return Reject(out, "timestamp_out_of_range",
                    ColumnLabel(field, index) + ": '" + Shorten(*v) + "' is out of range");
    case ingest::ValueError::kEmpty:
      return Reject(out, "missing_timestamp", ColumnLabel(field, index) + " is empty");
    case ingest::ValueError::kUnparseable:
      break;
  }
  return Reject(out, "invalid_timestamp",
                ColumnLabel(field, index) + ": '" + Shorten(*v) +
                    "' is not a timestamp in the configured format");
}

bool RecordBuilder::Number(const ingest::Row& row, int index, std::string_view field,
                           std::string_view reason, std::optional<double>* value,
                           BuildOutput* out) const {
  std::optional<std::string_view> v = Value(row, index);
  if (!v || Trim(*v).empty()) {
    value->reset();
    return true;
  }
  ingest::ParsedNumber n = ingest::ParseNumber(*v);
  if (n.error != ingest::ValueError::kNone) {
    return Reject(out, std::string(reason),
                  ColumnLabel(field, index) + ": '" + Shorten(*v) + "' is not a number");
  }
  *value = n.value;
  return true;
}

bool RecordBuilder::MapEventType(std::string_view raw, std::string_view* type, BuildOutput* out) {
  std::string_view t = Trim(raw);
  if (t.empty()) return Reject(out, "missing_event_type", "EVENT_TYPE is empty or missing");
  if (!IsCanonicalName(t)) {
    type_buffer_ = ingest::NormalizeEventType(t);
    t = type_buffer_;
    if (t.empty())
      return Reject(out, "missing_event_type", "EVENT_TYPE '" + Shorten(raw) + "' has no letters");
  }
  if (!source_.event_types.empty()) {
    for (const auto& [from, to] : source_.event_types) {
      if (from == t) {
        *type = to;
        return true;
      }
    }
  }
  if (source_.quarantine_unknown_event_types) {
    static const std::string_view kKnown[] = {"view", "add_to_cart", "remove_from_cart",
                                              "purchase"};
    bool known = std::find(std::begin(kKnown), std::end(kKnown), t) != std::end(kKnown);
    bool mapped_target = std::any_of(source_.event_types.begin(), source_.event_types.end(),
                                     [&](const auto& kv) { return kv.second == t; });
    if (!known && !mapped_target) {
      return Reject(out, "unknown_event_type", "EVENT_TYPE '" + Shorten(raw) + "' is not mapped");
    }
  }
  if (t.size() > 64) return Reject(out, "unknown_event_type", "EVENT_TYPE is longer than 64 bytes");
  *type = t;
  return true;
}

bool RecordBuilder::BuildItemFields(const ingest::Row& row,
                                    const std::vector<std::pair<std::string, int>>& map,
                                    std::string_view item_id, BuildOutput* out) {
  BuiltItem& it = out->item;
  it = BuiltItem{};
  it.item_id = item_id;
  for (const auto& [field, index] : map) {
    std::optional<std::string_view> v = Value(row, index);
    if (!v) continue;
    std::string_view s = Trim(*v);
    if (s.empty()) continue;
    if (field == "PRICE") {
      std::optional<double> p;
      if (!Number(row, index, "PRICE", "invalid_price", &p, out)) return false;
      it.price = p;
    } else if (field == "CREATION_TIMESTAMP") {
      int64_t ts = 0;
      if (!Timestamp(row, index, "CREATION_TIMESTAMP", &ts, out)) return false;
      it.creation_timestamp = ts;
    } else if (field == "UPDATED_AT") {  // items sources only: when the record was true
      int64_t ts = 0;
      if (!Timestamp(row, index, "UPDATED_AT", &ts, out)) return false;
      it.updated_at = ts;
    } else if (field == "AVAILABLE") {
      available_buffer_.assign(s);
      std::transform(available_buffer_.begin(), available_buffer_.end(), available_buffer_.begin(),
                     [](char c) { return static_cast<char>(std::tolower(c)); });
      static const std::string_view kYes[] = {"yes", "y",        "true",    "t",
                                              "1",   "in_stock", "instock", "available"};
      static const std::string_view kNo[] = {"no",           "n",          "false",      "f", "0",
                                             "out_of_stock", "outofstock", "unavailable"};
      if (std::find(std::begin(kYes), std::end(kYes), available_buffer_) != std::end(kYes))
        it.available = "yes";
      else if (std::find(std::begin(kNo), std::end(kNo), available_buffer_) != std::end(kNo))
        it.available = "no";
      else
        return Reject(out, "invalid_available",
                      ColumnLabel("AVAILABLE", index) + ": '" + Shorten(s) + "' is not yes/no");
    } else if (field == "CATEGORY_PATH") {
      // "electronics.smartphone" → L1 electronics, L2 smartphone.
      std::string_view rest = s;
      std::optional<std::string_view>* levels[] = {&it.category_l1, &it.category_l2,
                                                   &it.category_l3};
      const std::string& sep = source_.category_separator;
      for (int level = 0; level < 3 && !rest.empty(); ++level) {
        size_t cut = sep.empty() ? std::string_view::npos : rest.find(sep);
        // The last level keeps the remainder of a deeper path.
        if (level == 2) cut = std::string_view::npos;
        *levels[level] = Trim(rest.substr(0, cut));
        rest = cut == std::string_view::npos ? std::string_view() : rest.substr(cut + sep.size());
      }
    } else if (field == "TITLE")
      it.title = s;
    else if (field == "DESCRIPTION")
      it.description = s;
    else if (field == "CATEGORY_L1")
      it.category_l1 = s;
    else if (field == "CATEGORY_L2")
      it.category_l2 = s;
    else if (field == "CATEGORY_L3")
      it.category_l3 = s;
    else if (field == "BRAND")
      it.brand = s;
  }
  out->has_item = true;
  return true;
}

bool RecordBuilder::BuildUserFields(const ingest::Row& row,
                                    const std::vector<std::pair<std::string, int>>& map,
                                    std::string_view user_id, BuildOutput* out) {
  BuiltUser& u = out->user;
  u = BuiltUser{};
  u.user_id = user_id;
  for (const auto& [field, index] : map) {
    std::optional<std::string_view> v = Value(row, index);
    if (!v) continue;
    std::string_view s = Trim(*v);
    if (s.empty()) continue;
    if (field == "CREATION_TIMESTAMP") {
      int64_t ts = 0;
      if (!Timestamp(row, index, "CREATION_TIMESTAMP", &ts, out)) return false;
      u.creation_timestamp = ts;
    } else if (field == "UPDATED_AT") {  // users sources only
      int64_t ts = 0;
      if (!Timestamp(row, index, "UPDATED_AT", &ts, out)) return false;
      u.updated_at = ts;
    } else if (field == "SEGMENT")
      u.segment = s;
    else if (field == "COUNTRY")
      u.country = s;
  }
  out->has_user = true;
  return true;
}

void RecordBuilder::Build(const ingest::Row& row, BuildOutput* out) {
  out->rejection.reset();
  out->event_day.reset();
  out->has_event = out->has_item = out->has_user = false;

  if (source_.kind == config::SourceKind::kItems) {
    std::string_view item;
    if (!Id(row, item_, "ITEM_ID", &item, out)) return;
    if (!MapItemId(&item, out)) return;
    BuildItemFields(row, item_fields_, item, out);
    return;
  }
  if (source_.kind == config::SourceKind::kUsers) {
    std::string_view user;
    if (!Id(row, user_, "USER_ID", &user, out)) return;
    BuildUserFields(row, user_fields_, user, out);
    return;
  }

  // Events and transactions. The timestamp goes first so that a row rejected
  // for another reason still counts towards its day in the reconciliation.
  BuiltEvent& e = out->event;
  e = BuiltEvent{};
  if (!Timestamp(row, ts_, "TIMESTAMP", &e.timestamp, out)) return;
  out->event_day = ingest::EpochDay(e.timestamp);
  if (!Id(row, user_, "USER_ID", &e.user_id, out)) return;
  if (!Id(row, item_, "ITEM_ID", &e.item_id, out)) return;
  if (!MapItemId(&e.item_id, out)) return;

  if (type_ >= 0) {
    std::optional<std::string_view> raw = Value(row, type_);
    if (!MapEventType(raw.value_or(""), &e.event_type, out)) return;
  } else {
    e.event_type = source_.event_type_constant;
  }

  if (source_.kind == config::SourceKind::kTransactions) {
    std::string_view order;
    if (order_ >= 0) {
      std::optional<std::string_view> o = Value(row, order_);
      order = o ? Trim(*o) : std::string_view();
      const std::string& prefix = source_.rules.cancelled_order_prefix;
      if (!prefix.empty() && order.substr(0, prefix.size()) == prefix) {
        Reject(out, "cancelled_order",
               ColumnLabel("ORDER_ID", order_) + " '" + Shorten(order) + "' is a cancellation");
        return;
      }
    }
    for (const auto& excluded : source_.rules.exclude_items) {
      if (excluded == e.item_id) {
        Reject(out, "excluded_item",
               "ITEM_ID '" + Shorten(e.item_id) + "' is excluded by rules.exclude_items");
        return;
      }
    }
    std::optional<double> qty, price;
    if (!Number(row, quantity_, "QUANTITY", "invalid_quantity", &qty, out)) return;
    if (!Number(row, unit_price_, "UNIT_PRICE", "invalid_price", &price, out)) return;
    if (!qty) {
      Reject(out, "invalid_quantity", ColumnLabel("QUANTITY", quantity_) + " is empty");
      return;
    }
    if (!price) {
      Reject(out, "invalid_price", ColumnLabel("UNIT_PRICE", unit_price_) + " is empty");
      return;
    }
    if (*qty <= 0 && source_.rules.quarantine_non_positive_quantity) {
      Reject(out, "non_positive_quantity",
             ColumnLabel("QUANTITY", quantity_) + " is " + Shorten(*Value(row, quantity_)));
      return;
    }
    if (*price <= 0 && source_.rules.quarantine_non_positive_price) {
      Reject(out, "non_positive_price",
             ColumnLabel("UNIT_PRICE", unit_price_) + " is " + Shorten(*Value(row, unit_price_)));
      return;
    }
    e.event_value = *qty * *price;
    e.session_id = order;
  } else {
    if (!Number(row, value_, "EVENT_VALUE", "invalid_event_value", &e.event_value, out)) return;
  }
  if (session_ >= 0) {
    std::optional<std::string_view> s = Value(row, session_);
    if (s) e.session_id = Trim(*s);
    if (e.session_id.size() > kMaxIdBytes) {
      Reject(out, "id_too_long",
             ColumnLabel("SESSION_ID", session_) + " is longer than " +
                 std::to_string(kMaxIdBytes) + " bytes");
      return;
    }
  }
  if (!item_fields_.empty()) {
    if (!BuildItemFields(row, item_fields_, e.item_id, out)) return;
    out->item.updated_at = e.timestamp;
  }
  if (!user_fields_.empty()) {
    if (!BuildUserFields(row, user_fields_, e.user_id, out)) {
      out->has_item = false;
      return;
    }
    out->user.updated_at = e.timestamp;
  }
  out->has_event = true;
}

}  // namespace recmart::etl
