// Why a hand-written CSV parser rather than DuckDB's reader or a library: the
// quarantine rules need, for every physical record, its own error kind, its
// exact starting line and its raw bytes, and they need every record accounted
// for. Library readers either stop at the first bad row or skip/repair bad
// rows wholesale, and none report them row by row with line numbers.
//
// The parser works in place on InputBuffer: a record's fields are spans of the
// buffer, except fields that need rewriting (doubled quotes, text after a
// closing quote), which go to a per-record scratch string. A record cut by the
// end of the buffer is parsed again from its start after the refill, which
// costs one partial record per refill (of up to 4 MiB) and keeps the parser
// free of resumable state.
#include "recmart/ingest/csv_reader.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <exception>
#include <new>

#include "recmart/ingest/values.h"

namespace recmart::ingest {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

std::string_view TrimBlanks(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  return out;
}

class CsvReader final : public RowReader {
 public:
  CsvReader(std::string path, std::unique_ptr<ByteSource> source, const ReaderOptions& options,
            char delimiter)
      : path_(std::move(path)),
        buf_(std::move(source)),
        delim_(delimiter),
        quote_(options.quote),
        header_(options.header),
        max_field_(options.max_field_bytes),
        max_row_(std::max<size_t>(options.max_row_bytes, 1)) {
    std::fill(std::begin(special_), std::end(special_), false);
    special_[static_cast<unsigned char>(delim_)] = true;
    special_[static_cast<unsigned char>('\n')] = true;
  }

  Status Init(const ReaderOptions& options, const std::vector<std::string>& columns);

  const std::string& path() const override { return path_; }

 protected:
  StatusOr<bool> ReadNext(Row* row) override { return NextImpl(row); }
  std::string Position() const override { return "line " + std::to_string(line_); }

 public:
  std::vector<std::string> ColumnNames() const override { return names_; }
  uint64_t bytes_consumed() const override { return buf_.compressed_bytes_consumed(); }

 private:
  // Where a field's value lives: a span of the record in the buffer (offset
  // from the record's first byte), or a span of scratch_.
  struct FieldRef {
    size_t begin;
    size_t size;
    bool in_scratch;
  };
  // kTooLong: the record's raw bytes exceed max_row_bytes (found before its
  // end, so that where it ends is always decided by SkipTooLongRecord).
  enum class Parse { kComplete, kNeedMore, kOpenQuoteAtEof, kTooLong };

  StatusOr<bool> NextImpl(Row* row);
  // Reads the next physical record into the rec_* members; false at the end.
  StatusOr<bool> ReadRecord();
  // Parses the record starting at buffer offset `start`.
  Parse ParseAt(size_t start, size_t* raw_end, size_t* next);
  // The record starting at pos_ is longer than max_row_bytes: keep its head
  // as raw and skip to its end. Every such record goes through here, whether
  // or not it fits in the buffer, so where it ends never depends on buffering.
  Status SkipTooLongRecord();
  // Sets rec_error_ (and detail) for a completely parsed record.
  void Classify(bool open_quote_at_eof);
  // True when nothing but empty lines follows pos_ (peeks ahead).
  StatusOr<bool> OnlyEmptyLinesRemain();
  StatusOr<size_t> Refill(size_t keep_from) {
    base_offset_ += std::min(keep_from, buf_.size());
    return buf_.Refill(keep_from);
  }
  std::string_view FieldValue(size_t i) const {
    const FieldRef& f = fields_[i];
    if (f.size == 0) return std::string_view();
    return f.in_scratch ? std::string_view(scratch_.data() + f.begin, f.size)
                        : std::string_view(rec_begin_ + f.begin, f.size);
  }

  const std::string path_;
  InputBuffer buf_;
  const char delim_;
  const char quote_;  // '\0': no quoting
  const bool header_;
  const size_t max_field_;
  const size_t max_row_;
  bool special_[256];  // bytes that end an unquoted field: the delimiter and LF

  size_t pos_ = 0;            // buffer offset where the next record starts
  uint64_t base_offset_ = 0;  // stream offset of buffer byte 0
  uint64_t line_ = 1;         // line on which the next record starts
  bool bom_checked_ = false;
  // Stream offset before which a non-empty line is known to follow: empty
  // lines before it need no look-ahead (keeps the look-ahead linear).
  uint64_t content_known_until_ = 0;

