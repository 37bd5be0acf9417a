// What a filter reads: item and user metadata tables, and a user's history.
//
// The API server implements Table over its in-memory catalog; tests implement
// it over a few vectors. Filters only read through this interface, so the
// filter module knows nothing about how metadata is stored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace recmart::filter {

enum class FieldType { kString, kNumber };

// A read-only metadata table: the item catalog (one row per item, row =
// item index), or the user table (one row per user).
//
// String fields may be multi-valued: the values are separated by '|'
// ("shoes|sale"); empty pieces are ignored. A missing value is "" for a
// string field and NaN for a number field.
//
// Thread safety: filters call the const methods concurrently from many
// request threads; implementations must allow that.
class Table {
 public:
  virtual ~Table() = default;

  // Number of rows.
  virtual size_t size() const = 0;
  // The type of a field, by its upper-case name; nullopt when there is no such field.
  virtual std::optional<FieldType> Type(std::string_view upper_field) const = 0;
  // REQUIRES: Type(upper_field) == kString and row < size(). "" when missing.
  // The view stays valid while the table is unchanged.
  virtual std::string_view String(std::string_view upper_field, size_t row) const = 0;
  // REQUIRES: Type(upper_field) == kNumber and row < size(). NaN when missing.
  virtual double Number(std::string_view upper_field, size_t row) const = 0;
  // Changes whenever the contents change (rows added, values edited). Cached
  // item bitmaps are keyed by it: a table that changes without changing its
  // version makes cached filters stale.
  virtual uint64_t version() const { return 0; }
};

// One entry of a user's interaction history.
struct HistoryEntry {
  uint32_t item;                // row in the item table
  std::string_view event_type;  // as recorded ("purchase"); compared case-insensitively
};

}  // namespace recmart::filter
