// The online feature store: the latest feature values by key, in an embedded
// LMDB environment (a directory holding data.mdb and lock.mdb).
//
// Keys are "<group>\0<id>" (user_item: "user_item\0<user>\0<item>"); values
// are JSON text {"values":{...},"as_of":S,"snapshot_date":"YYYY-MM-DD",
// "written_at":S}. Writers replace a whole group in one transaction, so a
// reader sees the previous snapshot or the new one, never a mix; readers never
// block the writer (LMDB MVCC). Thread-safe: Get may run from any number of
// threads at once (MDB_NOTLS: read transactions are not tied to threads).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "recmart/common/status.h"

namespace recmart::features {

class OnlineStore {
 public:
  // Opens the store at `dir`. Read-only: NotFound when it does not exist
  // (nothing materialized yet). Writable: creates it. `map_mb` bounds its size.
  static StatusOr<std::unique_ptr<OnlineStore>> Open(const std::string& dir, bool read_only,
                                                     int64_t map_mb = 1024);
  ~OnlineStore();
  OnlineStore(const OnlineStore&) = delete;
  OnlineStore& operator=(const OnlineStore&) = delete;

  // Replaces every record of `group` with `records` (key id → value text) in
  // one transaction. Ids whose key would exceed LMDB's key limit (511 bytes)
  // are skipped and counted in *skipped. REQUIRES: opened writable.
  Status ReplaceGroup(std::string_view group,
                      const std::vector<std::pair<std::string, std::string>>& records,
                      size_t* skipped = nullptr);
  // The value of (group, id); nullopt when absent.
  StatusOr<std::optional<std::string>> Get(std::string_view group, std::string_view id) const;
  // Number of records of `group`.
  StatusOr<size_t> Count(std::string_view group) const;

  static std::string Key(std::string_view group, std::string_view id);

  struct Impl;

 private:
  explicit OnlineStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace recmart::features