  // The current record.
  std::vector<FieldRef> fields_;
  std::string scratch_;
  size_t newlines_ = 0;          // LFs in the record, its terminator included
  size_t longest_field_ = 0;     // size of the longest field
  size_t longest_field_at_ = 0;  // index of the first field longer than max_field_
  const char* rec_begin_ = nullptr;
  std::string_view rec_raw_;
  uint64_t rec_line_ = 0;
  RowError rec_error_ = RowError::kNone;
  std::string rec_detail_;
  bool rec_empty_ = false;
  std::string too_long_raw_;  // head of a record skipped by SkipTooLongRecord
  bool pending_ = false;      // the current record was read by Init and not returned

  size_t expected_fields_ = 0;  // 0 until known (header=false: the first record)
  std::vector<std::string> names_;
  std::vector<size_t> col_index_;  // requested column → field index
};

Status CsvReader::Init(const ReaderOptions& options, const std::vector<std::string>& columns) {
  ASSIGN_OR_RETURN(bool got, ReadRecord());
  if (options.header) {
    if (!got) return Status::OK();  // empty file: no header, no rows
    if (rec_error_ != RowError::kNone) {
      return Status::InvalidArgument(
          path_ + ": header (line 1) cannot be read: " + std::string(RowErrorName(rec_error_)) +
          (rec_detail_.empty() ? "" : " (" + rec_detail_ + ")"));
    }
    names_.reserve(fields_.size());
    for (size_t i = 0; i < fields_.size(); ++i) names_.emplace_back(TrimBlanks(FieldValue(i)));
    for (const std::string& col : columns) {
      // Duplicated header names: the first wins.
      auto it = std::find(names_.begin(), names_.end(), col);
      if (it == names_.end()) {
        return Status::InvalidArgument(path_ + ": column '" + col +
                                       "' is not in the header (columns: " + JoinNames(names_) +
                                       ")");
      }
      col_index_.push_back(static_cast<size_t>(it - names_.begin()));
    }
    return Status::OK();
  }

  // No header: the first record is data (kept for Next) and fixes the number
  // of columns, named column1, column2, ... (ReadRecord has set them; if
  // that record was too long to parse, the next one that parses does).
  pending_ = got;
  for (const std::string& col : columns) {
    size_t k = 0;
    std::string_view digits = std::string_view(col).substr(std::min<size_t>(6, col.size()));
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), k);
    if (col.rfind("column", 0) != 0 || digits.empty() || ec != std::errc() ||
        end != digits.data() + digits.size() || k == 0 || digits[0] == '0') {
      return Status::InvalidArgument(path_ + ": column '" + col +
                                     "': without a header row, columns are named column1, "
                                     "column2, ...");
    }
    if (expected_fields_ > 0 && k > expected_fields_) {
      return Status::InvalidArgument(path_ + ": column '" + col + "' is not in the file (it has " +
                                     std::to_string(expected_fields_) +
                                     " columns: " + JoinNames(names_) + ")");
    }
    col_index_.push_back(k - 1);
  }
  return Status::OK();
}

StatusOr<bool> CsvReader::NextImpl(Row* row) {
  if (pending_) {
    pending_ = false;
  } else {
    ASSIGN_OR_RETURN(bool got, ReadRecord());
    if (!got) return false;
  }
  if (rec_empty_) {
    // An empty line is a record unless only empty lines follow it: then it
    // is the file's trailing line break(s).
    ASSIGN_OR_RETURN(bool only_empty, OnlyEmptyLinesRemain());
    if (only_empty) {
      pos_ = buf_.size();
      return false;
    }
  }
  row->line = rec_line_;
  row->error = rec_error_;
  row->error_detail = rec_detail_;
  row->raw = rec_raw_;
  row->values.clear();
  if (rec_error_ == RowError::kNone) {
    for (size_t idx : col_index_) {
      if (idx < fields_.size()) {
        row->values.emplace_back(FieldValue(idx));
      } else {
        row->values.emplace_back(std::nullopt);
      }
    }
  }
  return true;
}

