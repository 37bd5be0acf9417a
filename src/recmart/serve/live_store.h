// LiveStore: what the API knows beyond the served model -- live events per
// user, item and user metadata sent with PUT /items and PUT /users, and the
// user metadata of the lake's `users` table (loaded at start, see
// live_state.h). Answers read it on every request; it is the "at once" in
// "an event changes the user's next answer at once".
//
// Thread safety: every method may be called concurrently. Events are kept in
// 64 shards by user id, each under its own mutex; item and user metadata are
// immutable snapshots replaced on write (copy on write), so a request reads
// one consistent snapshot without holding a lock. The lake's users are an
// immutable columnar base under the live user records, so a PUT /users
// copies only the live records, never the whole user table.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/filter/table.h"

namespace recmart::serve {

struct LiveEvent {
  std::string item;
  std::string event_type;  // normalised (lower case)
  int64_t ts = 0;          // epoch seconds
  std::string session;
};

// The item metadata fields filters and PUT /items know, with their types.
struct FieldDef {
  std::string_view name;
  filter::FieldType type;
};
inline constexpr std::array<FieldDef, 8> kItemFieldDefs = {{
    {"TITLE", filter::FieldType::kString},
    {"CATEGORY_L1", filter::FieldType::kString},
    {"CATEGORY_L2", filter::FieldType::kString},
    {"CATEGORY_L3", filter::FieldType::kString},
    {"BRAND", filter::FieldType::kString},
    {"AVAILABLE", filter::FieldType::kString},  // "yes" / "no"
    {"PRICE", filter::FieldType::kNumber},
    {"CREATION_TIMESTAMP", filter::FieldType::kNumber},  // epoch seconds
}};
inline constexpr std::array<FieldDef, 3> kUserFieldDefs = {{
    {"SEGMENT", filter::FieldType::kString},
    {"COUNTRY", filter::FieldType::kString},
    {"CREATION_TIMESTAMP", filter::FieldType::kNumber},
}};
// Index of `upper` in `defs`, or -1.
int FieldIndex(std::span<const FieldDef> defs, std::string_view upper);

// One metadata record: the fields that were sent (others unknown).
struct Record {
  std::vector<std::string> strings;  // by field index; "" when not sent
  std::vector<double> numbers;       // by field index; NaN when not sent
  uint32_t present = 0;              // bit per field index
};

// An immutable snapshot of records by id, in first-seen order.
struct RecordSet {
  uint64_t version = 0;
  std::vector<std::string> ids;
  std::vector<Record> records;
  std::unordered_map<std::string, uint32_t> index;

  const Record* Find(std::string_view id) const;
};

// Metadata records loaded in bulk (the lake's users table): immutable once
// built, columnar (string fields dictionary-coded), so that millions of users
// cost a few dozen bytes each.
class BaseRecords {
 public:
  explicit BaseRecords(std::span<const FieldDef> defs);

  // Adds a record (fields not present stay missing). An id added twice keeps
  // its first row; later fields that are present replace earlier values.
  // REQUIRES: not shared yet (building only).
  void Add(std::string_view id, const Record& record);

  size_t size() const { return ids_.size(); }
  // The row of `id`, or -1.
  int64_t Row(std::string_view id) const;
  const std::string& id(size_t row) const { return ids_[row]; }
  // REQUIRES: row < size(), field < defs.size(). "" / NaN when missing.
  std::string_view String(size_t field, size_t row) const;
  double Number(size_t field, size_t row) const;

 private:
  std::span<const FieldDef> defs_;
  std::vector<std::string> ids_;
  std::unordered_map<std::string, uint32_t> index_;
  // Per field: string codes into dict_ (0 = missing) or numbers (NaN = missing).
  std::vector<std::vector<uint32_t>> codes_;
  std::vector<std::vector<double>> numbers_;
  std::vector<std::string> dict_{""};
  std::unordered_map<std::string, uint32_t> dict_index_;
};

class LiveStore {
 public:
  // Keeps at most `per_user` most recent events per user.
  explicit LiveStore(size_t per_user = 200);

  void AddEvents(std::string_view user, std::span<const LiveEvent> events);
  // The user's live events, oldest first.
  std::vector<LiveEvent> UserEvents(std::string_view user) const;
  size_t users_with_events() const;

  // Merges records into the item (or user) metadata: fields sent replace
  // earlier values, fields not sent keep them.
  void PutItems(std::vector<std::pair<std::string, Record>> records);
  void PutUsers(std::vector<std::pair<std::string, Record>> records);
  std::shared_ptr<const RecordSet> items() const;
  std::shared_ptr<const RecordSet> users() const;

  // The user records under the live ones (the lake's users table); replaces
  // the previous base. Never null (empty until set).
  void SetUserBase(std::shared_ptr<const BaseRecords> base);
  std::shared_ptr<const BaseRecords> user_base() const;

 private:
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, std::deque<LiveEvent>> events;
  };
  Shard& ShardOf(std::string_view user) const;
  static void Merge(std::shared_ptr<const RecordSet>* set,
                    std::vector<std::pair<std::string, Record>> records, size_t fields);

  size_t per_user_;
  mutable std::array<Shard, 64> shards_;
  mutable std::mutex meta_mu_;  // guards the three pointers below (not the sets)
  std::shared_ptr<const RecordSet> items_, users_;
  std::shared_ptr<const BaseRecords> user_base_;
};

}  // namespace recmart::serve
