#include "recmart/etl/pipeline.h"

#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "recmart/common/fs.h"
#include "recmart/etl/extract.h"
#include "recmart/etl/item_matching.h"
#include "recmart/etl/record_builder.h"
#include "recmart/ingest/values.h"
#include "recmart/lake/lake.h"

namespace recmart::etl {
namespace {

using lake::ColumnType;
using lake::SqlString;

constexpr int kLineBits = 40;  // SEQ = file index << 40 | line
constexpr int64_t kUndated = INT64_MIN;
constexpr size_t kMaxRawBytes = 64 * 1024;

// Staging tables that live for the whole run. staged_events is made anew
// for each batch of files (kEventsStaging).
constexpr char kStagingSchema[] = R"sql(
CREATE TABLE run_files (FILE_IDX BIGINT, SOURCE VARCHAR, PATH VARCHAR);
CREATE TABLE staged_items (ITEM_ID VARCHAR, TITLE VARCHAR, DESCRIPTION VARCHAR,
  CATEGORY_L1 VARCHAR, CATEGORY_L2 VARCHAR, CATEGORY_L3 VARCHAR, BRAND VARCHAR, PRICE DOUBLE,
  AVAILABLE VARCHAR, CREATION_TIMESTAMP BIGINT, UPDATED_AT BIGINT, SEQ BIGINT);
CREATE TABLE staged_users (USER_ID VARCHAR, SEGMENT VARCHAR, COUNTRY VARCHAR,
  CREATION_TIMESTAMP BIGINT, UPDATED_AT BIGINT, SEQ BIGINT);
CREATE TABLE staged_quarantine (SEQ BIGINT, REASON VARCHAR, DETAIL VARCHAR, EVENT_DATE VARCHAR,
  RAW BLOB);
)sql";
constexpr char kEventsStaging[] = R"sql(
CREATE TABLE staged_events (USER_ID VARCHAR, ITEM_ID VARCHAR, TS BIGINT, EVENT_TYPE VARCHAR,
  EVENT_VALUE DOUBLE, SESSION_ID VARCHAR, SEQ BIGINT);
)sql";

struct FileTask {
  size_t source_index = 0;
  int64_t file_idx = 0;
  std::string path;
  FileStat stat;
};

// Per (source, day) counts kept in C++ while reading: the independent side of
// the reconciliation (the other side is counted in SQL from what landed).
struct DayKey {
  size_t source;
  int64_t day;
  bool operator<(const DayKey& o) const {
    return source != o.source ? source < o.source : day < o.day;
  }
};

// One staged event's key (IngestWorker::EventKey) and where it was read.
struct KeyedEvent {
  uint64_t key = 0;
  int64_t seq = 0;
  bool operator<(const KeyedEvent& o) const { return key != o.key ? key < o.key : seq < o.seq; }
};

struct Counters {
  std::map<DayKey, uint64_t> raw;
  std::map<DayKey, uint64_t> staged;  // rows appended to staging (events, items or users)
  std::map<std::pair<DayKey, std::string>, uint64_t> quarantined;
  std::map<int64_t, uint64_t> rows_per_file;

  void Merge(const Counters& o) {
    for (const auto& [k, v] : o.raw) raw[k] += v;
    for (const auto& [k, v] : o.staged) staged[k] += v;
    for (const auto& [k, v] : o.quarantined) quarantined[k] += v;
    for (const auto& [k, v] : o.rows_per_file) rows_per_file[k] += v;
  }
};

// What one batch's readers handed over besides the staged rows.
struct IngestedBatch {
  Counters counters;
  // SEQs of the staged events whose key another staged event of the batch
  // shares: the candidates for de-duplication, ascending.
  std::vector<int64_t> duplicate_candidates;
};