StatusOr<bool> CsvReader::ReadRecord() {
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
  for (;;) {
    if (pos_ >= buf_.size()) {
      if (buf_.eof()) return false;
      RETURN_IF_ERROR(Refill(pos_).status());
      pos_ = 0;
      continue;
    }
    size_t raw_end = 0, next = 0;
    Parse r = ParseAt(pos_, &raw_end, &next);
    if (r == Parse::kTooLong) {
      RETURN_IF_ERROR(SkipTooLongRecord());
      return true;
    }
    if (r == Parse::kNeedMore) {
      // More than max_row_bytes + 1 bytes (one may be a CR before LF) and no
      // end yet: too long. Otherwise read on; the buffer grows if needed.
      if (buf_.size() - pos_ > max_row_ + 1) {
        RETURN_IF_ERROR(SkipTooLongRecord());
        return true;
      }
      RETURN_IF_ERROR(Refill(pos_).status());
      pos_ = 0;
      continue;  // parse the record again, now with more bytes (or at EOF)
    }
    rec_begin_ = buf_.data() + pos_;
    rec_raw_ = std::string_view(rec_begin_, raw_end - pos_);
    rec_line_ = line_;
    rec_empty_ = rec_raw_.empty();
    if (rec_empty_) rec_raw_ = std::string_view();
    line_ += newlines_;
    pos_ = next;
    if (expected_fields_ == 0 && r == Parse::kComplete) {
      // The first record that parses fixes the number of columns: the header,
      // or without one the first data record.
      expected_fields_ = fields_.size();
      if (!header_) {
        for (size_t i = 0; i < expected_fields_; ++i) {
          names_.push_back("column" + std::to_string(i + 1));
        }
      }
    }
    Classify(r == Parse::kOpenQuoteAtEof);
    return true;
  }
}

CsvReader::Parse CsvReader::ParseAt(size_t start, size_t* raw_end, size_t* next) {
  const char* const data = buf_.data();
  const char* const base = data + start;
  const char* const end = data + buf_.size();  // *end == '\n' (sentinel)
  const bool eof = buf_.eof();
  const char q = quote_;
  // Past this point the record is longer than max_row_bytes whatever follows.
  const size_t max_span = max_row_ + 1;
  const char* const limit = static_cast<size_t>(end - base) > max_span ? base + max_span : end;
  fields_.clear();
  scratch_.clear();
  newlines_ = 0;
  longest_field_ = 0;
  longest_field_at_ = 0;

  const char* p = base;
  for (;;) {
    size_t vbegin, vsize;
    bool in_scratch = false;
    const char* t;   // the field's terminator: delimiter, LF or end
    const char* tt;  // end of the field's bytes (before a CR that precedes LF/end)
    if (q != 0 && *p == q && p != end) {
      // Quoted field. seg: start of the content not yet copied to scratch.
      const char* seg = p + 1;
      const char* s = seg;
      const char* close;
      bool use_scratch = false;
      size_t sbegin = 0;
      for (;;) {
        const void* hit_v = s < limit ? std::memchr(s, q, static_cast<size_t>(limit - s)) : nullptr;
        if (hit_v == nullptr) {
          if (limit != end) return Parse::kTooLong;  // not closed within max_row_bytes
          if (!eof) return Parse::kNeedMore;
          // Quote still open at the end of the file: the record runs to it.
          const char* e = end;
          if (e > base && e[-1] == '\n') --e;
          if (e > base && e[-1] == '\r') --e;
          *raw_end = static_cast<size_t>(e - data);
          *next = buf_.size();
          return Parse::kOpenQuoteAtEof;
        }
        const char* hit = static_cast<const char*>(hit_v);
        if (hit + 1 == end && !eof) return Parse::kNeedMore;  // doubled or closing?
        if (hit + 1 < end && hit[1] == q) {
          if (!use_scratch) {
            use_scratch = true;
            sbegin = scratch_.size();
          }
          scratch_.append(seg, static_cast<size_t>(hit + 1 - seg));  // keeps one quote
          s = seg = hit + 2;
          continue;
        }
        close = hit;
        break;
      }
      newlines_ += static_cast<size_t>(std::count(p + 1, close, '\n'));
      const char* after = close + 1;
      t = after;
      while (!special_[static_cast<unsigned char>(*t)]) ++t;
      if (static_cast<size_t>(t - base) > max_span) return Parse::kTooLong;
      if (t == end && !eof) return Parse::kNeedMore;
      tt = t;
      if ((t == end || *t == '\n') && tt > after && tt[-1] == '\r') --tt;
      if (tt > after && !use_scratch) {
        use_scratch = true;
        sbegin = scratch_.size();
      }
      if (use_scratch) {
        scratch_.append(seg, static_cast<size_t>(close - seg));
        scratch_.append(after, static_cast<size_t>(tt - after));  // `"ab"c` → abc
        vbegin = sbegin;
        vsize = scratch_.size() - sbegin;
        in_scratch = true;
      } else {
        vbegin = static_cast<size_t>(p + 1 - base);
        vsize = static_cast<size_t>(close - (p + 1));
      }
    } else {
      t = p;
      while (!special_[static_cast<unsigned char>(*t)]) ++t;
      if (static_cast<size_t>(t - base) > max_span) return Parse::kTooLong;
      if (t == end && !eof) return Parse::kNeedMore;
      tt = t;
      if ((t == end || *t == '\n') && tt > p && tt[-1] == '\r') --tt;
      vbegin = static_cast<size_t>(p - base);
      vsize = static_cast<size_t>(tt - p);
    }
    if (vsize > longest_field_) {
      if (longest_field_ <= max_field_ && vsize > max_field_) longest_field_at_ = fields_.size();
      longest_field_ = vsize;
    }
    fields_.push_back(FieldRef{vbegin, vsize, in_scratch});
    if (t != end && *t == delim_) {
      p = t + 1;
      continue;
    }
    // End of the record: at LF, or at the end of the file.
    *raw_end = static_cast<size_t>(tt - data);
    if (t == end) {
      *next = buf_.size();
    } else {
      ++newlines_;
      *next = static_cast<size_t>(t + 1 - data);
    }
    return Parse::kComplete;
  }
}

