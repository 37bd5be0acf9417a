// Dataset: what a recipe trains on, in dense indices. It is built from the
// lake by recmart/training (or by hand in tests and benchmarks) and split by
// recmart/eval; recipes never see string ids.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "recmart/models/matrix.h"

namespace recmart::models {

// The event types recipes tell apart. Canonical EVENT_TYPE values map here
// (training/lake_dataset.cc); anything else is kOther.
enum class EventKind : uint8_t {
  kView = 0,
  kAddToCart = 1,
  kPurchase = 2,
  kOther = 3,
  kNegative = 4,  // explicit "not interested" / dismiss
};

inline constexpr uint32_t kNoSession = UINT32_MAX;
inline constexpr int64_t kUnknownTime = std::numeric_limits<int64_t>::min();

// One curated event.
struct Event {
  UserIndex user;
  ItemIndex item;
  int64_t ts;        // epoch seconds
  uint32_t session;  // dense session (or order) index, kNoSession when none
  EventKind kind;
};

// Item metadata, one entry per item index (items with metadata but no
// interactions have an index too: that is how cold items reach the model).
// Unknown values are "" / NaN / -1 / kUnknownTime.
struct ItemAttributes {
  std::vector<std::string> title;
  std::vector<std::string> category_l1;
  std::vector<std::string> category_l2;
  std::vector<std::string> category_l3;
  std::vector<std::string> brand;
  std::vector<double> price;
  std::vector<int8_t> available;  // 1 yes, 0 no, -1 unknown
  std::vector<int64_t> created;   // epoch seconds

  // Grows every column to n items (new entries unknown).
  void Resize(size_t n);
  size_t size() const { return title.size(); }
  // True when any attribute of item i is known.
  bool HasMetadata(ItemIndex i) const;
};

struct Dataset {
  IdIndex users;
  IdIndex items;
  // users x items: implicit-feedback confidence per pair (the lake's SCORE:
  // weighted events with time decay). Every user and item index fits.
  CsrMatrix matrix;
  // Per matrix entry (same order as matrix.indices): first and last event time.
  std::vector<int64_t> first_ts;
  std::vector<int64_t> last_ts;
  // Per matrix entry: the kinds of the events behind it, bit 1 << EventKind,
  // from the lake's per-type counts (view, add-to-cart, purchase; any other
  // type as kOther). Empty when not known.
  std::vector<uint8_t> kinds;
  // Curated events sorted by (user, ts, item); may be empty when only the
  // matrix is known (recipes that need events then fall back to the matrix).
  std::vector<Event> events;
  ItemAttributes attributes;  // size items.size()
  // Reference "now" for recency: the latest event (or pair) time.
  int64_t now = 0;
};

// Builds a Dataset from string ids, in any order. Pairs given twice are summed
// (first/last time are min/max).
class DatasetBuilder {
 public:
  // An aggregated (user, item) pair.
  void AddPair(const std::string& user, const std::string& item, float score, int64_t first_ts = 0,
               int64_t last_ts = 0, uint8_t kinds = 0);
  // The same pair, from input grouped by user (all of a user's pairs
  // together, e.g. ORDER BY user, item): appended straight to the matrix's
  // arrays, without the 32-byte-per-pair list AddPair keeps (at 76M pairs
  // that list alone was 2.4 GB). Build() gives the same Dataset as AddPair
  // would; input that is not grouped, or mixed with AddPair, is still
  // correct, through the general path.
  void AddGroupedPair(const std::string& user, const std::string& item, float score,
                      int64_t first_ts, int64_t last_ts, uint8_t kinds);
  // Room for `n` grouped pairs: a large matrix is then read without regrowing.
  void ReserveGroupedPairs(size_t n);
  // A raw event; `session` empty for none. Does not touch the matrix.
  void AddEvent(const std::string& user, const std::string& item, int64_t ts, EventKind kind,
                const std::string& session = "");
  // Item metadata; creates the item when unknown.
  ItemIndex AddItem(const std::string& item);
  ItemAttributes& attributes() { return data_.attributes; }
  // Registers a user with no interactions.
  UserIndex AddUser(const std::string& user) { return data_.users.Add(user); }

  Dataset Build() &&;

 private:
  struct Pair {
    uint32_t user, item;
    float score;
    uint8_t kinds;
    int64_t first, last;
  };
  // The matrix under construction from AddGroupedPair: CSR arrays, one row
  // per user in index order; `row` is the user being filled.
  struct Grouped {
    std::vector<int64_t> indptr;  // starts of rows 0..row
    std::vector<uint32_t> indices;
    std::vector<float> values;
    std::vector<int64_t> first, last;
    std::vector<uint8_t> kinds;
    uint32_t row = UINT32_MAX;
  };
  // Sorts the open row by item and merges repeated items.
  void CloseGroupedRow();
  // Moves what AddGroupedPair gathered into pairs_ (input not grouped).
  void UngroupPairs();
  // The matrix, times and kinds of `d` from pairs_ (the general path).
  void BuildFromPairs(Dataset& d);

  Dataset data_;
  std::vector<Pair> pairs_;
  Grouped grouped_;
  IdIndex sessions_;
};

// Maps a canonical EVENT_TYPE string to its kind.
EventKind EventKindFromName(std::string_view name);

}  // namespace recmart::models
