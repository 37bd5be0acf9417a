#include "recmart/serve/live_store.h"

#include <cmath>
#include <functional>
#include <limits>

namespace recmart::serve {

int FieldIndex(std::span<const FieldDef> defs, std::string_view upper) {
  for (size_t i = 0; i < defs.size(); ++i) {
    if (defs[i].name == upper) return static_cast<int>(i);
  }
  return -1;
}

const Record* RecordSet::Find(std::string_view id) const {
  auto it = index.find(std::string(id));
  return it == index.end() ? nullptr : &records[it->second];
}

BaseRecords::BaseRecords(std::span<const FieldDef> defs)
    : defs_(defs), codes_(defs.size()), numbers_(defs.size()) {}

void BaseRecords::Add(std::string_view id, const Record& r) {
  auto [it, added] = index_.emplace(std::string(id), static_cast<uint32_t>(ids_.size()));
  if (added) {
    ids_.emplace_back(id);
    for (size_t f = 0; f < defs_.size(); ++f) {
      if (defs_[f].type == filter::FieldType::kString) {
        codes_[f].push_back(0);
      } else {
        numbers_[f].push_back(std::numeric_limits<double>::quiet_NaN());
      }
    }
  }
  const size_t row = it->second;
  for (size_t f = 0; f < defs_.size(); ++f) {
    if (!(r.present & (1u << f))) continue;
    if (defs_[f].type == filter::FieldType::kString) {
      const std::string& v = r.strings[f];
      if (v.empty()) {
        codes_[f][row] = 0;
        continue;
      }
      auto [d, fresh] = dict_index_.emplace(v, static_cast<uint32_t>(dict_.size()));
      if (fresh) dict_.push_back(v);
      codes_[f][row] = d->second;
    } else {
      numbers_[f][row] = r.numbers[f];
    }
  }
}

int64_t BaseRecords::Row(std::string_view id) const {
  auto it = index_.find(std::string(id));
  return it == index_.end() ? -1 : static_cast<int64_t>(it->second);
}

std::string_view BaseRecords::String(size_t field, size_t row) const {
  if (defs_[field].type != filter::FieldType::kString) return {};
  return dict_[codes_[field][row]];
}

double BaseRecords::Number(size_t field, size_t row) const {
  if (defs_[field].type != filter::FieldType::kNumber) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return numbers_[field][row];
}

LiveStore::LiveStore(size_t per_user)
    : per_user_(per_user),
      items_(std::make_shared<RecordSet>()),
      users_(std::make_shared<RecordSet>()),
      user_base_(std::make_shared<BaseRecords>(kUserFieldDefs)) {}

LiveStore::Shard& LiveStore::ShardOf(std::string_view user) const {
  return shards_[std::hash<std::string_view>()(user) % shards_.size()];
}

void LiveStore::AddEvents(std::string_view user, std::span<const LiveEvent> events) {
  Shard& s = ShardOf(user);
  std::lock_guard<std::mutex> lock(s.mu);
  std::deque<LiveEvent>& q = s.events[std::string(user)];
  for (const LiveEvent& e : events) {
    q.push_back(e);
    if (q.size() > per_user_) q.pop_front();
  }
}

std::vector<LiveEvent> LiveStore::UserEvents(std::string_view user) const {
  Shard& s = ShardOf(user);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.events.find(std::string(user));
  if (it == s.events.end()) return {};
  return {it->second.begin(), it->second.end()};
}

size_t LiveStore::users_with_events() const {
  size_t n = 0;
  for (Shard& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    n += s.events.size();
  }
  return n;
}

void LiveStore::Merge(std::shared_ptr<const RecordSet>* set,
                      std::vector<std::pair<std::string, Record>> records, size_t fields) {
  auto next = std::make_shared<RecordSet>(**set);
  next->version = (*set)->version + 1;
  for (auto& [id, rec] : records) {
    auto [it, added] = next->index.emplace(id, static_cast<uint32_t>(next->records.size()));
    if (added) {
      next->ids.push_back(id);
      Record empty;
      empty.strings.assign(fields, "");
      empty.numbers.assign(fields, std::numeric_limits<double>::quiet_NaN());
      next->records.push_back(std::move(empty));
    }
    Record& r = next->records[it->second];
    for (size_t f = 0; f < fields; ++f) {
      if (!(rec.present & (1u << f))) continue;
      r.strings[f] = std::move(rec.strings[f]);
      r.numbers[f] = rec.numbers[f];
      r.present |= 1u << f;
    }
  }
  *set = std::move(next);
}

void LiveStore::PutItems(std::vector<std::pair<std::string, Record>> records) {
  std::lock_guard<std::mutex> lock(meta_mu_);
  Merge(&items_, std::move(records), kItemFieldDefs.size());
}

void LiveStore::PutUsers(std::vector<std::pair<std::string, Record>> records) {
  std::lock_guard<std::mutex> lock(meta_mu_);
  Merge(&users_, std::move(records), kUserFieldDefs.size());
}

std::shared_ptr<const RecordSet> LiveStore::items() const {
  std::lock_guard<std::mutex> lock(meta_mu_);
  return items_;
}

std::shared_ptr<const RecordSet> LiveStore::users() const {
  std::lock_guard<std::mutex> lock(meta_mu_);
  return users_;
}

void LiveStore::SetUserBase(std::shared_ptr<const BaseRecords> base) {
  std::lock_guard<std::mutex> lock(meta_mu_);
  user_base_ = std::move(base);
  // A new version, so that nothing keyed by the user table's version is stale.
  auto next = std::make_shared<RecordSet>(*users_);
  next->version = users_->version + 1;
  users_ = std::move(next);
}

std::shared_ptr<const BaseRecords> LiveStore::user_base() const {
  std::lock_guard<std::mutex> lock(meta_mu_);
  return user_base_;
}

}  // namespace recmart::serve
