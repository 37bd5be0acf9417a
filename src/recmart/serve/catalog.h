// The metadata tables filters read while serving: items (a model bundle's
// item attributes overlaid with live PUT /items records, plus rows for items
// only the live records know) and users (live PUT /users records over the
// lake's users table).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "recmart/engine/bundle.h"
#include "recmart/filter/table.h"
#include "recmart/serve/live_store.h"

namespace recmart::serve {

// Rows [0, bundle items) are the bundle's item indices; rows after them are
// items known only from live records, in first-seen order.
class ItemTable final : public filter::Table {
 public:
  ItemTable(const engine::ModelBundle& bundle, std::shared_ptr<const RecordSet> live);

  size_t size() const override { return bundle_items_ + live_only_.size(); }
  std::optional<filter::FieldType> Type(std::string_view upper_field) const override;
  std::string_view String(std::string_view upper_field, size_t row) const override;
  double Number(std::string_view upper_field, size_t row) const override;
  uint64_t version() const override { return live_->version; }

  // The row of an item id (bundle or live-only); -1 when unknown.
  int64_t Row(std::string_view id) const;
  const std::string& Id(size_t row) const;
  const RecordSet& live() const { return *live_; }

 private:
  const Record* Override(size_t row) const;

  const engine::ModelBundle& bundle_;
  std::shared_ptr<const RecordSet> live_;
  size_t bundle_items_;
  std::unordered_map<uint32_t, const Record*> overrides_;  // bundle row -> live record
  std::vector<uint32_t> live_only_;                        // indices into live_->records
  std::unordered_map<uint32_t, size_t> live_row_;          // live record -> row
};

// Users known from PUT /users or the lake. Rows [0, live records) are the
// live records (a field not sent falls back to the user's base record); rows
// after them are the base records (a base row whose user also has a live
// record is never returned by Row). Construction is O(1): one per request.
class UserTable final : public filter::Table {
 public:
  UserTable(std::shared_ptr<const BaseRecords> base, std::shared_ptr<const RecordSet> live)
      : base_(std::move(base)), live_(std::move(live)) {}
  size_t size() const override { return live_->records.size() + base_->size(); }
  std::optional<filter::FieldType> Type(std::string_view upper_field) const override;
  std::string_view String(std::string_view upper_field, size_t row) const override;
  double Number(std::string_view upper_field, size_t row) const override;
  uint64_t version() const override { return live_->version; }
  // The row of a user id, or -1.
  int64_t Row(std::string_view id) const;

 private:
  std::shared_ptr<const BaseRecords> base_;
  std::shared_ptr<const RecordSet> live_;
};

}  // namespace recmart::serve