// Merges sorted key lists (one per reader) and returns the SEQs of the
// events whose key occurs more than once, ascending.
std::vector<int64_t> FindDuplicateCandidates(
    const std::vector<const std::vector<KeyedEvent>*>& lists) {
  std::vector<int64_t> out;
  std::vector<size_t> pos(lists.size(), 0);
  const KeyedEvent* prev = nullptr;
  bool prev_out = false;  // prev is already in `out`
  while (true) {
    // A linear scan for the smallest head: there is one list per thread.
    const KeyedEvent* next = nullptr;
    size_t from = 0;
    for (size_t i = 0; i < lists.size(); ++i) {
      if (pos[i] == lists[i]->size()) continue;
      const KeyedEvent& head = (*lists[i])[pos[i]];
      if (!next || head < *next) {
        next = &head;
        from = i;
      }
    }
    if (!next) break;
    ++pos[from];
    if (prev && prev->key == next->key) {
      if (!prev_out) out.push_back(prev->seq);
      out.push_back(next->seq);
      prev_out = true;
    } else {
      prev_out = false;
    }
    prev = next;
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string RelativeToProject(const config::Project& project, const std::string& path) {
  std::filesystem::path rel = std::filesystem::path(path).lexically_relative(project.dir);
  if (rel.empty() || *rel.begin() == "..") return path;
  return rel.string();
}

std::string DayString(int64_t day) { return day == kUndated ? "" : ingest::FormatDate(day); }

// Sets an optional string column.
void SetOpt(lake::Appender& a, size_t col, const std::optional<std::string_view>& v) {
  if (v)
    a.SetString(col, *v);
  else
    a.SetNull(col);
}
void SetOpt(lake::Appender& a, size_t col, const std::optional<double>& v) {
  if (v)
    a.SetDouble(col, *v);
  else
    a.SetNull(col);
}
void SetOpt(lake::Appender& a, size_t col, const std::optional<int64_t>& v) {
  if (v)
    a.SetInt64(col, *v);
  else
    a.SetNull(col);
}

// id hash → fingerprint of the last metadata staged for it from the file
// being read. Open addressing in one flat array: this is looked up for every
// event row, and a node-based map's cache misses cost more than the parsing.
// It grows with the ids of one file, up to a bound (then it starts over: a
// forgotten id only means one more staged record), and is cleared for each
// file.
class FlatMemo {
 public:
  // Records `fp` for `key`; true when it differs from what was recorded.
  bool Update(uint64_t key, uint64_t fp) {
    if (key == 0) key = 1;  // 0 marks an empty slot
    if (slots_.empty()) slots_.resize(kMinCapacity);
    Slot* s = Find(key);
    if (s->key == key) {
      if (s->fp == fp) return false;
      s->fp = fp;
      return true;
    }
    if (used_ + 1 > slots_.size() / 2) {
      if (slots_.size() < kMaxCapacity) {
        Rehash(slots_.size() * 2);
      } else {
        Clear();
      }
      s = Find(key);
    }
    *s = {key, fp};
    ++used_;
    return true;
  }

  // Forgets every id (the capacity stays: the next file is likely alike).
  void Clear() {
    if (used_ == 0) return;
    std::fill(slots_.begin(), slots_.end(), Slot{});
    used_ = 0;
  }

 private:
  static constexpr size_t kMinCapacity = size_t{1} << 12;
  static constexpr size_t kMaxCapacity = size_t{1} << 21;  // 32 MiB per memo
  struct Slot {
    uint64_t key = 0;
    uint64_t fp = 0;
  };

  // The slot holding `key`, else the empty slot where it would go.
  Slot* Find(uint64_t key) {
    const size_t mask = slots_.size() - 1;
    size_t i = key & mask;
    while (slots_[i].key != 0 && slots_[i].key != key) i = (i + 1) & mask;
    return &slots_[i];
  }

  void Rehash(size_t capacity) {
    std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(capacity));
    for (const Slot& s : old) {
      if (s.key != 0) *Find(s.key) = s;
    }
  }

  std::vector<Slot> slots_;
  size_t used_ = 0;
};

// Reads files off a shared queue into the staging tables. One per thread,
// each with its own DuckDB connection and appenders.
class IngestWorker {
 public:
  IngestWorker(const config::Project& project, lake::Connection conn)
      : project_(project), conn_(std::move(conn)) {}

  Status Open() {
    ASSIGN_OR_RETURN(
        events_, conn_.CreateAppender("staged_events", {ColumnType::kVarchar, ColumnType::kVarchar,
                                                        ColumnType::kBigint, ColumnType::kVarchar,
                                                        ColumnType::kDouble, ColumnType::kVarchar,
                                                        ColumnType::kBigint}));
    ASSIGN_OR_RETURN(items_, conn_.CreateAppender(
                                 "staged_items",
                                 {ColumnType::kVarchar, ColumnType::kVarchar, ColumnType::kVarchar,
                                  ColumnType::kVarchar, ColumnType::kVarchar, ColumnType::kVarchar,
                                  ColumnType::kVarchar, ColumnType::kDouble, ColumnType::kVarchar,
                                  ColumnType::kBigint, ColumnType::kBigint, ColumnType::kBigint}));
    ASSIGN_OR_RETURN(
        users_, conn_.CreateAppender("staged_users", {ColumnType::kVarchar, ColumnType::kVarchar,
                                                      ColumnType::kVarchar, ColumnType::kBigint,
                                                      ColumnType::kBigint, ColumnType::kBigint}));
    ASSIGN_OR_RETURN(quarantine_, conn_.CreateAppender("staged_quarantine",
                                                       {ColumnType::kBigint, ColumnType::kVarchar,
                                                        ColumnType::kVarchar, ColumnType::kVarchar,
                                                        ColumnType::kBlob}));
    return Status::OK();
  }

  Status Process(const FileTask& task, std::atomic<uint64_t>* bytes_done) {
    const config::SourceConfig& source = project_.sources[task.source_index];
    auto matches = title_maps_ ? title_maps_->find(task.source_index) : TitleMaps::const_iterator();
    RecordBuilder builder(source, title_maps_ && matches != title_maps_->end()
                                      ? matches->second
                                      : std::shared_ptr<const ItemIdMap>());
    ASSIGN_OR_RETURN(std::unique_ptr<ingest::RowReader> reader,
                     ingest::RowReader::Open(task.path, source.reader, builder.source_columns()));
    ingest::Row row;
    BuildOutput out;
    // Repeated metadata is skipped per file (see ItemChanged).
    item_memo_.Clear();
    user_memo_.Clear();
    uint64_t last_bytes = 0;
    uint64_t rows = 0;
    while (true) {
      StatusOr<bool> more = reader->Next(&row);
      if (!more.ok()) return more.status().WithContext("source '" + source.name + "'");
      if (!*more) break;
      ++rows;
      int64_t seq = (task.file_idx << kLineBits) | static_cast<int64_t>(row.line);
      if (row.error != ingest::RowError::kNone) {
        RETURN_IF_ERROR(Quarantine(task, seq, kUndated, ingest::RowErrorName(row.error),
                                   row.error_detail, row.raw));
      } else {
        builder.Build(row, &out);
        int64_t day = out.event_day ? *out.event_day : kUndated;
        if (out.rejection) {
          RETURN_IF_ERROR(
              Quarantine(task, seq, day, out.rejection->reason, out.rejection->detail, row.raw));
        } else {
          RETURN_IF_ERROR(Append(out, seq));
          counters_.raw[{task.source_index, day}]++;
          counters_.staged[{task.source_index, day}]++;
        }
      }
      if ((rows & 4095) == 0) {
        uint64_t b = reader->bytes_consumed();
        bytes_done->fetch_add(b - last_bytes, std::memory_order_relaxed);
        last_bytes = b;
      }
    }
    bytes_done->fetch_add(reader->bytes_consumed() - last_bytes, std::memory_order_relaxed);
    counters_.rows_per_file[task.file_idx] += rows;
    return Status::OK();
  }

  // Flushes the appenders and sorts this worker's event keys (on the
  // worker's own thread: the sorts run in parallel).
  Status Close() {
    std::sort(keys_.begin(), keys_.end());
    RETURN_IF_ERROR(events_.Close());
    RETURN_IF_ERROR(items_.Close());
    RETURN_IF_ERROR(users_.Close());
    return quarantine_.Close();
  }

  const Counters& counters() const { return counters_; }
  // The keys of the events staged, sorted after Close().
  std::vector<KeyedEvent>& keys() { return keys_; }
  // Title matches per source index ([matching]); must outlive Process().
  using TitleMaps = std::map<size_t, std::shared_ptr<const ItemIdMap>>;
  void set_title_maps(const TitleMaps* maps) { title_maps_ = maps; }

 private:
  Status Quarantine(const FileTask& task, int64_t seq, int64_t day, std::string_view reason,
                    const std::string& detail, std::string_view raw) {
    counters_.raw[{task.source_index, day}]++;
    counters_.quarantined[{{task.source_index, day}, std::string(reason)}]++;
    quarantine_.SetInt64(0, seq);
    quarantine_.SetString(1, reason);
    // The detail quotes values from the row: keep it valid UTF-8 for VARCHAR.
    if (ingest::IsValidUtf8(detail))
      quarantine_.SetString(2, detail);
    else
      quarantine_.SetString(2, "(detail not shown: it contains invalid UTF-8)");
    if (day == kUndated)
      quarantine_.SetNull(3);
    else
      quarantine_.SetString(3, ingest::FormatDate(day));
    quarantine_.SetString(4, raw.substr(0, kMaxRawBytes));
    return quarantine_.EndRow();
  }

  Status Append(const BuildOutput& out, int64_t seq) {
    if (out.has_event) {
      const BuiltEvent& e = out.event;
      events_.SetString(0, e.user_id);
      events_.SetString(1, e.item_id);
      events_.SetInt64(2, e.timestamp);
      events_.SetString(3, e.event_type);
      SetOpt(events_, 4, e.event_value);
      if (e.session_id.empty())
        events_.SetNull(5);
      else
        events_.SetString(5, e.session_id);
      events_.SetInt64(6, seq);
      keys_.push_back({EventKey(e), seq});
      RETURN_IF_ERROR(events_.EndRow());
    }
    if (out.has_item && ItemChanged(out.item)) {
      const BuiltItem& it = out.item;
      items_.SetString(0, it.item_id);
      SetOpt(items_, 1, it.title);
      SetOpt(items_, 2, it.description);
      SetOpt(items_, 3, it.category_l1);
      SetOpt(items_, 4, it.category_l2);
      SetOpt(items_, 5, it.category_l3);
      SetOpt(items_, 6, it.brand);
      SetOpt(items_, 7, it.price);
      SetOpt(items_, 8, it.available);
      SetOpt(items_, 9, it.creation_timestamp);
      SetOpt(items_, 10, it.updated_at);
      items_.SetInt64(11, seq);
      RETURN_IF_ERROR(items_.EndRow());
    }
    if (out.has_user && UserChanged(out.user)) {
      const BuiltUser& u = out.user;
      users_.SetString(0, u.user_id);
      SetOpt(users_, 1, u.segment);
      SetOpt(users_, 2, u.country);
      SetOpt(users_, 3, u.creation_timestamp);
      SetOpt(users_, 4, u.updated_at);
      users_.SetInt64(5, seq);
      RETURN_IF_ERROR(users_.EndRow());
    }
    return Status::OK();
  }

  // A 64-bit hash of every canonical field of an event: finding exact
  // duplicates is then a sort of 16-byte records (FindDuplicateCandidates)
  // instead of a GROUP BY over six columns in SQL. Equal keys only make
  // candidates; TransformBatch compares the candidates' fields, so distinct
  // events sharing a key stay distinct.
  uint64_t EventKey(const BuiltEvent& e) {
    if (all_keys_collide_) return 0;  // test hook: every event a candidate
    key_buffer_.clear();
    auto field = [&](std::string_view v) {
      uint32_t n = static_cast<uint32_t>(v.size());
      key_buffer_.append(reinterpret_cast<const char*>(&n), sizeof n);
      key_buffer_.append(v);
    };
    field(e.user_id);
    field(e.item_id);
    key_buffer_.append(reinterpret_cast<const char*>(&e.timestamp), sizeof e.timestamp);
    field(e.event_type);
    if (e.event_value) {
      double v = *e.event_value == 0 ? 0.0 : *e.event_value;  // -0.0 equals 0.0 in SQL
      key_buffer_.push_back(1);
      key_buffer_.append(reinterpret_cast<const char*>(&v), sizeof v);
    } else {
      key_buffer_.push_back(0);
    }
    field(e.session_id);
    return XXH3_64bits(key_buffer_.data(), key_buffer_.size());
  }

  // Metadata carried on event rows repeats on every event of an item. Only a
  // record whose values differ from the last one staged for the same id from
  // the same file is staged; each such record carries its event time as
  // UPDATED_AT, and the newest-wins merge in SQL picks the values of the
  // newest staged one. Per file (not per worker, whose files depend on
  // scheduling) so that the staged records, and so the lake, are the same on
  // every run. Approximate in one case, stated in docs/architecture.md: a
  // skipped repeat is newer than a different record of the item (events out
  // of time order in the file, or another file of the run with that item's
  // events in between) — the older values can then win.
  uint64_t Fingerprint(std::initializer_list<std::optional<std::string_view>> parts) {
    fp_buffer_.clear();
    for (const auto& p : parts) {
      // Length-prefixed, with a distinct marker for "absent".
      uint32_t n = p ? static_cast<uint32_t>(p->size()) : UINT32_MAX;
      fp_buffer_.append(reinterpret_cast<const char*>(&n), sizeof n);
      if (p) fp_buffer_.append(*p);
    }
    return XXH3_64bits(fp_buffer_.data(), fp_buffer_.size());
  }
  // Keyed by a hash of the id, and the id is part of the fingerprint: two ids
  // whose hashes collide do not pass for each other.
  bool Changed(FlatMemo& memo, std::string_view id, uint64_t fp) {
    return memo.Update(XXH3_64bits(id.data(), id.size()), fp);
  }
  template <typename T>
  static std::optional<std::string_view> Bytes(const std::optional<T>& v) {
    if (!v) return std::nullopt;
    return std::string_view(reinterpret_cast<const char*>(&*v), sizeof(T));
  }
  bool ItemChanged(const BuiltItem& it) {
    uint64_t fp = Fingerprint({it.item_id, it.title, it.description, it.category_l1, it.category_l2,
                               it.category_l3, it.brand, it.available, Bytes(it.price),
                               Bytes(it.creation_timestamp)});
    return Changed(item_memo_, it.item_id, fp);
  }
  bool UserChanged(const BuiltUser& u) {
    uint64_t fp = Fingerprint({u.user_id, u.segment, u.country, Bytes(u.creation_timestamp)});
    return Changed(user_memo_, u.user_id, fp);
  }

  const config::Project& project_;
  lake::Connection conn_;
  lake::Appender events_, items_, users_, quarantine_;
  Counters counters_;
  const TitleMaps* title_maps_ = nullptr;
  FlatMemo item_memo_, user_memo_;
  std::vector<KeyedEvent> keys_;
  const bool all_keys_collide_ = FaultInjected("event_keys_collide");
  std::string key_buffer_;
  std::string fp_buffer_;
};

// sum() of DOUBLE in parallel depends on the order rows arrive in, so the
// last bits could differ from run to run. Money and scores are summed as
// DECIMAL (exact, order-independent) so that the same input always gives the
// same lake, bit for bit.
std::string ExactSum(const std::string& expr, const std::string& filter = "") {
  std::string agg = "sum(CAST(" + expr + " AS DECIMAL(38, 9)))";
  if (!filter.empty()) agg += " FILTER (WHERE " + filter + ")";
  return "CAST(" + agg + " AS DOUBLE)";
}

// The sum of a count column, as BIGINT. Summed as DOUBLE: integers below
// 2^53 add exactly in any order, and a DOUBLE state is far cheaper for
// DuckDB's hash aggregate than the HUGEINT one sum(BIGINT) keeps (about 10%
// of the matrix step with four counts).
std::string CountSum(const std::string& col) {
  return "CAST(sum(CAST(" + col + " AS DOUBLE)) AS BIGINT) AS " + col;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

class EtlRun {
 public:
  EtlRun(const config::Project& project, const EtlRunOptions& options)
      : project_(project), options_(options) {}

  StatusOr<EtlResult> Run();

 private:
  void Log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }
  // etl.threads, or one per core when it is 0.
  size_t Threads() const {
    return project_.etl.threads > 0 ? static_cast<size_t>(project_.etl.threads)
                                    : std::max(1u, std::thread::hardware_concurrency());
  }
  Status Discover();
  Status CheckSchemas();
  // A large run is read in batches of files that fit the memory budget
  // (etl.batch_mb): each batch is staged, de-duplicated (within itself, and
  // against the lake and earlier batches) and written as interactions and
  // user_item_daily files; the all-time tables are built once, from every
  // batch's files, and the run commits once.
  std::vector<std::vector<const FileTask*>> Batches() const;
  Status RecordRunFiles();
  StatusOr<IngestedBatch> Ingest(const std::vector<const FileTask*>& batch, uint64_t bytes_before);
  Status TransformBatch(const IngestedBatch& ingested, size_t batch_no);
  Status TransformTotals();
  Status StageItemHistory();
  Status Reconcile();
  Status CommitAll();
  StatusOr<std::vector<std::string>> LiveFiles(const std::string& table,
                                               const std::set<std::string>* partitions = nullptr);
  StatusOr<uint64_t> Count(const std::string& sql);
  Status Stage(const std::string& table, const std::string& sql, std::string_view prefix = "");
  std::vector<std::string> StagedPaths(const std::string& table) const;

  const config::Project& project_;
  const EtlRunOptions& options_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<lake::Lake> lake_;
  std::unique_ptr<lake::Database> db_;
  std::optional<lake::Connection> conn_;
  std::vector<FileTask> tasks_;
  Counters counters_;
  EtlResult result_;
  int64_t run_id_ = 0;
  std::vector<lake::StagedFile> staged_;
  std::vector<std::string> removed_;
  std::set<std::string> affected_days_;  // "event_date=YYYY-MM-DD"
  std::vector<catalog::ReconRow> recon_;
  std::vector<catalog::QuarantineCount> reasons_;
  uint64_t staged_rows_ = 0;            // rows in staged_events before de-duplication
  std::map<DayKey, uint64_t> landed_;   // curated events per source and day
  uint64_t curated_[4] = {0, 0, 0, 0};  // curated events: all, views, adds-to-cart, purchases
  nlohmann::json stats_ = nlohmann::json::object();
  ItemMatching item_matching_;        // [matching]: title matches of this run's files
  bool batched_ = false;              // more than one batch of files
  bool days_in_two_batches_ = false;  // a day's events came in more than one batch
};

StatusOr<uint64_t> EtlRun::Count(const std::string& sql) {
  ASSIGN_OR_RETURN(std::optional<std::string> v, conn_->QueryScalar(sql));
  return v ? static_cast<uint64_t>(std::stoull(*v)) : 0;
}

StatusOr<std::vector<std::string>> EtlRun::LiveFiles(const std::string& table,
                                                     const std::set<std::string>* partitions) {
  ASSIGN_OR_RETURN(std::vector<catalog::LakeFile> files, catalog_->LiveFiles(table));
  std::vector<std::string> out;
  for (const auto& f : files) {
    if (partitions && !partitions->count(f.partition)) continue;
    out.push_back(lake_->root() + "/" + f.path);
  }
  return out;
}

std::vector<std::string> EtlRun::StagedPaths(const std::string& table) const {
  std::vector<std::string> out;
  for (const auto& f : staged_) {
    if (f.table == table) out.push_back(f.staged_path);
  }
  return out;
}

Status EtlRun::Stage(const std::string& table, const std::string& sql, std::string_view prefix) {
  const lake::TableDef* def = lake::FindTable(table);
  auto t0 = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(std::vector<lake::StagedFile> files,
                   lake_->Stage(*conn_, run_id_, *def, sql, project_.etl.compression, prefix));
  // Summed over the calls for one table (one per batch, or per pass).
  nlohmann::json& seconds = stats_["stage_seconds"][table];
  seconds = (seconds.is_number() ? seconds.get<double>() : 0.0) + Seconds(t0);
  for (auto& f : files) staged_.push_back(std::move(f));
  return Status::OK();
}

Status EtlRun::Discover() {
  int64_t file_idx = 0;
  for (size_t s = 0; s < project_.sources.size(); ++s) {
    const config::SourceConfig& source = project_.sources[s];
    const auto& only = options_.only_sources;
    if (!only.empty() && std::find(only.begin(), only.end(), source.name) == only.end()) continue;
    ASSIGN_OR_RETURN(std::vector<std::string> files, SourceFiles(project_, source));
    if (files.empty() && (source.type != config::SourceType::kFile || source.allow_empty)) {
      continue;  // empty table, or a log without segments yet
    }
    if (files.empty()) {
      return Status::NotFound("source '" + source.name + "': no file matches " +
                              ResolvePath(project_.dir, source.path));
    }
    ASSIGN_OR_RETURN(std::vector<catalog::FileRecord> done, catalog_->ProcessedFiles(source.name));
    std::map<std::string, const catalog::FileRecord*> by_path;
    for (const auto& d : done) by_path[d.path] = &d;
    for (const auto& f : files) {
      ASSIGN_OR_RETURN(FileStat st, StatFile(f));
      auto it = by_path.find(f);
      if (it != by_path.end() && it->second->size == st.size && it->second->mtime_ns == st.mtime_ns)
        continue;
      if (it != by_path.end())
        Log("source '" + source.name + "': " + f +
            " changed since it was processed; reading it again");
      tasks_.push_back({s, ++file_idx, f, st});
      result_.input_bytes += st.size;
    }
  }
  result_.files = static_cast<int>(tasks_.size());
  return Status::OK();
}

Status EtlRun::CheckSchemas() {
  // DuckDB's sniffer is the slow part (tens of ms a file, mostly one core):
  // the files are sniffed on parallel connections first, then compared with
  // the catalog one by one, in discovery order.
  std::vector<const FileTask*> todo;
  for (const auto& t : tasks_) {
    if (t.stat.size > 0) todo.push_back(&t);  // nothing to infer; the reader accounts for it
  }
  std::vector<StatusOr<std::vector<catalog::ColumnSchema>>> inferred(
      todo.size(), Status::Internal("not inferred"));
  size_t threads = std::min(todo.size(), Threads());
  std::vector<lake::Connection> conns;
  for (size_t i = 0; i < threads; ++i) {
    ASSIGN_OR_RETURN(lake::Connection c, db_->Connect());
    conns.push_back(std::move(c));
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (size_t i = 0; i < threads; ++i) {
    pool.emplace_back([&, i] {
      for (size_t k = next.fetch_add(1); k < todo.size(); k = next.fetch_add(1)) {
        inferred[k] = InferSchema(conns[i], project_.sources[todo[k]->source_index], todo[k]->path);
      }
    });
  }
  for (auto& t : pool) t.join();

  for (size_t s = 0; s < project_.sources.size(); ++s) {
    const config::SourceConfig& source = project_.sources[s];
    RETURN_IF_ERROR(
        catalog_->UpsertSource(source.name, std::string(config::SourceKindName(source.kind)),
                               source.path, std::string(ingest::FormatName(source.reader.format))));
    for (size_t k = 0; k < todo.size(); ++k) {
      if (todo[k]->source_index != s) continue;
      if (!inferred[k].ok()) {
        // The sniffer could not read it (e.g. garbage throughout): the row
        // reader will quarantine what it cannot parse.
        Log("warning: " + inferred[k].status().message());
        continue;
      }
      StatusOr<CrawlFinding> f =
          ApplySchema(*catalog_, source, todo[k]->path, std::move(*inferred[k]));
      if (!f.ok()) return f.status();
      for (const auto& line : f->ChangeLines()) Log(line);
      result_.schema.push_back(std::move(*f));
    }
  }
  return Status::OK();
}

std::vector<std::vector<const FileTask*>> EtlRun::Batches() const {
  uint64_t budget = options_.batch_bytes;
  if (budget == 0 && project_.etl.batch_mb > 0)
    budget = static_cast<uint64_t>(project_.etl.batch_mb) << 20;
  if (budget == 0) {
    // Twice the buffer pool's worth of input. A staged event takes about
    // half its JSON line, and a batch spills gracefully; what batches cost
    // is the work across them (daily_item_stats over days two batches
    // touched, de-duplication against earlier batches). Measured with a
    // 1 GB pool (docs/benchmarks.md): 13M events (2.4 GB) ran 50.6 s in one
    // batch at 1.58 GB peak RSS, 60.3 s in two; the readers' event keys
    // (16 bytes an event, outside the pool) bound the batch from above.
    budget = 2 * std::max<uint64_t>(
                     config::ParseByteSize(project_.etl.memory_limit).value_or(uint64_t{1} << 30),
                     uint64_t{256} << 20);
  }
  // Files in discovery order (source, then path: daily files stay together).
  std::vector<std::vector<const FileTask*>> batches(1);
  uint64_t bytes = 0;
  for (const auto& t : tasks_) {
    if (!batches.back().empty() && bytes + t.stat.size > budget) {
      batches.emplace_back();
      bytes = 0;
    }
    batches.back().push_back(&t);
    bytes += t.stat.size;
  }
  return batches;
}

Status EtlRun::RecordRunFiles() {
  ASSIGN_OR_RETURN(lake::Appender files,
                   conn_->CreateAppender("run_files", {ColumnType::kBigint, ColumnType::kVarchar,
                                                       ColumnType::kVarchar}));
  for (const auto& t : tasks_) {
    files.SetInt64(0, t.file_idx);
    files.SetString(1, project_.sources[t.source_index].name);
    // Lineage names the file relative to the project, so a lake moved with
    // its project (or built in another checkout) reads the same.
    files.SetString(2, RelativeToProject(project_, t.path));
    RETURN_IF_ERROR(files.EndRow());
  }
  return files.Close();
}

StatusOr<IngestedBatch> EtlRun::Ingest(const std::vector<const FileTask*>& batch,
                                       uint64_t bytes_before) {
  // Large files first so that the threads finish together.
  std::vector<const FileTask*> queue = batch;
  std::stable_sort(queue.begin(), queue.end(), [](const FileTask* a, const FileTask* b) {
    return a->stat.size > b->stat.size;
  });

  size_t threads = std::max<size_t>(1, std::min(Threads(), queue.size()));
  std::vector<std::unique_ptr<IngestWorker>> workers;
  for (size_t i = 0; i < threads; ++i) {
    ASSIGN_OR_RETURN(lake::Connection c, db_->Connect());
    workers.push_back(std::make_unique<IngestWorker>(project_, std::move(c)));
    workers.back()->set_title_maps(&item_matching_.maps);
    RETURN_IF_ERROR(workers.back()->Open());
  }
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> bytes_done{bytes_before};
  std::atomic<bool> failed{false};
  std::atomic<size_t> finished{0};  // workers done
  std::vector<Status> statuses(threads);
  std::vector<std::thread> pool;
  for (size_t i = 0; i < threads; ++i) {
    pool.emplace_back([&, i] {
      while (!failed.load()) {
        size_t k = next.fetch_add(1);
        if (k >= queue.size()) break;
        Status s = workers[i]->Process(*queue[k], &bytes_done);
        if (!s.ok()) {
          statuses[i] = s;
          failed = true;
        }
      }
      Status c = workers[i]->Close();
      if (statuses[i].ok() && !c.ok()) {
        statuses[i] = c;
        failed = true;
      }
      finished.fetch_add(1);
    });
  }
  if (options_.progress) {
    // Report every 200 ms until every worker has finished.
    while (finished.load() < threads) {
      options_.progress(bytes_done.load(), result_.input_bytes);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  for (auto& t : pool) t.join();
  if (options_.progress) options_.progress(bytes_done.load(), result_.input_bytes);
  for (const auto& s : statuses) RETURN_IF_ERROR(s);
  IngestedBatch out;
  std::vector<const std::vector<KeyedEvent>*> keys;
  for (const auto& w : workers) {
    out.counters.Merge(w->counters());
    keys.push_back(&w->keys());
  }
  out.duplicate_candidates = FindDuplicateCandidates(keys);
  return out;
}

Status EtlRun::TransformBatch(const IngestedBatch& ingested, size_t batch_no) {
  const Counters& batch = ingested.counters;
  const int64_t gap = static_cast<int64_t>(project_.etl.session_gap_minutes) * 60;
  const std::string shift = std::to_string(kLineBits);
  const std::string mask = std::to_string((int64_t{1} << kLineBits) - 1);
  const std::string event_date = "CAST(make_timestamp(TS * 1000000) AS DATE)";
  // Several batches write several files per partition: name them apart.
  const std::string prefix = batched_ ? "b" + std::to_string(batch_no) : "";

  auto step_start = std::chrono::steady_clock::now();
  // Everything the readers handed over must be in the staging table.
  ASSIGN_OR_RETURN(uint64_t staged_rows, Count("SELECT count(*) FROM staged_events"));
  staged_rows_ += staged_rows;

  // 1. Exact duplicates within the batch: of the events equal in every
  //    canonical field, all but the earliest (file, line) go. Only events
  //    whose key another event shares can be equal (FindDuplicateCandidates);
  //    their fields decide, so a hash collision never merges distinct events.
  if (!ingested.duplicate_candidates.empty()) {
    RETURN_IF_ERROR(conn_->Execute("CREATE TABLE dup_candidates (SEQ BIGINT)"));
    {
      ASSIGN_OR_RETURN(lake::Appender dup,
                       conn_->CreateAppender("dup_candidates", {ColumnType::kBigint}));
      for (int64_t seq : ingested.duplicate_candidates) {
        dup.SetInt64(0, seq);
        RETURN_IF_ERROR(dup.EndRow());
      }
      RETURN_IF_ERROR(dup.Close());
    }
    // PARTITION BY groups NULLs together: the same equality as DISTINCT.
    RETURN_IF_ERROR(conn_->Execute(
        "DELETE FROM staged_events WHERE SEQ IN (SELECT SEQ FROM ("
        "  SELECT SEQ, min(SEQ) OVER (PARTITION BY USER_ID, ITEM_ID, TS, EVENT_TYPE, EVENT_VALUE, "
        "SESSION_ID) AS KEEP FROM staged_events WHERE SEQ IN (SELECT SEQ FROM dup_candidates)) "
        "WHERE SEQ <> KEEP)"));
    RETURN_IF_ERROR(conn_->Execute("DROP TABLE dup_candidates"));
  }
  // 2. …and against the lake: events already in the partitions this batch
  //    touches (a file delivered twice, a file that grew), and in what
  //    earlier batches of this run staged there. An event without a session
  //    in its source matches the same event with a derived session.
  std::set<std::string> batch_days;
  for (const auto& [key, n] : batch.staged) {
    auto kind = project_.sources[key.source].kind;
    if ((kind == config::SourceKind::kEvents || kind == config::SourceKind::kTransactions) &&
        key.day != kUndated) {
      batch_days.insert("event_date=" + ingest::FormatDate(key.day));
    }
  }
  for (const auto& d : batch_days) {
    if (!affected_days_.insert(d).second) days_in_two_batches_ = true;
  }
  ASSIGN_OR_RETURN(std::vector<std::string> existing, LiveFiles("interactions", &batch_days));
  for (const auto& f : staged_) {
    if (f.table == "interactions" && batch_days.count(f.partition))
      existing.push_back(f.staged_path);
  }
  if (!existing.empty()) {
    RETURN_IF_ERROR(conn_->Execute(
        "DELETE FROM staged_events USING (SELECT USER_ID, ITEM_ID, \"TIMESTAMP\", EVENT_TYPE, "
        "EVENT_VALUE, "
        "SESSION_ID FROM read_parquet(" +
        lake::SqlFileList(existing) +
        ")) old "
        "WHERE staged_events.USER_ID = old.USER_ID AND staged_events.ITEM_ID = old.ITEM_ID AND "
        "staged_events.TS = old.\"TIMESTAMP\" AND staged_events.EVENT_TYPE = old.EVENT_TYPE AND "
        "staged_events.EVENT_VALUE IS NOT DISTINCT FROM old.EVENT_VALUE AND "
        "(staged_events.SESSION_ID IS NULL OR staged_events.SESSION_ID = old.SESSION_ID)"));
  }
  // 3. Sessions for events whose source has none: a new session after an
  //    inactivity gap; id = user@start-time, stable for the same events.
  ASSIGN_OR_RETURN(uint64_t sessionless,
                   Count("SELECT count(*) FROM staged_events WHERE SESSION_ID IS NULL"));
  if (sessionless > 0) {
    RETURN_IF_ERROR(conn_->Execute(
        "UPDATE staged_events SET SESSION_ID = d.SID FROM ("
        "  SELECT SEQ, USER_ID || '@' || CAST(max(START) OVER (PARTITION BY USER_ID ORDER BY TS, "
        "SEQ "
        "    ROWS UNBOUNDED PRECEDING) AS VARCHAR) AS SID FROM ("
        "    SELECT SEQ, USER_ID, TS, CASE WHEN lag(TS) OVER w IS NULL OR TS - lag(TS) OVER w > " +
        std::to_string(gap) +
        " THEN TS END AS START FROM staged_events WHERE SESSION_ID IS NULL "
        "    WINDOW w AS (PARTITION BY USER_ID ORDER BY TS, SEQ))) d "
        "WHERE staged_events.SEQ = d.SEQ"));
  }

  stats_["dedupe_seconds"] = stats_.value("dedupe_seconds", 0.0) + Seconds(step_start);

  // 4. interactions: append-only, one new file per touched partition.
  RETURN_IF_ERROR(Stage("interactions",
                        "SELECT USER_ID, ITEM_ID, TS AS \"TIMESTAMP\", EVENT_TYPE, EVENT_VALUE, "
                        "SESSION_ID, f.SOURCE, "
                        "f.PATH AS SOURCE_FILE, SEQ & " +
                            mask + " AS SOURCE_ROW, " + event_date +
                            " AS event_date "
                            "FROM staged_events e JOIN run_files f ON f.FILE_IDX = e.SEQ >> " +
                            shift,
                        prefix));

  // 5. user_item_daily: this run's events per day, user and item (a delta:
  //    readers sum over runs), written straight from the aggregate. The
  //    tables below read it back from the staged files (uid_new, see
  //    TransformTotals): cheaper than holding 5M groups in the pool beside
  //    the staging table, and the same path for one batch or many.
  std::string weight = "CASE EVENT_TYPE";
  for (const auto& [type, w] : project_.matrix.weights) {
    weight += " WHEN " + SqlString(type) + " THEN CAST(" + std::to_string(w) + " AS DOUBLE)";
  }
  weight += " ELSE CAST(0 AS DOUBLE) END";
  if (project_.matrix.weights.empty()) weight = "CAST(0 AS DOUBLE)";
  RETURN_IF_ERROR(
      Stage("user_item_daily",
            "SELECT USER_ID, ITEM_ID, count(*) FILTER (WHERE EVENT_TYPE = 'view') AS VIEWS, "
            "count(*) FILTER (WHERE EVENT_TYPE = 'add_to_cart') AS ADD_TO_CARTS, "
            "count(*) FILTER (WHERE EVENT_TYPE = 'purchase') AS PURCHASES, count(*) AS EVENTS, "
            "coalesce(" +
                ExactSum("EVENT_VALUE", "EVENT_TYPE = 'purchase'") + ", 0) AS REVENUE, " +
                ExactSum(weight) + " AS SCORE_RAW, min(TS) AS FIRST_TS, max(TS) AS LAST_TS, " +
                std::to_string(run_id_) + "::BIGINT AS RUN_ID, " + event_date +
                " AS event_date "
                "FROM staged_events GROUP BY event_date, USER_ID, ITEM_ID",
            prefix));
  // What reconciliation needs from the curated events, counted now so that
  // the staging table (the largest thing in memory) can go before the
  // aggregations below.
  ASSIGN_OR_RETURN(
      lake::QueryResult landed,
      conn_->Query(
          "SELECT SEQ >> " + shift +
          ", CAST(floor(TS / 86400) AS BIGINT), count(*), "
          "count(*) FILTER (WHERE EVENT_TYPE = 'view'), count(*) FILTER (WHERE EVENT_TYPE = "
          "'add_to_cart'), "
          "count(*) FILTER (WHERE EVENT_TYPE = 'purchase') FROM staged_events GROUP BY ALL"));
  std::map<int64_t, size_t> file_source;
  for (const auto& t : tasks_) file_source[t.file_idx] = t.source_index;
  for (size_t i = 0; i < landed.row_count(); ++i) {
    landed_[{file_source[landed.GetInt64(0, i)], landed.GetInt64(1, i)}] +=
        static_cast<uint64_t>(landed.GetInt64(2, i));
    for (int k = 0; k < 4; ++k) curated_[k] += static_cast<uint64_t>(landed.GetInt64(2 + k, i));
  }
  return conn_->Execute("DROP TABLE staged_events");
}

Status EtlRun::TransformTotals() {
  const std::string shift = std::to_string(kLineBits);
  const std::string mask = std::to_string((int64_t{1} << kLineBits) - 1);
  const lake::TableDef& uid = *lake::FindTable("user_item_daily");
  constexpr char kUidColumns[] =
      "USER_ID, ITEM_ID, VIEWS, ADD_TO_CARTS, PURCHASES, EVENTS, REVENUE, SCORE_RAW, FIRST_TS, "
      "LAST_TS, "
      "RUN_ID, event_date";
  // This run's user_item_daily files, every batch's.
  RETURN_IF_ERROR(conn_->Execute("CREATE VIEW uid_new AS SELECT " + std::string(kUidColumns) +
                                 " FROM " +
                                 lake::FilesRelation(uid, StagedPaths("user_item_daily"))));
  const std::string count_sums = CountSum("VIEWS") + ", " + CountSum("ADD_TO_CARTS") + ", " +
                                 CountSum("PURCHASES") + ", " + CountSum("EVENTS");
  auto with_new = [&](const std::vector<std::string>& live) {
    return "(SELECT " + std::string(kUidColumns) + " FROM " + lake::FilesRelation(uid, live) +
           " UNION ALL SELECT " + kUidColumns + " FROM uid_new)";
  };

  // 6. daily_item_stats: recomputed for the days this run touched.
  if (!affected_days_.empty()) {
    ASSIGN_OR_RETURN(std::vector<std::string> uid_days,
                     LiveFiles("user_item_daily", &affected_days_));
    // One batch's rows are unique per (day, user, item): when no earlier run
    // or other batch touched these days, counting rows counts distinct users.
    // Otherwise the pairs are summed first: a two-level GROUP BY spills to
    // disk, where count(DISTINCT) per group would have to fit in memory.
    std::string rel = with_new(uid_days);
    if (!uid_days.empty() || days_in_two_batches_) {
      rel = "(SELECT event_date, ITEM_ID, USER_ID, " + count_sums +
            ", "
            "sum(CAST(REVENUE AS DECIMAL(38, 9))) AS REVENUE FROM " +
            rel + " GROUP BY event_date, ITEM_ID, USER_ID)";
    }
    RETURN_IF_ERROR(
        Stage("daily_item_stats", "SELECT ITEM_ID, " + count_sums + ", " + ExactSum("REVENUE") +
                                      " AS REVENUE, count(*) AS USERS, event_date FROM " + rel +
                                      " GROUP BY event_date, ITEM_ID"));
    ASSIGN_OR_RETURN(std::vector<catalog::LakeFile> old_stats,
                     catalog_->LiveFiles("daily_item_stats"));
    for (const auto& f : old_stats) {
      if (affected_days_.count(f.partition)) removed_.push_back(f.path);
    }
  }

  // 7. interaction_matrix: all time, from user_item_daily, with time decay
  //    measured from the newest event in the lake.
  ASSIGN_OR_RETURN(std::vector<std::string> uid_live, LiveFiles("user_item_daily"));
  std::string score = "SCORE_RAW";
  if (project_.matrix.half_life_days > 0) {
    // The reference time, computed once: as a CTE referenced twice DuckDB
    // would materialise the whole union to evaluate it.
    ASSIGN_OR_RETURN(
        std::optional<std::string> ref,
        conn_->QueryScalar("SELECT coalesce(max(LAST_TS), 0) FROM " + with_new(uid_live)));
    score = "SCORE_RAW * pow(0.5, (" + ref.value_or("0") + " - LAST_TS) / 86400.0 / " +
            std::to_string(project_.matrix.half_life_days) + ")";
  }
  RETURN_IF_ERROR(Stage("interaction_matrix",
                        "SELECT USER_ID, ITEM_ID, " + count_sums + ", " + ExactSum("REVENUE") +
                            " AS REVENUE, "
                            "min(FIRST_TS) AS FIRST_TS, max(LAST_TS) AS LAST_TS, " +
                            ExactSum(score) +
                            " AS SCORE "
                            "FROM " +
                            with_new(uid_live) + " GROUP BY USER_ID, ITEM_ID"));
  ASSIGN_OR_RETURN(std::vector<catalog::LakeFile> old_matrix,
                   catalog_->LiveFiles("interaction_matrix"));
  for (const auto& f : old_matrix) removed_.push_back(f.path);

  // 8. items and users: the newest non-null value of each field wins.
  //    Ordering key: event time of the record, then this run over earlier
  //    ones, then file and line.
  ASSIGN_OR_RETURN(std::string items_rel, lake_->TableRelation(*lake::FindTable("items")));
  auto pick = [](const char* col) {
    return std::string("arg_max(") + col + ", K) FILTER (WHERE " + col + " IS NOT NULL) AS " + col;
  };
  RETURN_IF_ERROR(Stage("items",
                        "WITH recs AS ("
                        "  SELECT ITEM_ID, TITLE, DESCRIPTION, CATEGORY_L1, CATEGORY_L2, "
                        "CATEGORY_L3, BRAND, PRICE, AVAILABLE, "
                        "    CREATION_TIMESTAMP, UPDATED_AT, SOURCE, (coalesce(UPDATED_AT, "
                        "0)::HUGEINT << 66) AS K FROM " +
                            items_rel +
                            "  UNION ALL "
                            "  SELECT s.ITEM_ID, TITLE, DESCRIPTION, CATEGORY_L1, CATEGORY_L2, "
                            "CATEGORY_L3, BRAND, PRICE, AVAILABLE, "
                            "    CREATION_TIMESTAMP, UPDATED_AT, f.SOURCE, (coalesce(UPDATED_AT, "
                            "0)::HUGEINT << 66) + (1::HUGEINT << 64) + SEQ "
                            "  FROM staged_items s JOIN run_files f ON f.FILE_IDX = s.SEQ >> " +
                            shift +
                            "  UNION ALL "
                            "  SELECT DISTINCT ITEM_ID, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
                            "NULL, NULL, NULL, NULL, -1::HUGEINT FROM uid_new"
                            ") SELECT ITEM_ID, " +
                            pick("TITLE") + ", " + pick("DESCRIPTION") + ", " +
                            pick("CATEGORY_L1") + ", " + pick("CATEGORY_L2") + ", " +
                            pick("CATEGORY_L3") + ", " + pick("BRAND") + ", " + pick("PRICE") +
                            ", " + pick("AVAILABLE") + ", " + pick("CREATION_TIMESTAMP") +
                            ", max(UPDATED_AT) AS UPDATED_AT, " +
                            "arg_max(SOURCE, K) FILTER (WHERE SOURCE IS NOT NULL) AS SOURCE FROM "
                            "recs GROUP BY ITEM_ID"));
  ASSIGN_OR_RETURN(std::vector<catalog::LakeFile> old_items, catalog_->LiveFiles("items"));
  for (const auto& f : old_items) removed_.push_back(f.path);
  RETURN_IF_ERROR(StageItemHistory());

  ASSIGN_OR_RETURN(std::string users_rel, lake_->TableRelation(*lake::FindTable("users")));
  RETURN_IF_ERROR(
      Stage("users",
            "WITH recs AS ("
            "  SELECT USER_ID, SEGMENT, COUNTRY, CREATION_TIMESTAMP, FIRST_SEEN, LAST_SEEN, "
            "UPDATED_AT, SOURCE, "
            "    (coalesce(UPDATED_AT, 0)::HUGEINT << 66) AS K FROM " +
                users_rel +
                "  UNION ALL "
                "  SELECT s.USER_ID, SEGMENT, COUNTRY, CREATION_TIMESTAMP, NULL, NULL, UPDATED_AT, "
                "f.SOURCE, "
                "    (coalesce(UPDATED_AT, 0)::HUGEINT << 66) + (1::HUGEINT << 64) + SEQ "
                "  FROM staged_users s JOIN run_files f ON f.FILE_IDX = s.SEQ >> " +
                shift +
                "  UNION ALL "
                "  SELECT USER_ID, NULL, NULL, NULL, min(FIRST_TS), max(LAST_TS), NULL, NULL, "
                "-1::HUGEINT FROM uid_new GROUP BY USER_ID"
                ") SELECT USER_ID, " +
                pick("SEGMENT") + ", " + pick("COUNTRY") + ", " + pick("CREATION_TIMESTAMP") +
                ", min(FIRST_SEEN) AS FIRST_SEEN, max(LAST_SEEN) AS LAST_SEEN, max(UPDATED_AT) AS "
                "UPDATED_AT, "
                "arg_max(SOURCE, K) FILTER (WHERE SOURCE IS NOT NULL) AS SOURCE FROM recs GROUP BY "
                "USER_ID"));
  ASSIGN_OR_RETURN(std::vector<catalog::LakeFile> old_users, catalog_->LiveFiles("users"));
  for (const auto& f : old_users) removed_.push_back(f.path);

  // 9. quarantine, partitioned by the day of the run.
  RETURN_IF_ERROR(Stage("quarantine",
                        "SELECT f.SOURCE, f.PATH AS SOURCE_FILE, q.SEQ & " + mask +
                            " AS SOURCE_ROW, REASON, DETAIL, "
                            "EVENT_DATE, RAW, " +
                            std::to_string(run_id_) +
                            " AS RUN_ID, current_date AS ingest_date "
                            "FROM staged_quarantine q JOIN run_files f ON f.FILE_IDX = q.SEQ >> " +
                            shift));
  return Status::OK();
}

// item_history: this run's item records, less those that repeat the item's
// previous record (a daily full catalog dump adds only what changed). A
// record without UPDATED_AT holds from the newest event time in the lake
// (when recmart learned it, in data time: deterministic for the same input);
// an item's very first record holds for all earlier time as well.
//
// The comparison with the previous record is a window per item over every
// record of the run; only narrow rows (id, order key, value hash) go through
// it, and a large run does it in passes over disjoint hash ranges of item
// ids, each sized to the memory limit: a window does not spill well.
Status EtlRun::StageItemHistory() {
  const std::string shift = std::to_string(kLineBits);
  const lake::TableDef& mat = *lake::FindTable("interaction_matrix");
  ASSIGN_OR_RETURN(std::optional<std::string> newest,
                   conn_->QueryScalar("SELECT max(LAST_TS) FROM " +
                                      lake::FilesRelation(mat, StagedPaths("interaction_matrix"))));
  const std::string known_at = newest ? *newest : "NULL";
  ASSIGN_OR_RETURN(std::string history_rel, lake_->TableRelation(*lake::FindTable("item_history")));
  constexpr char kFields[] =
      "TITLE, DESCRIPTION, CATEGORY_L1, CATEGORY_L2, CATEGORY_L3, BRAND, PRICE, AVAILABLE, "
      "CREATION_TIMESTAMP";
  const std::string run = std::to_string(run_id_);
  // Order of an item's records: UPDATED_AT, then run, then place in the input.
  auto key = [](const std::string& run_id, const std::string& seq) {
    return "(coalesce(UPDATED_AT, 0)::HUGEINT << 88) + (" + run_id + "::HUGEINT << 64) + " + seq;
  };

  ASSIGN_OR_RETURN(uint64_t records, Count("SELECT count(*) FROM staged_items"));
  const uint64_t memory =
      config::ParseByteSize(project_.etl.memory_limit).value_or(uint64_t{1} << 30);
  // 250 bytes per record for the window and its sort: an estimate with headroom
  // (at 100M events, 4 passes of about 4M records each ran within 1 GB).
  const uint64_t per_pass = options_.history_records_per_pass > 0
                                ? options_.history_records_per_pass
                                : std::max<uint64_t>(memory / 250, 100000);
  const uint64_t passes = std::max<uint64_t>(1, (records + per_pass - 1) / per_pass);
  stats_["item_history_passes"] = passes;
  for (uint64_t pass = 0; pass < passes; ++pass) {
    const std::string in_pass =
        passes == 1 ? "true"
                    : "hash(ITEM_ID) % " + std::to_string(passes) + " = " + std::to_string(pass);
    const std::string sql =
        // The item's newest record in the lake, to compare the first new one with.
        "WITH prev AS (SELECT ITEM_ID, hash(" + std::string(kFields) + ") AS H, " +
        key("RUN_ID", "RECORD_SEQ") + " AS K, false AS NEW, NULL::BIGINT AS SEQ FROM " +
        history_rel + " WHERE " + in_pass +
        " AND ITEM_ID IN (SELECT ITEM_ID FROM staged_items WHERE " + in_pass +
        ") QUALIFY row_number() OVER (PARTITION BY ITEM_ID ORDER BY K DESC) = 1), "
        "recs AS (SELECT * FROM prev UNION ALL SELECT ITEM_ID, hash(" +
        kFields + "), " + key(run, "SEQ") + ", true, SEQ FROM staged_items WHERE " + in_pass +
        "), "
        "marked AS (SELECT SEQ, NEW, H, lag(H) OVER w AS PREV_H, row_number() OVER w AS N, "
        "bool_or(NOT NEW) OVER (PARTITION BY ITEM_ID) AS SEEN FROM recs "
        "WINDOW w AS (PARTITION BY ITEM_ID ORDER BY K)) "
        "SELECT s.ITEM_ID, " +
        kFields +
        ", s.UPDATED_AT, CASE WHEN NOT m.SEEN AND m.N = 1 THEN NULL ELSE coalesce(s.UPDATED_AT, " +
        known_at + ") END AS EFFECTIVE_TS, f.SOURCE, " + run +
        "::BIGINT AS RUN_ID, s.SEQ AS RECORD_SEQ FROM marked m JOIN staged_items s ON s.SEQ = "
        "m.SEQ JOIN run_files f ON f.FILE_IDX = s.SEQ >> " +
        shift + " WHERE m.NEW AND (m.PREV_H IS NULL OR m.H <> m.PREV_H) ORDER BY s.ITEM_ID, m.SEQ";
    RETURN_IF_ERROR(Stage("item_history", sql, passes == 1 ? "" : "p" + std::to_string(pass)));
  }
  return Status::OK();
}

Status EtlRun::Reconcile() {
  std::string problems;
  // What the readers handed over is what the staging table held.
  uint64_t staged_events = 0;
  for (const auto& [k, v] : counters_.staged) {
    auto kind = project_.sources[k.source].kind;
    if (kind == config::SourceKind::kEvents || kind == config::SourceKind::kTransactions)
      staged_events += v;
  }
  if (staged_events != staged_rows_) {
    problems += " staged " + std::to_string(staged_rows_) + " events, readers produced " +
                std::to_string(staged_events) + ";";
  }
  // Rows that landed, per source and day (counted in Transform).
  std::map<DayKey, uint64_t> accepted = landed_;
  // Items and users sources: every staged record is accepted (undated).
  for (const auto& [k, v] : counters_.staged) {
    auto kind = project_.sources[k.source].kind;
    if (kind == config::SourceKind::kItems || kind == config::SourceKind::kUsers) accepted[k] += v;
  }

  std::set<DayKey> keys;
  for (const auto& [k, v] : counters_.raw) keys.insert(k);
  for (const auto& [k, v] : accepted) keys.insert(k);
  std::map<DayKey, uint64_t> quarantined;
  for (const auto& [k, v] : counters_.quarantined) {
    quarantined[k.first] += v;
    reasons_.push_back(
        {run_id_, project_.sources[k.first.source].name, DayString(k.first.day), k.second, v});
  }
  for (const auto& k : keys) {
    catalog::ReconRow row;
    row.run_id = run_id_;
    row.source = project_.sources[k.source].name;
    row.day = DayString(k.day);
    row.raw = counters_.raw[k];
    row.accepted = accepted[k];
    row.quarantined = quarantined[k];
    uint64_t staged = counters_.staged[k];
    if (staged < row.accepted) {
      problems += " " + row.source + "/" + row.day + ": more accepted than read;";
    } else {
      row.duplicates = staged - row.accepted;
    }
    if (row.raw != row.accepted + row.quarantined + row.duplicates) {
      problems += " " + row.source + "/" + row.day + ": raw " + std::to_string(row.raw) +
                  " != accepted " + std::to_string(row.accepted) + " + quarantined " +
                  std::to_string(row.quarantined) + " + duplicates " +
                  std::to_string(row.duplicates) + ";";
    }
    result_.raw_rows += row.raw;
    result_.accepted += row.accepted;
    result_.quarantined += row.quarantined;
    result_.duplicates += row.duplicates;
    recon_.push_back(row);
  }
  uint64_t total_rows = 0;
  for (const auto& [f, n] : counters_.rows_per_file) total_rows += n;
  if (total_rows != result_.raw_rows) {
    problems += " rows read " + std::to_string(total_rows) + " != rows reconciled " +
                std::to_string(result_.raw_rows) + ";";
  }

  // The matrix must hold exactly the curated events: this run's delta per
  // event type, and the all-time totals against every interaction in the lake.
  ASSIGN_OR_RETURN(
      lake::QueryResult delta,
      conn_->Query("SELECT coalesce(sum(EVENTS), 0), coalesce(sum(VIEWS), 0), "
                   "coalesce(sum(ADD_TO_CARTS), 0), coalesce(sum(PURCHASES), 0) FROM uid_new"));
  const char* names[] = {"events", "views", "add_to_carts", "purchases"};
  for (int i = 0; i < 4; ++i) {
    if (static_cast<uint64_t>(delta.GetInt64(i, 0)) != curated_[i]) {
      problems += std::string(" matrix delta ") + names[i] + ": " +
                  std::to_string(delta.GetInt64(i, 0)) + " != curated " +
                  std::to_string(curated_[i]) + ";";
    }
  }
  ASSIGN_OR_RETURN(std::vector<catalog::LakeFile> live_interactions,
                   catalog_->LiveFiles("interactions"));
  uint64_t lake_events = curated_[0];
  for (const auto& f : live_interactions) lake_events += f.rows;
  const lake::TableDef& mat = *lake::FindTable("interaction_matrix");
  ASSIGN_OR_RETURN(uint64_t matrix_events,
                   Count("SELECT coalesce(sum(EVENTS), 0) FROM " +
                         lake::FilesRelation(mat, StagedPaths("interaction_matrix"))));
  if (matrix_events != lake_events) {
    problems += " matrix total events " + std::to_string(matrix_events) +
                " != interactions in the lake " + std::to_string(lake_events) + ";";
  }
  for (const auto& f : staged_) {
    if (f.table == "interaction_matrix") result_.matrix_rows += f.rows;
    if (f.table == "items") result_.items += f.rows;
    if (f.table == "users") result_.users += f.rows;
  }
  stats_["matrix_events"] = matrix_events;
  stats_["lake_events"] = lake_events;
  if (!problems.empty()) {
    return Status::DataLoss("reconciliation failed, nothing committed:" + problems);
  }
  return Status::OK();
}

Status EtlRun::CommitAll() {
  catalog::RunCommit commit;
  commit.run_id = run_id_;
  for (const auto& t : tasks_) {
    catalog::FileRecord f;
    f.source = project_.sources[t.source_index].name;
    f.path = t.path;
    f.size = t.stat.size;
    f.mtime_ns = t.stat.mtime_ns;
    f.rows = counters_.rows_per_file[t.file_idx];
    commit.files.push_back(std::move(f));
  }
  commit.reconciliation = recon_;
  commit.reasons = reasons_;
  commit.removed = removed_;
  stats_["files"] = result_.files;
  stats_["input_bytes"] = result_.input_bytes;
  stats_["raw_rows"] = result_.raw_rows;
  stats_["accepted"] = result_.accepted;
  stats_["quarantined"] = result_.quarantined;
  stats_["duplicates"] = result_.duplicates;
  stats_["items"] = result_.items;
  stats_["users"] = result_.users;
  stats_["matrix_rows"] = result_.matrix_rows;
  commit.stats_json = stats_.dump();
  return lake_->Commit(std::move(commit), staged_);
}

StatusOr<EtlResult> EtlRun::Run() {
  auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(catalog_, catalog::Catalog::Open(project_.catalog_path));
  ASSIGN_OR_RETURN(lake_, lake::Lake::Open(project_.lake_root, catalog_.get()));
  ASSIGN_OR_RETURN(FileLock write_lock, lake_->LockForWrite(options_.wait_for_lock));
  RETURN_IF_ERROR(lake_->Recover());
  // Database sources first become extract files, which Discover then lists.
  RETURN_IF_ERROR(
      ExtractDatabaseSources(project_, [this](const std::string& l) { Log(l); }).status());
  RETURN_IF_ERROR(Discover());
  if (tasks_.empty()) {
    result_.nothing_new = true;
    result_.seconds = Seconds(start);
    return result_;
  }
  lake::DatabaseOptions dbo;
  dbo.memory_limit = project_.etl.memory_limit;
  dbo.threads = project_.etl.threads;
  dbo.temp_directory = lake_->InternalDir() + "/tmp";
  ASSIGN_OR_RETURN(db_, lake::Database::Open("", dbo));
  ASSIGN_OR_RETURN(lake::Connection conn, db_->Connect());
  conn_.emplace(std::move(conn));
  RETURN_IF_ERROR(conn_->Execute("SET preserve_insertion_order = false"));
  auto schema_start = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(CheckSchemas());
  stats_["schema_seconds"] = Seconds(schema_start);
  {
    std::map<size_t, std::vector<std::string>> files;
    for (const auto& t : tasks_) files[t.source_index].push_back(t.path);
    ASSIGN_OR_RETURN(item_matching_, MatchItems(project_, files));
  }
  ASSIGN_OR_RETURN(run_id_, catalog_->BeginRun("etl"));
  result_.run_id = run_id_;
  Status s = [&]() -> Status {
    RETURN_IF_ERROR(conn_->Execute(kStagingSchema));
    RETURN_IF_ERROR(RecordRunFiles());
    const std::string all_threads = "SET threads = " + std::to_string(Threads());
    std::vector<std::vector<const FileTask*>> batches = Batches();
    batched_ = batches.size() > 1;
    stats_["batches"] = batches.size();
    if (batched_) Log("etl: " + std::to_string(batches.size()) + " batches of files");
    uint64_t bytes_before = 0;
    double ingest_seconds = 0, transform_seconds = 0;
    for (size_t b = 0; b < batches.size(); ++b) {
      RETURN_IF_ERROR(conn_->Execute(kEventsStaging));
      auto t0 = std::chrono::steady_clock::now();
      // Our workers do the reading; DuckDB's own pool would only spin beside them.
      RETURN_IF_ERROR(conn_->Execute("SET threads = 1"));
      ASSIGN_OR_RETURN(IngestedBatch batch, Ingest(batches[b], bytes_before));
      for (const FileTask* t : batches[b]) bytes_before += t->stat.size;
      RETURN_IF_ERROR(conn_->Execute(all_threads));
      CrashPoint("after_ingest");
      if (FaultInjected("drop_staged_event")) {  // a row lost between reader and table
        RETURN_IF_ERROR(conn_->Execute(
            "DELETE FROM staged_events WHERE SEQ = (SELECT max(SEQ) FROM staged_events)"));
      }
      ingest_seconds += Seconds(t0);
      t0 = std::chrono::steady_clock::now();
      RETURN_IF_ERROR(TransformBatch(batch, b + 1));
      counters_.Merge(batch.counters);
      transform_seconds += Seconds(t0);
    }
    stats_["ingest_seconds"] = ingest_seconds;
    auto t0 = std::chrono::steady_clock::now();
    RETURN_IF_ERROR(TransformTotals());
    stats_["transform_seconds"] = transform_seconds + Seconds(t0);

    t0 = std::chrono::steady_clock::now();
    RETURN_IF_ERROR(Reconcile());
    stats_["reconcile_seconds"] = Seconds(t0);
    CrashPoint("after_staging");
    t0 = std::chrono::steady_clock::now();
    Status committed = CommitAll();
    stats_["commit_seconds"] = Seconds(t0);
    return committed;
  }();
  if (!s.ok()) {
    std::error_code ec;
    std::filesystem::remove_all(lake_->StagingDir(run_id_), ec);
    (void)catalog_->FinishRun(run_id_, "failed", s.message(), stats_.dump());
    return s;
  }
  result_.reconciliation = recon_;
  if (!item_matching_.rows.empty()) {
    // The match report of this run; the run is committed, so a failure to
    // write it is logged, not fatal.
    nlohmann::json report = ItemMatchReportJson(project_, run_id_, item_matching_);
    stats_["item_matches"] = {{"matched", report["matched"]}, {"unmatched", report["unmatched"]}};
    std::string dir = ItemMatchReportDir(project_);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    Status w =
        WriteFileAtomic(dir + "/run-" + std::to_string(run_id_) + ".json", report.dump(1) + "\n");
    if (!w.ok()) Log("warning: item match report not written: " + w.message());
  }
  result_.seconds = Seconds(start);
  stats_["seconds"] = result_.seconds;
  (void)catalog_->FinishRun(run_id_, "succeeded", "", stats_.dump());
  return result_;
}

}  // namespace

StatusOr<EtlResult> RunEtl(const config::Project& project, const EtlRunOptions& options) {
  EtlRun run(project, options);
  return run.Run();
}

}  // namespace recmart::etl