Status CsvReader::SkipTooLongRecord() {
  too_long_raw_.assign(buf_.data() + pos_, std::min(max_row_, buf_.size() - pos_));
  rec_begin_ = too_long_raw_.data();
  rec_raw_ = too_long_raw_;
  rec_line_ = line_;
  rec_error_ = RowError::kRowTooLong;
  rec_detail_ = "record longer than max_row_bytes (" + std::to_string(max_row_) + ")";
  rec_empty_ = false;
  fields_.clear();

  // A small quote-aware state machine, resumable across refills (the record
  // is not kept, so there is nothing to re-parse).
  const char q = quote_;
  bool in_quotes = false;
  bool quote_pending = false;  // saw a quote inside quotes: closing, or doubled?
  bool field_start = true;
  size_t quoted_len = 0;
  size_t p = pos_;
  for (;;) {
    const char* data = buf_.data();
    const size_t n = buf_.size();
    while (p < n) {
      const char c = data[p++];
      if (in_quotes) {
        if (quote_pending) {
          quote_pending = false;
          if (c == q) {
            ++quoted_len;
            continue;
          }
          in_quotes = false;  // that quote closed the field; c is outside it
        } else if (c == q) {
          quote_pending = true;
          continue;
        } else {
          if (c == '\n') {
            ++line_;
            // A quoted field this long cannot belong to a valid row: take the
            // quotes as broken and go on after this line break.
            if (quoted_len > max_row_) {
              pos_ = p;
              return Status::OK();
            }
          }
          ++quoted_len;
          continue;
        }
      }
      if (c == '\n') {
        ++line_;
        pos_ = p;
        return Status::OK();
      }
      if (c == delim_) {
        field_start = true;
      } else if (q != 0 && c == q && field_start) {
        in_quotes = true;
        quoted_len = 0;
        field_start = false;
      } else {
        field_start = false;
      }
    }
    if (buf_.eof()) {
      pos_ = n;
      return Status::OK();
    }
    RETURN_IF_ERROR(Refill(n).status());
    pos_ = 0;
    p = 0;
  }
}

