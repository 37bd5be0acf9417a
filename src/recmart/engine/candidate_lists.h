// CandidateLists: for every training user of a factor model served through
// an ANN index, that user's best unseen items, found once per model version
// with a deeper search than a request makes, and cached beside the bundle.
//
// Why: a request for a user nothing has happened to since training (no live
// events) then skips the ANN search, which is most of a request's cost on a
// large catalog: it gates the list (filter, exclusions) and rescores the
// first items it accepts. When the list cannot fill the answer (a filter that
// rejects most items, a deep page), the request searches the index as
// before. The lists are a pure function of the bundle and the options, so the
// server and batch-recommend, which both attach them, still agree.
//
// Memory: users x per_user item indices (4 bytes each): 128 MB for 1M users
// and 32 items.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/models/matrix.h"

namespace recmart::engine {

struct CandidateListOptions {
  // Items per user; 0: no lists.
  int per_user = 32;
  // Threads for building them; 0: all cores.
  int threads = 0;
  // A short string naming these options and the way lists are searched
  // (s2: seeded with the user's items), part of the cache file name.
  std::string Tag() const { return "cl" + std::to_string(per_user) + "-s2"; }
};

class CandidateLists {
 public:
  // `ids` holds users x per_user item indices, row by row, each row best
  // first and padded at its end with models::kUnknownIndex.
  CandidateLists(uint32_t per_user, std::vector<models::ItemIndex> ids);

  uint32_t per_user() const { return per_user_; }
  uint32_t users() const { return users_; }
  // User u's list, best first (without padding); empty for an unknown index.
  std::span<const models::ItemIndex> For(models::UserIndex u) const;

  // Writes the lists to `path` (temp + rename), with a checksum.
  Status Save(const std::string& path) const;
  // Reads lists written by Save. DataLoss when the file is damaged or its
  // shape differs from users x per_user, or an index is >= items.
  static StatusOr<std::unique_ptr<CandidateLists>> Load(const std::string& path, uint32_t users,
                                                        uint32_t per_user, uint32_t items);

 private:
  uint32_t per_user_;
  uint32_t users_;
  std::vector<models::ItemIndex> ids_;
};

}  // namespace recmart::engine
