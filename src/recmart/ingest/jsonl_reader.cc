// JSON lines on simdjson On-Demand, parsed in place: every line is handed to
// the parser as a view into the read buffer, whose bytes after the line (the
// next lines, then InputBuffer's padding) serve as simdjson's required
// SIMDJSON_PADDING, so no line is copied.
//
// Each line is walked once, front to back: every key is matched against a
// small trie of the requested paths, and every value is validated (On-Demand
// only validates what it is asked to read; skipping unread values would let
// `{"a":1,"b":tru}` through). Top-level keys repeat from row to row, so the
// walk first compares a key with the one seen at the same position in the
// previous row before looking it up.
#include "recmart/ingest/jsonl_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <new>
#include <optional>
#include <unordered_set>
#include <utility>

#include "recmart/ingest/values.h"

namespace recmart::ingest {
namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

static_assert(InputBuffer::kPadding >= simdjson::SIMDJSON_PADDING,
              "lines are parsed in place: the buffer must carry simdjson's padding");

constexpr std::string_view kBom = "\xEF\xBB\xBF";
// Deeper nesting is rejected (keeps the recursive walk's stack bounded).
constexpr int kMaxDepth = 256;
// simdjson's own depth limit sits above ours, so that the walk always stops
// first (a debug build of simdjson asserts when its limit is passed).
constexpr size_t kParserMaxDepth = kMaxDepth + 16;

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view TrimTrailingSpace(std::string_view s) {
  while (!s.empty() && IsJsonSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view TrimJsonSpace(std::string_view s) {
  while (!s.empty() && IsJsonSpace(s.front())) s.remove_prefix(1);
  return TrimTrailingSpace(s);
}

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (!IsJsonSpace(c)) return false;
  }
  return true;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// RFC 8259 number grammar. simdjson On-Demand does not check a number it is
// not asked to convert, and converting would lose big integers' digits.
bool IsJsonNumber(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  if (i < n && s[i] == '-') ++i;
  if (i >= n) return false;
  if (s[i] == '0') {
    ++i;
  } else if (s[i] >= '1' && s[i] <= '9') {
    while (i < n && IsDigit(s[i])) ++i;
  } else {
    return false;
  }
  if (i < n && s[i] == '.') {
    const size_t d = ++i;
    while (i < n && IsDigit(s[i])) ++i;
    if (i == d) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    const size_t d = i;
    while (i < n && IsDigit(s[i])) ++i;
    if (i == d) return false;
  }
  return i == n;
}

class JsonlReader final : public RowReader {
 public:
  JsonlReader(std::string path, std::unique_ptr<ByteSource> source, const ReaderOptions& options)
      : path_(std::move(path)),
        buf_(std::move(source)),
        max_field_(options.max_field_bytes),
        max_row_(std::max<size_t>(options.max_row_bytes, 1)) {}

  Status Init(const std::vector<std::string>& columns);

  const std::string& path() const override { return path_; }

 protected:
  StatusOr<bool> ReadNext(Row* row) override { return NextImpl(row); }
  std::string Position() const override { return "line " + std::to_string(line_); }

 public:
  std::vector<std::string> ColumnNames() const override { return key_order_; }
  uint64_t bytes_consumed() const override { return buf_.compressed_bytes_consumed(); }

 private:
  // A trie of the requested paths. Node 0 is the top-level object.
  struct Node {
    std::string key;
    std::vector<std::pair<size_t, int>> columns;  // (column, priority) ending here
    std::vector<int> children;
  };
  struct CachedKey {
    std::string key;
    int child;
  };

  StatusOr<bool> NextImpl(Row* row);
  // Reads the next line into line_ / line_no_; false at the end of the file.
  StatusOr<bool> ReadLine();
  Status SkipTooLongLine();
  StatusOr<bool> OnlyBlankLinesRemain();
  StatusOr<size_t> Refill(size_t keep_from) {
    base_offset_ += std::min(keep_from, buf_.size());
    return buf_.Refill(keep_from);
  }

  // Fills *row from the line in text_. Non-OK only when the parser cannot
  // get memory: that ends reading rather than blaming the row.
  Status ParseLine(Row* row);
  void SetError(Row* row, RowError e, std::string_view detail) {
    row->error = e;
    row->error_detail.assign(detail.data(), detail.size());
    row->values.clear();
  }
  int AddPath(int parent, std::string_view key);
  int FindChild(int node, std::string_view key) const {
    for (int c : nodes_[node].children) {
      if (nodes_[c].key == key) return c;
    }
    return -1;
  }
  int LookupTopLevel(size_t position, std::string_view key);
  error_code VisitObject(od::object obj, int node, int depth);
  error_code VisitValue(od::value v, int node, int depth);
  void Assign(int node, std::optional<std::string_view> text);

  const std::string path_;
  InputBuffer buf_;
  const size_t max_field_;
  const size_t max_row_;

  size_t pos_ = 0;            // buffer offset of the next line
  uint64_t base_offset_ = 0;  // stream offset of buffer byte 0
  uint64_t line_ = 1;         // number of the next line
  bool bom_checked_ = false;
  uint64_t content_known_until_ = 0;  // see OnlyBlankLinesRemain

  // The current line.
  std::string_view text_;  // without its CR LF / LF
  uint64_t line_no_ = 0;
  bool too_long_ = false;
  std::string too_long_raw_;
  std::string blank_raw_;

  od::parser parser_;
  simdjson::dom::parser dom_parser_;  // only for lines that are not objects
  std::vector<Node> nodes_;
  size_t num_columns_ = 0;
  std::vector<std::optional<std::string_view>> values_;
  std::vector<int> priority_;  // per column: 0 unset, 1 nested path, 2 literal top-level key
  bool field_too_long_ = false;
  size_t field_too_long_col_ = 0;
  size_t field_too_long_size_ = 0;
  std::string detail_;
  std::vector<std::string> columns_;

  std::vector<CachedKey> key_cache_;  // top-level key at each position, last row
  std::unordered_set<std::string> seen_keys_;
  std::vector<std::string> key_order_;
};

int JsonlReader::AddPath(int parent, std::string_view key) {
  int c = FindChild(parent, key);
  if (c >= 0) return c;
  nodes_.push_back(Node{std::string(key), {}, {}});
  c = static_cast<int>(nodes_.size() - 1);
  nodes_[parent].children.push_back(c);
  return c;
}

Status JsonlReader::Init(const std::vector<std::string>& columns) {
  columns_ = columns;
  num_columns_ = columns.size();
  values_.resize(num_columns_);
  priority_.resize(num_columns_);
  nodes_.push_back(Node{});
  for (size_t i = 0; i < columns.size(); ++i) {
    const std::string& name = columns[i];
    if (name.find('.') == std::string::npos) {
      nodes_[AddPath(0, name)].columns.emplace_back(i, 1);
      continue;
    }
    // "a.b": the top-level key "a.b" if a row has it, else a → b.
    nodes_[AddPath(0, name)].columns.emplace_back(i, 2);
    int node = 0;
    size_t start = 0;
    for (;;) {
      size_t dot = name.find('.', start);
      std::string_view part =
          std::string_view(name).substr(start, dot == std::string::npos ? dot : dot - start);
      node = AddPath(node, part);
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    nodes_[node].columns.emplace_back(i, 1);
  }
  // Room for typical lines up front; ParseLine grows it geometrically.
  if (parser_.allocate(64 * 1024, kParserMaxDepth) != simdjson::SUCCESS) {
    return Status::Internal(path_ + ": simdjson: cannot allocate the parser");
  }
  return Status::OK();
}

StatusOr<bool> JsonlReader::NextImpl(Row* row) {
  ASSIGN_OR_RETURN(bool got, ReadLine());
  if (!got) return false;
  row->line = line_no_;
  row->error = RowError::kNone;
  row->error_detail.clear();
  row->values.clear();
  if (too_long_) {
    row->raw = too_long_raw_;
    SetError(row, RowError::kRowTooLong,
             "line longer than max_row_bytes (" + std::to_string(max_row_) + ")");
    return true;
  }
  if (IsBlank(text_)) {
    blank_raw_.assign(text_.data(), text_.size());  // the look-ahead may move the buffer
    ASSIGN_OR_RETURN(bool only_blank, OnlyBlankLinesRemain());
    if (only_blank) {
      pos_ = buf_.size();
      return false;
    }
    row->raw = blank_raw_;
    SetError(row, RowError::kMalformedJson, "blank line");
    return true;
  }
  row->raw = text_;
  RETURN_IF_ERROR(ParseLine(row));
  return true;
}

Status JsonlReader::ParseLine(Row* row) {
  const std::string_view line = text_;
  if (line.size() > max_row_) {
    row->raw = line.substr(0, max_row_);
    SetError(row, RowError::kRowTooLong,
             "line of " + std::to_string(line.size()) + " bytes is longer than max_row_bytes (" +
                 std::to_string(max_row_) + ")");
    return Status::OK();
  }
  if (!IsAsciiWithoutNul(line)) {
    const void* nul = std::memchr(line.data(), '\0', line.size());
    if (nul != nullptr) {
      SetError(row, RowError::kNulByte,
               "NUL byte at byte " +
                   std::to_string(static_cast<const char*>(nul) - line.data() + 1) +
                   " of the line");
      return Status::OK();
    }
    if (!IsValidUtf8(line)) {
      SetError(row, RowError::kInvalidUtf8, "line is not valid UTF-8");
      return Status::OK();
    }
  }

  if (line.size() > parser_.capacity()) {
    if (parser_.allocate(std::max(line.size(), 2 * parser_.capacity()), kParserMaxDepth) !=
        simdjson::SUCCESS) {
      return Status::Internal(path_ + ": line " + std::to_string(line_no_) +
                              ": simdjson cannot allocate memory for a line of " +
                              std::to_string(line.size()) + " bytes");
    }
  }
  // The line's bytes are followed, inside the buffer's allocation, by at
  // least InputBuffer::kPadding bytes: simdjson's padding.
  const size_t capacity =
      static_cast<size_t>(buf_.data() + buf_.size() + InputBuffer::kPadding - line.data());
  od::document doc;
  error_code err =
      parser_.iterate(simdjson::padded_string_view(line.data(), line.size(), capacity)).get(doc);
  od::json_type type = od::json_type::null;
  if (!err) err = doc.type().get(type);
  if (err) {
    SetError(row, RowError::kMalformedJson, simdjson::error_message(err));
    return Status::OK();
  }
  if (type != od::json_type::object) {
    // Rare: tell "valid JSON, not an object" from "not JSON" with the DOM
    // parser, which validates the whole document (On-Demand would have to
    // be walked by hand for each scalar kind). The DOM parser rejects
    // integers beyond 64 bits, which are valid JSON: the grammar decides.
    simdjson::dom::element el;
    error_code derr = dom_parser_.parse(line.data(), line.size(), false).get(el);
    const bool valid =
        !derr || (derr == simdjson::NUMBER_ERROR && IsJsonNumber(TrimJsonSpace(line)));
    if (valid) {
      const char* kind = "value";
      switch (type) {
        case od::json_type::array:
          kind = "an array";
          break;
        case od::json_type::number:
          kind = "a number";
          break;
        case od::json_type::string:
          kind = "a string";
          break;
        case od::json_type::boolean:
          kind = "a boolean";
          break;
        case od::json_type::null:
          kind = "null";
          break;
        case od::json_type::object:
          break;
      }
      SetError(row, RowError::kNotJsonObject,
               std::string("the line is valid JSON but ") + kind + ", not an object");
    } else {
      SetError(row, RowError::kMalformedJson, simdjson::error_message(derr));
    }
    return Status::OK();
  }

  std::fill(values_.begin(), values_.end(), std::nullopt);
  std::fill(priority_.begin(), priority_.end(), 0);
  field_too_long_ = false;
  detail_.clear();
  od::object obj;
  err = doc.get_object().get(obj);
  if (!err) err = VisitObject(obj, 0, 1);
  if (err) {
    if (detail_.empty()) detail_ = simdjson::error_message(err);
    SetError(row, RowError::kMalformedJson, detail_);
    return Status::OK();
  }
  // After the object, nothing may follow: current_location() reports
  // OUT_OF_BOUNDS exactly when the iterator is at the end of the document.
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) != simdjson::OUT_OF_BOUNDS) {
    SetError(row, RowError::kMalformedJson, simdjson::error_message(simdjson::TRAILING_CONTENT));
    return Status::OK();
  }
  if (field_too_long_) {
    SetError(row, RowError::kFieldTooLong,
             "value of '" + columns_[field_too_long_col_] + "' is " +
                 std::to_string(field_too_long_size_) + " bytes, max_field_bytes is " +
                 std::to_string(max_field_));
    return Status::OK();
  }
  row->values.assign(values_.begin(), values_.end());
  return Status::OK();
}

int JsonlReader::LookupTopLevel(size_t position, std::string_view key) {
  if (position < key_cache_.size() && key_cache_[position].key == key) {
    return key_cache_[position].child;
  }
  const int child = FindChild(0, key);
  if (position >= key_cache_.size()) key_cache_.resize(position + 1);
  key_cache_[position].key.assign(key.data(), key.size());
  key_cache_[position].child = child;
  // A key not at its usual position may be new: record it for ColumnNames().
  if (seen_keys_.find(key_cache_[position].key) == seen_keys_.end()) {
    seen_keys_.insert(key_cache_[position].key);
    key_order_.push_back(key_cache_[position].key);
  }
  return child;
}

error_code JsonlReader::VisitObject(od::object obj, int node, int depth) {
  if (depth > kMaxDepth) return simdjson::DEPTH_ERROR;
  size_t position = 0;
  for (auto field_result : obj) {
    od::field field;
    if (error_code err = std::move(field_result).get(field)) return err;
    std::string_view key;
    if (node >= 0) {
      // Keys without escapes are compared in place (no copy); a key with a
      // backslash is unescaped by simdjson. Stage 1 has already checked
      // that the key's string is closed and valid UTF-8.
      const char* raw = field.key().raw();
      const char* k = raw;
      while (*k != '"' && *k != '\\') ++k;
      if (*k == '"') {
        key = std::string_view(raw, static_cast<size_t>(k - raw));
      } else if (error_code err = field.unescaped_key().get(key)) {
        return err;
      }
    } else {
      // Not on a requested path: only validate the key's escapes.
      const char* raw = field.key().raw();
      const char* k = raw;
      while (*k != '"' && *k != '\\') ++k;
      if (*k == '\\') {
        if (error_code err = field.unescaped_key().get(key)) return err;
      }
    }
    int child = -1;
    if (node == 0) {
      child = LookupTopLevel(position, key);
    } else if (node > 0) {
      child = FindChild(node, key);
    }
    ++position;
    if (error_code err = VisitValue(field.value(), child, depth)) return err;
  }
  return simdjson::SUCCESS;
}

error_code JsonlReader::VisitValue(od::value v, int node, int depth) {
  od::json_type type;
  if (error_code err = v.type().get(type)) return err;
  const bool want_text = node >= 0 && !nodes_[node].columns.empty();
  switch (type) {
    case od::json_type::object:
    case od::json_type::array: {
      if (depth >= kMaxDepth) return simdjson::DEPTH_ERROR;
      const char* start = v.raw_json_token().data();
      if (type == od::json_type::object) {
        od::object obj;
        if (error_code err = v.get_object().get(obj)) return err;
        const int descend = node >= 0 && !nodes_[node].children.empty() ? node : -1;
        if (error_code err = VisitObject(obj, descend, depth + 1)) return err;
      } else {
        od::array arr;
        if (error_code err = v.get_array().get(arr)) return err;
        for (auto element : arr) {
          od::value ev;
          if (error_code err = element.get(ev)) return err;
          if (error_code err = VisitValue(ev, -1, depth + 1)) return err;
        }
      }
      if (want_text) {
        // The value has been consumed: the iterator now points at the token
        // after it (',' or '}' of the enclosing object), so the value's raw
        // text is everything in between.
        const char* stop = nullptr;
        if (error_code err = v.current_location().get(stop)) return err;
        Assign(node, TrimTrailingSpace(std::string_view(start, static_cast<size_t>(stop - start))));
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      // Stage 1 has checked that the string is closed, valid UTF-8 and free
      // of unescaped control characters, so a string without a backslash is
      // its own value: take it in place and leave the unescaping (a copy
      // through simdjson's string buffer) to strings that need it.
      const std::string_view token = TrimTrailingSpace(v.raw_json_token());
      if (token.size() >= 2 && token.back() == '"') {
        const std::string_view content = token.substr(1, token.size() - 2);
        if (std::memchr(content.data(), '\\', content.size()) == nullptr) {
          if (want_text) Assign(node, content);
          return simdjson::SUCCESS;
        }
      }
      std::string_view s;
      if (error_code err = v.get_string().get(s)) return err;
      if (want_text) Assign(node, s);
      return simdjson::SUCCESS;
    }
    case od::json_type::number: {
      std::string_view token = TrimTrailingSpace(v.raw_json_token());
      if (!IsJsonNumber(token)) {
        detail_ = "invalid number '" + std::string(token.substr(0, 40)) + "'";
        return simdjson::NUMBER_ERROR;
      }
      if (want_text) Assign(node, token);
      return simdjson::SUCCESS;
    }
    case od::json_type::boolean: {
      bool b = false;
      if (error_code err = v.get_bool().get(b)) return err;
      if (want_text) Assign(node, b ? std::string_view("true") : std::string_view("false"));
      return simdjson::SUCCESS;
    }
    case od::json_type::null: {
      bool is_null = false;
      if (error_code err = v.is_null().get(is_null)) return err;
      if (!is_null) {
        detail_ = "invalid literal '" + std::string(TrimTrailingSpace(v.raw_json_token())) + "'";
        return simdjson::N_ATOM_ERROR;
      }
      if (want_text) Assign(node, std::nullopt);
      return simdjson::SUCCESS;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

void JsonlReader::Assign(int node, std::optional<std::string_view> text) {
  for (const auto& [col, prio] : nodes_[node].columns) {
    if (prio <= priority_[col]) continue;  // a literal key beats a path; first one wins
    priority_[col] = prio;
    values_[col] = text;
    if (text && text->size() > max_field_ && !field_too_long_) {
      field_too_long_ = true;
      field_too_long_col_ = col;
      field_too_long_size_ = text->size();
    }
  }
}

StatusOr<bool> JsonlReader::ReadLine() {
  if (!bom_checked_) {
    while (buf_.size() - pos_ < kBom.size() && !buf_.eof()) {
      RETURN_IF_ERROR(Refill(pos_).status());
      pos_ = 0;
    }
    if (std::string_view(buf_.data() + pos_, buf_.size() - pos_).substr(0, kBom.size()) == kBom) {
      pos_ += kBom.size();
    }
    bom_checked_ = true;
  }
  too_long_ = false;
  for (;;) {
    const char* d = buf_.data();
    const size_t n = buf_.size();
    if (pos_ >= n) {
      if (buf_.eof()) return false;
      RETURN_IF_ERROR(Refill(pos_).status());
      pos_ = 0;
      continue;
    }
    const void* nl = std::memchr(d + pos_, '\n', n - pos_);
    size_t end, next;
    if (nl != nullptr) {
      end = static_cast<size_t>(static_cast<const char*>(nl) - d);
      next = end + 1;
    } else if (buf_.eof()) {
      end = n;
      next = n;
    } else if (n - pos_ > max_row_ + 1) {  // + 1: the line may end in CR LF
      RETURN_IF_ERROR(SkipTooLongLine());
      return true;
    } else {
      RETURN_IF_ERROR(Refill(pos_).status());
      pos_ = 0;
      continue;
    }
    if (end > pos_ && d[end - 1] == '\r') --end;
    text_ = std::string_view(d + pos_, end - pos_);
    line_no_ = line_++;
    pos_ = next;
    return true;
  }
}

Status JsonlReader::SkipTooLongLine() {
  too_long_raw_.assign(buf_.data() + pos_, max_row_);
  too_long_ = true;
  line_no_ = line_++;
  for (;;) {
    const char* d = buf_.data();
    const size_t n = buf_.size();
    const void* nl = pos_ < n ? std::memchr(d + pos_, '\n', n - pos_) : nullptr;
    if (nl != nullptr) {
      pos_ = static_cast<size_t>(static_cast<const char*>(nl) - d) + 1;
      return Status::OK();
    }
    if (buf_.eof()) {
      pos_ = n;
      return Status::OK();
    }
    RETURN_IF_ERROR(Refill(n).status());
    pos_ = 0;
  }
}

StatusOr<bool> JsonlReader::OnlyBlankLinesRemain() {
  if (base_offset_ + pos_ < content_known_until_) return false;
  // Look-ahead is bounded; past the limit the blank lines count as rows.
  const size_t limit = std::max(InputBuffer::kDefaultCapacity, max_row_);
  size_t p = pos_;
  for (;;) {
    const char* d = buf_.data();
    const size_t n = buf_.size();
    while (p < n && IsJsonSpace(d[p])) ++p;
    if (p < n) {
      content_known_until_ = base_offset_ + p;
      return false;
    }
    if (buf_.eof()) return true;
    if (p - pos_ > limit) {
      content_known_until_ = base_offset_ + p;
      return false;
    }
    const size_t keep = pos_;
    RETURN_IF_ERROR(Refill(keep).status());
    p -= keep;
    pos_ = 0;
  }
}

}  // namespace

StatusOr<std::unique_ptr<RowReader>> OpenJsonlReader(const std::string& path,
                                                     std::unique_ptr<ByteSource> source,
                                                     const ReaderOptions& options,
                                                     const std::vector<std::string>& columns) {
  auto reader = std::make_unique<JsonlReader>(path, std::move(source), options);
  RETURN_IF_ERROR(reader->Init(columns));
  return std::unique_ptr<RowReader>(std::move(reader));
}

}  // namespace recmart::ingest