void CsvReader::Classify(bool open_quote_at_eof) {
  rec_error_ = RowError::kNone;
  rec_detail_.clear();
  if (rec_raw_.size() > max_row_) {
    rec_error_ = RowError::kRowTooLong;
    rec_detail_ = "record of " + std::to_string(rec_raw_.size()) +
                  " bytes is longer than max_row_bytes (" + std::to_string(max_row_) + ")";
    rec_raw_ = rec_raw_.substr(0, max_row_);
    return;
  }
  if (open_quote_at_eof) {
    rec_error_ = RowError::kUnterminatedQuote;
    rec_detail_ = "quoted field still open at the end of the file";
    return;
  }
  if (!IsAsciiWithoutNul(rec_raw_)) {
    const void* nul = std::memchr(rec_raw_.data(), '\0', rec_raw_.size());
    if (nul != nullptr) {
      rec_error_ = RowError::kNulByte;
      rec_detail_ = "NUL byte at byte " +
                    std::to_string(static_cast<const char*>(nul) - rec_raw_.data() + 1) +
                    " of the record";
      return;
    }
    if (!IsValidUtf8(rec_raw_)) {
      rec_error_ = RowError::kInvalidUtf8;
      rec_detail_ = "record is not valid UTF-8";
      return;
    }
  }
  if (expected_fields_ != 0 && fields_.size() != expected_fields_) {
    rec_error_ = RowError::kWrongColumnCount;
    rec_detail_ = "expected " + std::to_string(expected_fields_) + " fields, got " +
                  std::to_string(fields_.size());
    return;
  }
  if (longest_field_ > max_field_) {
    const size_t i = longest_field_at_;
    rec_error_ = RowError::kFieldTooLong;
    rec_detail_ = "field " + std::to_string(i + 1);
    if (i < names_.size()) rec_detail_ += " (" + names_[i] + ")";
    rec_detail_ += " is " + std::to_string(fields_[i].size) + " bytes, max_field_bytes is " +
                   std::to_string(max_field_);
  }
}

StatusOr<bool> CsvReader::OnlyEmptyLinesRemain() {
  if (base_offset_ + pos_ < content_known_until_) return false;
  // Bounded look-ahead: past this many bytes of empty lines, stop looking and
  // treat the empty lines as records (documented nowhere else because only a
  // file of megabytes of blank lines gets here).
  const size_t limit = std::max(InputBuffer::kDefaultCapacity, max_row_);
  size_t p = pos_;
  for (;;) {
    const char* d = buf_.data();
    const size_t n = buf_.size();
    while (p < n) {
      if (d[p] == '\n') {
        ++p;
      } else if (d[p] == '\r' && p + 1 < n && d[p + 1] == '\n') {
        p += 2;
      } else if (d[p] == '\r' && p + 1 == n) {
        if (!buf_.eof()) break;  // CR LF split by the buffer end?
        ++p;                     // a CR ending the file is a line end too
      } else {
        content_known_until_ = base_offset_ + p;
        return false;
      }
    }
    if (buf_.eof() && p >= n) return true;
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

StatusOr<std::unique_ptr<RowReader>> OpenCsvReader(const std::string& path,
                                                   std::unique_ptr<ByteSource> source,
                                                   const ReaderOptions& options,
                                                   const std::vector<std::string>& columns) {
  const char delimiter =
      options.delimiter != 0 ? options.delimiter : (options.format == Format::kTsv ? '\t' : ',');
  if (delimiter == '\n' || delimiter == '\r') {
    return Status::InvalidArgument(path + ": the delimiter cannot be a line break");
  }
  if (options.quote == '\n' || options.quote == '\r') {
    return Status::InvalidArgument(path + ": the quote character cannot be a line break");
  }
  if (options.quote != 0 && options.quote == delimiter) {
    return Status::InvalidArgument(path + ": the delimiter and the quote character are the same");
  }
  auto reader = std::make_unique<CsvReader>(path, std::move(source), options, delimiter);
  RETURN_IF_ERROR(reader->Init(options, columns));
  return std::unique_ptr<RowReader>(std::move(reader));
}

}  // namespace recmart::ingest
