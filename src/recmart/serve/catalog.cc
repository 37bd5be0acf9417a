#include "recmart/serve/catalog.h"

#include <cmath>
#include <limits>

namespace recmart::serve {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::optional<filter::FieldType> TypeOf(std::span<const FieldDef> defs, std::string_view f) {
  int i = FieldIndex(defs, f);
  if (i < 0) return std::nullopt;
  return defs[static_cast<size_t>(i)].type;
}

}  // namespace

ItemTable::ItemTable(const engine::ModelBundle& bundle, std::shared_ptr<const RecordSet> live)
    : bundle_(bundle), live_(std::move(live)), bundle_items_(bundle.items().size()) {
  for (uint32_t r = 0; r < live_->records.size(); ++r) {
    models::ItemIndex i = bundle.items().Find(live_->ids[r]);
    if (i == models::kUnknownIndex) {
      live_row_.emplace(r, bundle_items_ + live_only_.size());
      live_only_.push_back(r);
    } else {
      overrides_.emplace(i, &live_->records[r]);
    }
  }
}

std::optional<filter::FieldType> ItemTable::Type(std::string_view f) const {
  return TypeOf(kItemFieldDefs, f);
}

const Record* ItemTable::Override(size_t row) const {
  if (row >= bundle_items_) return &live_->records[live_only_[row - bundle_items_]];
  if (overrides_.empty()) return nullptr;
  auto it = overrides_.find(static_cast<uint32_t>(row));
  return it == overrides_.end() ? nullptr : it->second;
}

std::string_view ItemTable::String(std::string_view f, size_t row) const {
  const int fi = FieldIndex(kItemFieldDefs, f);
  if (fi < 0) return {};
  if (const Record* r = Override(row); r != nullptr && (r->present & (1u << fi))) {
    return r->strings[static_cast<size_t>(fi)];
  }
  if (row >= bundle_items_) return {};
  const models::ItemAttributes& a = bundle_.attributes();
  switch (fi) {
    case 0:
      return a.title[row];
    case 1:
      return a.category_l1[row];
    case 2:
      return a.category_l2[row];
    case 3:
      return a.category_l3[row];
    case 4:
      return a.brand[row];
    case 5:
      return a.available[row] > 0 ? "yes" : a.available[row] == 0 ? "no" : "";
    default:
      return {};
  }
}

double ItemTable::Number(std::string_view f, size_t row) const {
  const int fi = FieldIndex(kItemFieldDefs, f);
  if (fi < 0) return kNaN;
  if (const Record* r = Override(row); r != nullptr && (r->present & (1u << fi))) {
    return r->numbers[static_cast<size_t>(fi)];
  }
  if (row >= bundle_items_) return kNaN;
  const models::ItemAttributes& a = bundle_.attributes();
  if (fi == 6) return a.price[row];
  if (fi == 7) {
    return a.created[row] == models::kUnknownTime ? kNaN : static_cast<double>(a.created[row]);
  }
  return kNaN;
}

int64_t ItemTable::Row(std::string_view id) const {
  models::ItemIndex i = bundle_.items().Find(std::string(id));
  if (i != models::kUnknownIndex) return i;
  auto it = live_->index.find(std::string(id));
  if (it == live_->index.end()) return -1;
  auto row = live_row_.find(it->second);
  return row == live_row_.end() ? -1 : static_cast<int64_t>(row->second);
}

const std::string& ItemTable::Id(size_t row) const {
  if (row < bundle_items_) return bundle_.items().name(static_cast<uint32_t>(row));
  return live_->ids[live_only_[row - bundle_items_]];
}

std::optional<filter::FieldType> UserTable::Type(std::string_view f) const {
  return TypeOf(kUserFieldDefs, f);
}

std::string_view UserTable::String(std::string_view f, size_t row) const {
  const int fi = FieldIndex(kUserFieldDefs, f);
  if (fi < 0 || row >= size()) return {};
  const size_t k = static_cast<size_t>(fi);
  const size_t live = live_->records.size();
  if (row >= live) return base_->String(k, row - live);
  const Record& r = live_->records[row];
  if (r.present & (1u << k)) return r.strings[k];
  const int64_t b = base_->Row(live_->ids[row]);
  return b < 0 ? std::string_view() : base_->String(k, static_cast<size_t>(b));
}

double UserTable::Number(std::string_view f, size_t row) const {
  const int fi = FieldIndex(kUserFieldDefs, f);
  if (fi < 0 || row >= size()) return kNaN;
  const size_t k = static_cast<size_t>(fi);
  const size_t live = live_->records.size();
  if (row >= live) return base_->Number(k, row - live);
  const Record& r = live_->records[row];
  if (r.present & (1u << k)) return r.numbers[k];
  const int64_t b = base_->Row(live_->ids[row]);
  return b < 0 ? kNaN : base_->Number(k, static_cast<size_t>(b));
}

int64_t UserTable::Row(std::string_view id) const {
  auto it = live_->index.find(std::string(id));
  if (it != live_->index.end()) return static_cast<int64_t>(it->second);
  const int64_t b = base_->Row(id);
  return b < 0 ? -1 : static_cast<int64_t>(live_->records.size()) + b;
}

}  // namespace recmart::serve
