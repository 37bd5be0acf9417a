#include "recmart/engine/candidate_lists.h"

#include <xxhash.h>

#include <cstring>
#include <fstream>

#include "recmart/common/fs.h"

namespace recmart::engine {

namespace {

constexpr char kMagic[8] = {'R', 'M', 'C', 'L', '0', '0', '0', '1'};

struct Header {
  char magic[8];
  uint32_t per_user;
  uint32_t users;
  uint32_t reserved[2];
  uint64_t payload_hash;
};
static_assert(sizeof(Header) == 32);

uint64_t PayloadHash(const std::vector<models::ItemIndex>& ids) {
  return XXH64(ids.data(), ids.size() * sizeof(models::ItemIndex), 13);
}

}  // namespace

CandidateLists::CandidateLists(uint32_t per_user, std::vector<models::ItemIndex> ids)
    : per_user_(per_user),
      users_(per_user == 0 ? 0 : static_cast<uint32_t>(ids.size() / per_user)),
      ids_(std::move(ids)) {}

std::span<const models::ItemIndex> CandidateLists::For(models::UserIndex u) const {
  if (u >= users_) return {};
  std::span<const models::ItemIndex> row(ids_.data() + size_t{u} * per_user_, per_user_);
  size_t n = row.size();
  while (n > 0 && row[n - 1] == models::kUnknownIndex) --n;
  return row.first(n);
}

Status CandidateLists::Save(const std::string& path) const {
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof(kMagic));
  h.per_user = per_user_;
  h.users = users_;
  h.payload_hash = PayloadHash(ids_);
  // Streamed to a temporary file and renamed, as WriteFileAtomic does, but
  // without first copying hundreds of MB into one string.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(&h), sizeof(h));
    out.write(reinterpret_cast<const char*>(ids_.data()),
              static_cast<std::streamsize>(ids_.size() * sizeof(models::ItemIndex)));
    if (!out.flush()) return Status::IOError("candidate lists: writing " + tmp + " failed");
  }
  return Rename(tmp, path);
}

StatusOr<std::unique_ptr<CandidateLists>> CandidateLists::Load(const std::string& path,
                                                               uint32_t users, uint32_t per_user,
                                                               uint32_t items) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("candidate lists: no file " + path);
  Header h{};
  in.read(reinterpret_cast<char*>(&h), sizeof(h));
  if (!in || std::memcmp(h.magic, kMagic, sizeof(kMagic)) != 0) {
    return Status::DataLoss(path + ": not a candidate-list file");
  }
  if (h.per_user != per_user || h.users != users) {
    return Status::DataLoss(path + ": made for another model or other options");
  }
  std::vector<models::ItemIndex> ids(size_t{users} * per_user);
  in.read(reinterpret_cast<char*>(ids.data()),
          static_cast<std::streamsize>(ids.size() * sizeof(models::ItemIndex)));
  if (!in || in.peek() != std::char_traits<char>::eof()) {
    return Status::DataLoss(path + ": truncated or too long");
  }
  if (PayloadHash(ids) != h.payload_hash) return Status::DataLoss(path + ": checksum mismatch");
  // Indices address the model's arrays: never trust a file for their range.
  for (models::ItemIndex i : ids) {
    if (i != models::kUnknownIndex && i >= items) {
      return Status::DataLoss(path + ": an item index is out of range");
    }
  }
  return std::make_unique<CandidateLists>(per_user, std::move(ids));
}

}  // namespace recmart::engine
