#include "recmart/features/online_store.h"

#include <lmdb.h>

#include <filesystem>

namespace recmart::features {
namespace {

Status LmdbError(int rc, std::string_view what) {
  return Status::IOError("online store: " + std::string(what) + ": " + mdb_strerror(rc));
}

// Aborts the transaction unless it was committed.
class Txn {
 public:
  Txn() = default;
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn() {
    if (txn_) mdb_txn_abort(txn_);
  }
  Status Begin(MDB_env* env, unsigned flags) {
    int rc = mdb_txn_begin(env, nullptr, flags, &txn_);
    if (rc == MDB_MAP_RESIZED) {  // another process grew the map: adopt its size
      mdb_env_set_mapsize(env, 0);
      rc = mdb_txn_begin(env, nullptr, flags, &txn_);
    }
    if (rc != 0) {
      txn_ = nullptr;
      return LmdbError(rc, "begin transaction");
    }
    return Status::OK();
  }
  Status Commit() {
    int rc = mdb_txn_commit(txn_);
    txn_ = nullptr;  // committed or freed by LMDB either way
    return rc == 0 ? Status::OK() : LmdbError(rc, "commit");
  }
  MDB_txn* get() const { return txn_; }

 private:
  MDB_txn* txn_ = nullptr;
};

class Cursor {
 public:
  explicit Cursor(MDB_cursor* c) : c_(c) {}
  ~Cursor() {
    if (c_) mdb_cursor_close(c_);
  }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  MDB_cursor* get() const { return c_; }

 private:
  MDB_cursor* c_;
};

MDB_val Val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

}  // namespace

struct OnlineStore::Impl {
  MDB_env* env = nullptr;
  MDB_dbi dbi = 0;
  bool read_only = true;
  ~Impl() {
    if (env) mdb_env_close(env);  // also closes dbi
  }
};

OnlineStore::OnlineStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OnlineStore::~OnlineStore() = default;

std::string OnlineStore::Key(std::string_view group, std::string_view id) {
  std::string k(group);
  k += '\0';
  k += id;
  return k;
}

StatusOr<std::unique_ptr<OnlineStore>> OnlineStore::Open(const std::string& dir, bool read_only,
                                                         int64_t map_mb) {
  std::error_code ec;
  if (read_only) {
    if (!std::filesystem::exists(dir + "/data.mdb", ec))
      return Status::NotFound("features not materialized (no online store at " + dir + ")");
  } else {
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::IOError("online store: cannot create " + dir + ": " + ec.message());
  }
  auto impl = std::make_unique<Impl>();
  impl->read_only = read_only;
  int rc = mdb_env_create(&impl->env);
  if (rc != 0) {
    impl->env = nullptr;
    return LmdbError(rc, "create environment");
  }
  if ((rc = mdb_env_set_mapsize(impl->env, static_cast<size_t>(map_mb) << 20)) != 0)
    return LmdbError(rc, "set map size");
  unsigned flags = MDB_NOTLS | (read_only ? MDB_RDONLY : 0u);
  if ((rc = mdb_env_open(impl->env, dir.c_str(), flags, 0644)) != 0)
    return LmdbError(rc, "open " + dir);
  Txn txn;
  RETURN_IF_ERROR(txn.Begin(impl->env, read_only ? MDB_RDONLY : 0));
  if ((rc = mdb_dbi_open(txn.get(), nullptr, 0, &impl->dbi)) != 0) return LmdbError(rc, "open db");
  RETURN_IF_ERROR(txn.Commit());
  return std::unique_ptr<OnlineStore>(new OnlineStore(std::move(impl)));
}

Status OnlineStore::ReplaceGroup(std::string_view group,
                                 const std::vector<std::pair<std::string, std::string>>& records,
                                 size_t* skipped) {
  if (impl_->read_only) return Status::FailedPrecondition("online store opened read-only");
  const size_t max_key = static_cast<size_t>(mdb_env_get_maxkeysize(impl_->env));
  Txn txn;
  RETURN_IF_ERROR(txn.Begin(impl_->env, 0));
  // Delete the group's previous records: every key with the "<group>\0" prefix
  // (collected first; deleting under a moving cursor has edge cases).
  const std::string prefix = Key(group, "");
  std::vector<std::string> old;
  {
    MDB_cursor* raw = nullptr;
    int rc = mdb_cursor_open(txn.get(), impl_->dbi, &raw);
    if (rc != 0) return LmdbError(rc, "open cursor");
    Cursor cursor(raw);
    MDB_val k = Val(prefix), v;
    for (rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_RANGE);
         rc == 0 && std::string_view(static_cast<const char*>(k.mv_data), k.mv_size)
                            .substr(0, prefix.size()) == prefix;
         rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT))
      old.emplace_back(static_cast<const char*>(k.mv_data), k.mv_size);
    if (rc != 0 && rc != MDB_NOTFOUND) return LmdbError(rc, "cursor");
  }
  for (const std::string& key : old) {
    MDB_val k = Val(key);
    if (int rc = mdb_del(txn.get(), impl_->dbi, &k, nullptr); rc != 0)
      return LmdbError(rc, "delete");
  }
  size_t n_skipped = 0;
  for (const auto& [id, value] : records) {
    std::string key = Key(group, id);
    if (key.size() > max_key) {
      ++n_skipped;
      continue;
    }
    MDB_val k = Val(key), v = Val(value);
    int rc = mdb_put(txn.get(), impl_->dbi, &k, &v, 0);
    if (rc != 0) return LmdbError(rc, "put");
  }
  if (skipped) *skipped = n_skipped;
  return txn.Commit();
}

StatusOr<std::optional<std::string>> OnlineStore::Get(std::string_view group,
                                                      std::string_view id) const {
  const std::string key = Key(group, id);
  if (key.size() > static_cast<size_t>(mdb_env_get_maxkeysize(impl_->env)))
    return std::optional<std::string>();
  Txn txn;
  RETURN_IF_ERROR(txn.Begin(impl_->env, MDB_RDONLY));
  MDB_val k = Val(key), v;
  int rc = mdb_get(txn.get(), impl_->dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string>();
  if (rc != 0) return LmdbError(rc, "get");
  return std::optional<std::string>(std::string(static_cast<const char*>(v.mv_data), v.mv_size));
}

StatusOr<size_t> OnlineStore::Count(std::string_view group) const {
  const std::string prefix = Key(group, "");
  Txn txn;
  RETURN_IF_ERROR(txn.Begin(impl_->env, MDB_RDONLY));
  MDB_cursor* raw = nullptr;
  int rc = mdb_cursor_open(txn.get(), impl_->dbi, &raw);
  if (rc != 0) return LmdbError(rc, "open cursor");
  Cursor cursor(raw);
  MDB_val k = Val(prefix), v;
  size_t n = 0;
  for (rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_RANGE);
       rc == 0 &&
       std::string_view(static_cast<const char*>(k.mv_data), k.mv_size).substr(0, prefix.size()) ==
           prefix;
       rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT))
    ++n;
  return n;
}

}  // namespace recmart::features
