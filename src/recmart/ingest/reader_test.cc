#include "recmart/ingest/reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "recmart/common/testing.h"
#include "recmart/ingest/csv_reader.h"
#include "recmart/ingest/decompress.h"
#include "recmart/ingest/jsonl_reader.h"
#include "recmart/lake/duckdb.h"

namespace recmart::ingest {
namespace {

using ::recmart::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A Row with owned bytes, so that it outlives the next call to Next().
struct OwnedRow {
  uint64_t line = 0;
  RowError error = RowError::kNone;
  std::string detail;
  std::string raw;
  std::vector<std::optional<std::string>> values;
};

struct ReadResult {
  Status open_status;
  Status end_status;  // the status that ended reading (OK at a clean end)
  std::vector<OwnedRow> rows;
  std::vector<std::string> names;
  uint64_t bytes_consumed = 0;
};

ReadResult ReadAll(const std::string& path, const ReaderOptions& options,
                   const std::vector<std::string>& columns) {
  ReadResult out;
  auto reader = RowReader::Open(path, options, columns);
  if (!reader.ok()) {
    out.open_status = reader.status();
    return out;
  }
  Row row;
  for (;;) {
    StatusOr<bool> more = (*reader)->Next(&row);
    if (!more.ok()) {
      out.end_status = more.status();
      break;
    }
    if (!*more) break;
    OwnedRow r;
    r.line = row.line;
    r.error = row.error;
    r.detail = row.error_detail;
    r.raw = std::string(row.raw);
    for (const auto& v : row.values) {
      r.values.push_back(v ? std::optional<std::string>(std::string(*v)) : std::nullopt);
    }
    if (row.error == RowError::kNone) {
      EXPECT_EQ(row.values.size(), columns.size()) << "line " << row.line;
    } else {
      EXPECT_TRUE(row.values.empty()) << "line " << row.line;
      EXPECT_FALSE(row.error_detail.empty()) << "line " << row.line;
    }
    out.rows.push_back(std::move(r));
  }
  out.names = (*reader)->ColumnNames();
  out.bytes_consumed = (*reader)->bytes_consumed();
  return out;
}

// One line per row: "L<line> <values joined by |>" for a good row (null as
// <null>), "L<line> <error name>" for an error row.
std::vector<std::string> Summary(const ReadResult& r) {
  std::vector<std::string> out;
  for (const OwnedRow& row : r.rows) {
    std::string s = "L";
    s += std::to_string(row.line);
    s += ' ';
    if (row.error != RowError::kNone) {
      s += RowErrorName(row.error);
    } else {
      for (size_t i = 0; i < row.values.size(); ++i) {
        if (i > 0) s += "|";
        s += row.values[i] ? *row.values[i] : "<null>";
      }
    }
    out.push_back(s);
  }
  return out;
}

ReaderOptions Csv() { return ReaderOptions{}; }
ReaderOptions Tsv() {
  ReaderOptions o;
  o.format = Format::kTsv;
  return o;
}
ReaderOptions Jsonl() {
  ReaderOptions o;
  o.format = Format::kJsonl;
  return o;
}

std::string Gzip(std::string_view data) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string Zstd(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

class ReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "recmart_reader_test_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, std::string_view contents) {
    std::string path = dir_ + "/" + name;
    std::ofstream f(path, std::ios::binary);
    f.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    EXPECT_TRUE(f.good());
    return path;
  }

  std::string dir_;
};

// ---------------------------------------------------------------- names

TEST(ReaderNames, FormatCompressionAndRowErrorNames) {
  EXPECT_EQ(FormatName(Format::kCsv), "csv");
  EXPECT_EQ(FormatName(Format::kTsv), "tsv");
  EXPECT_EQ(FormatName(Format::kJsonl), "jsonl");
  EXPECT_EQ(FormatName(Format::kParquet), "parquet");
  EXPECT_EQ(CompressionName(Compression::kAuto), "auto");
  EXPECT_EQ(CompressionName(Compression::kNone), "none");
  EXPECT_EQ(CompressionName(Compression::kGzip), "gzip");
  EXPECT_EQ(CompressionName(Compression::kZstd), "zstd");
  EXPECT_EQ(RowErrorName(RowError::kInvalidUtf8), "invalid_utf8");
  EXPECT_EQ(RowErrorName(RowError::kNulByte), "nul_byte");
  EXPECT_EQ(RowErrorName(RowError::kMalformedJson), "malformed_json");
  EXPECT_EQ(RowErrorName(RowError::kNotJsonObject), "not_json_object");
  EXPECT_EQ(RowErrorName(RowError::kWrongColumnCount), "wrong_column_count");
  EXPECT_EQ(RowErrorName(RowError::kUnterminatedQuote), "unterminated_quote");
  EXPECT_EQ(RowErrorName(RowError::kFieldTooLong), "field_too_long");
  EXPECT_EQ(RowErrorName(RowError::kRowTooLong), "row_too_long");
}

TEST(IsAsciiWithoutNul, AllLengthsAndPositions) {
  std::string s(70, 'a');
  for (size_t len = 0; len <= s.size(); ++len) {
    EXPECT_TRUE(IsAsciiWithoutNul(std::string_view(s).substr(0, len)));
    for (size_t i = 0; i < len; ++i) {
      for (char bad : {'\0', '\x80', '\xff', '\x7f'}) {
        std::string t = s.substr(0, len);
        t[i] = bad;
        EXPECT_EQ(IsAsciiWithoutNul(t), bad == '\x7f') << len << " " << i << " " << int(bad);
      }
    }
  }
}

// ---------------------------------------------------------------- CSV

TEST_F(ReaderTest, CsvQuotedFieldsWithDelimitersNewlinesAndDoubledQuotes) {
  std::string path = Write("a.csv",
                           "id,name,price\n"
                           "1,plain,9.5\n"
                           "2,\"with, comma\",1\n"
                           "3,\"multi\nline\nvalue\",2\n"
                           "4,\"say \"\"hi\"\"\",3\n"
                           "5,,4\n"
                           "6,\"\",5\n"
                           "7,\"\"\"\",6\n"
                           "8,last,7");
  ReadResult r = ReadAll(path, Csv(), {"name", "id", "price"});
  ASSERT_OK(r.open_status);
  ASSERT_OK(r.end_status);
  EXPECT_THAT(Summary(r),
              ElementsAre("L2 plain|1|9.5", "L3 with, comma|2|1", "L4 multi\nline\nvalue|3|2",
                          "L7 say \"hi\"|4|3", "L8 |5|4", "L9 |6|5", "L10 \"|7|6", "L11 last|8|7"));
  EXPECT_EQ(r.rows[2].raw, "3,\"multi\nline\nvalue\",2");
  EXPECT_EQ(r.rows[3].raw, "4,\"say \"\"hi\"\"\",3");
  // An empty field is an empty string, never null.
  ASSERT_TRUE(r.rows[4].values[0].has_value());
  EXPECT_THAT(r.names, ElementsAre("id", "name", "price"));
}

TEST_F(ReaderTest, CsvCrlfAndBom) {
  std::string path = Write("crlf.csv",
                           "\xEF\xBB\xBF"
                           "id,note\r\n"
                           "1,a\r\n"
                           "2,\"two\r\nlines\"\r\n"
                           "3,\"quoted\"\r\n"
                           "4,\r\n");
  ReadResult r = ReadAll(path, Csv(), {"id", "note"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L2 1|a", "L3 2|two\r\nlines", "L5 3|quoted", "L6 4|"));
  EXPECT_EQ(r.rows[0].raw, "1,a");
  EXPECT_EQ(r.rows[2].raw, "3,\"quoted\"");
  EXPECT_THAT(r.names, ElementsAre("id", "note"));  // no BOM in the first name
}

TEST_F(ReaderTest, TsvHonoursQuotesByDefault) {
  std::string path = Write("a.tsv",
                           "user\tevent\tts\n"
                           "u1\tview\t2020-01-01\n"
                           "u2\t\"tab\there\"\t2020-01-02\n"
                           "u3\tcomma,kept\t2020-01-03\n");
  ReadResult r = ReadAll(path, Tsv(), {"user", "event"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L2 u1|view", "L3 u2|tab\there", "L4 u3|comma,kept"));
}

TEST_F(ReaderTest, TsvWithQuotingOff) {
  std::string path = Write("a.tsv", "a\tb\n\"x\t\"y\n");
  ReaderOptions o = Tsv();
  o.quote = '\0';
  ReadResult r = ReadAll(path, o, {"a", "b"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L2 \"x|\"y"));
}

TEST_F(ReaderTest, CsvCustomDelimiterAndQuote) {
  std::string path = Write("semi.csv", "a;b\n'x;y';'it''s'\n");
  ReaderOptions o = Csv();
  o.delimiter = ';';
  o.quote = '\'';
  ReadResult r = ReadAll(path, o, {"a", "b"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L2 x;y|it's"));
}

TEST_F(ReaderTest, CsvLenientQuotes) {
  // A quote inside an unquoted field is data; text after a closing quote is
  // appended (as Python's csv module does).
  std::string path = Write("q.csv", "a,b\nab\"c,\"xy\"z\n\"q\"\r,x\n");
  ReadResult r = ReadAll(path, Csv(), {"a", "b"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L2 ab\"c|xyz", "L3 q\r|x"));
}

TEST_F(ReaderTest, CsvHeaderOnly) {
  for (std::string contents : {"a,b\n", "a,b", "a,b\r\n", "a,b\n\n\n"}) {
    std::string path = Write("h.csv", contents);
    ReadResult r = ReadAll(path, Csv(), {"b"});
    ASSERT_OK(r.open_status) << contents;
    ASSERT_OK(r.end_status);
    EXPECT_THAT(r.rows, IsEmpty()) << contents;
    EXPECT_THAT(r.names, ElementsAre("a", "b"));
  }
}

TEST_F(ReaderTest, CsvEmptyFileOpensAndYieldsNothing) {
  for (std::string contents : {"", "\xEF\xBB\xBF"}) {
    std::string path = Write("e.csv", contents);
    ReadResult r = ReadAll(path, Csv(), {"anything"});
    ASSERT_OK(r.open_status);
    EXPECT_THAT(r.rows, IsEmpty());
    EXPECT_THAT(r.names, IsEmpty());
  }
}

TEST_F(ReaderTest, CsvHeaderNamesTrimmedFirstDuplicateWins) {
  std::string path = Write("d.csv", " id ,\tx\t,x\n1,first,second\n");
  ReadResult r = ReadAll(path, Csv(), {"x", "id"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L2 first|1"));
  EXPECT_THAT(r.names, ElementsAre("id", "x", "x"));
}

TEST_F(ReaderTest, CsvMissingColumnIsInvalidArgument) {
  std::string path = Write("m.csv", "id,name\n1,a\n");
  ReadResult r = ReadAll(path, Csv(), {"id", "price"});
  EXPECT_THAT(r.open_status, StatusIs(StatusCode::kInvalidArgument,
                                      ::testing::AllOf(HasSubstr("'price'"), HasSubstr("id, name"),
                                                       HasSubstr(path))));
}

TEST_F(ReaderTest, CsvBadOptionsAreInvalidArgument) {
  std::string path = Write("o.csv", "a\n");
  ReaderOptions o = Csv();
  o.delimiter = '"';
  EXPECT_THAT(ReadAll(path, o, {}).open_status,
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("quote")));
  o.delimiter = '\n';
  EXPECT_THAT(ReadAll(path, o, {}).open_status,
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("line break")));
}

TEST_F(ReaderTest, CsvWithoutHeaderNamesColumnsByPosition) {
  std::string path = Write("n.csv", "1,a,x\n2,b,y\n3,c\n");
  ReaderOptions o = Csv();
  o.header = false;
  ReadResult r = ReadAll(path, o, {"column3", "column1"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L1 x|1", "L2 y|2", "L3 wrong_column_count"));
  EXPECT_THAT(r.names, ElementsAre("column1", "column2", "column3"));
  EXPECT_THAT(ReadAll(path, o, {"column4"}).open_status,
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("column4")));
  EXPECT_THAT(ReadAll(path, o, {"column0"}).open_status,
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("column1, column2")));
  EXPECT_THAT(ReadAll(path, o, {"id"}).open_status,
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("'id'")));
}

TEST_F(ReaderTest, CsvWithoutHeaderFirstParsableRecordFixesTheColumns) {
  std::string path = Write("n2.csv", "0123456789abc,d\n1,2\n3,4,5\n");
  ReaderOptions o = Csv();
  o.header = false;
  o.max_row_bytes = 10;
  ReadResult r = ReadAll(path, o, {"column2"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L1 row_too_long", "L2 2", "L3 wrong_column_count"));
  EXPECT_THAT(r.names, ElementsAre("column1", "column2"));
}

TEST_F(ReaderTest, MissingFileIsNotFound) {
  for (Format f : {Format::kCsv, Format::kTsv, Format::kJsonl, Format::kParquet}) {
    ReaderOptions o;
    o.format = f;
    std::string path = dir_ + "/nope." + std::string(FormatName(f));
    EXPECT_THAT(ReadAll(path, o, {"a"}).open_status,
                StatusIs(StatusCode::kNotFound, HasSubstr(path)));
  }
  EXPECT_THAT(DetectCompression(dir_ + "/nope.csv"),
              StatusIs(StatusCode::kNotFound, HasSubstr("nope")));
}

TEST_F(ReaderTest, DirectoryIsIOError) {
  EXPECT_THAT(ReadAll(dir_, Csv(), {"a"}).open_status,
              StatusIs(StatusCode::kIOError, HasSubstr(dir_)));
}

TEST_F(ReaderTest, CsvWrongColumnCount) {
  std::string path = Write("w.csv", "a,b,c\n1,2,3\n1,2\n1,2,3,4\n\"x,y\",z\n4,5,6\n");
  ReadResult r = ReadAll(path, Csv(), {"a", "c"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L2 1|3", "L3 wrong_column_count", "L4 wrong_column_count",
                                      "L5 wrong_column_count", "L6 4|6"));
  EXPECT_EQ(r.rows[1].detail, "expected 3 fields, got 2");
  EXPECT_EQ(r.rows[2].detail, "expected 3 fields, got 4");
  EXPECT_EQ(r.rows[1].raw, "1,2");
  EXPECT_EQ(r.rows[3].raw, "\"x,y\",z");
}

TEST_F(ReaderTest, CsvEmptyLinesInTheMiddleAreRowsTrailingOnesAreNot) {
  std::string path = Write("b.csv", "a,b\n1,2\n\n3,4\r\n\r\n\n5,6\n\n\r\n\n");
  ReadResult r = ReadAll(path, Csv(), {"a", "b"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L2 1|2", "L3 wrong_column_count", "L4 3|4",
                                      "L5 wrong_column_count", "L6 wrong_column_count", "L7 5|6"));
  EXPECT_EQ(r.rows[1].detail, "expected 2 fields, got 1");
  EXPECT_EQ(r.rows[1].raw, "");
}

TEST_F(ReaderTest, CsvSingleColumnEmptyLineIsAnEmptyValue) {
  std::string path = Write("one.csv", "a\nx\n\ny\n\n");
  ReadResult r = ReadAll(path, Csv(), {"a"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L2 x", "L3 ", "L4 y"));
}

TEST_F(ReaderTest, CsvInvalidUtf8AndNulByte) {
  std::string contents = "a,b\n1,ok\n2,bad\xC3(\n3,nul";
  contents += '\0';
  contents += "x\n4,\"caf\xC3\xA9\"\n5,\xED\xA0\x80\n6,end\n";
  std::string path = Write("u.csv", contents);
  ReadResult r = ReadAll(path, Csv(), {"a", "b"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L2 1|ok", "L3 invalid_utf8", "L4 nul_byte",
                                      "L5 4|caf\xC3\xA9", "L6 invalid_utf8", "L7 6|end"));
  EXPECT_EQ(r.rows[1].raw, "2,bad\xC3(");
  EXPECT_EQ(r.rows[2].raw, std::string("3,nul\0x", 7));
}

TEST_F(ReaderTest, CsvFieldTooLong) {
  std::string path = Write("f.csv", "a,b\n1,12345\n2,123456\n3,\"12\"\"45\"\n");
  ReaderOptions o = Csv();
  o.max_field_bytes = 5;
  ReadResult r = ReadAll(path, o, {"a", "b"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L2 1|12345", "L3 field_too_long", "L4 3|12\"45"));
  EXPECT_THAT(r.rows[1].detail, HasSubstr("field 2 (b) is 6 bytes"));
}

TEST_F(ReaderTest, CsvRowTooLongSkipsToTheEndOfTheRecord) {
  std::string path = Write("r.csv",
                           "a,b\n"
                           "1,short\n"
                           "2,\"a long\nquoted value, spanning lines\"\n"
                           "3,short\n"
                           "4,0123456789012345678901234567890123456789\n"
                           "5,short\n");
  ReaderOptions o = Csv();
  o.max_row_bytes = 20;
  ReadResult r = ReadAll(path, o, {"a", "b"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L2 1|short", "L3 row_too_long", "L5 3|short",
                                      "L6 row_too_long", "L7 5|short"));
  EXPECT_EQ(r.rows[1].raw, "2,\"a long\nquoted val");  // cut to max_row_bytes
  EXPECT_EQ(r.rows[3].raw, "4,012345678901234567");
}

TEST_F(ReaderTest, CsvBrokenQuoteResynchronisesAfterMaxRowBytes) {
  // Line 3 opens a quote that never closes. Its quoted field is 99 bytes
  // long at the end of line 6 and 130 at the end of line 7: past
  // max_row_bytes (100), so the record ends there and reading goes on at
  // line 8. The same happens however the file is buffered.
  std::string contents = "a,b\n1,ok\n2,\"broken\n";
  for (int i = 0; i < 8; ++i) contents += "9,xxxxxxxxxxxxxxxxxxxxxxxxxxxx\n";  // 31 bytes
  std::string path = Write("bq.csv", contents);
  ReaderOptions o = Csv();
  o.max_row_bytes = 100;
  ReadResult r = ReadAll(path, o, {"a"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L2 1", "L3 row_too_long", "L8 9", "L9 9", "L10 9", "L11 9"));
}

TEST_F(ReaderTest, CsvUnterminatedQuoteAtEndOfFile) {
  std::string path = Write("uq.csv", "a,b\n1,ok\n2,\"open\n3,more\n");
  ReadResult r = ReadAll(path, Csv(), {"a", "b"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L2 1|ok", "L3 unterminated_quote"));
  EXPECT_EQ(r.rows[1].raw, "2,\"open\n3,more");
}

TEST_F(ReaderTest, CsvTrailingDelimiterMeansEmptyLastField) {
  std::string path = Write("t.csv", "a,b\n1,\n2,\"\"");
  ReadResult r = ReadAll(path, Csv(), {"a", "b"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L2 1|", "L3 2|"));
}

TEST_F(ReaderTest, CsvRecordsAcrossBufferBoundariesKeepValuesAndLines) {
  // ~10 MB: records straddle the 4 MiB buffer refills, some spanning lines.
  std::string contents = "id,text,n\n";
  const int kRows = 200000;
  uint64_t line = 2;
  std::vector<uint64_t> lines;
  for (int i = 0; i < kRows; ++i) {
    lines.push_back(line);
    if (i % 7 == 0) {
      contents += std::to_string(i) + ",\"multi\nline \"\"" + std::to_string(i) + "\"\", ok\"," +
                  std::to_string(i * 2) + "\r\n";
      line += 2;
    } else {
      contents += std::to_string(i) + ",plain text number " + std::to_string(i) + " padding," +
                  std::to_string(i * 2) + "\n";
      line += 1;
    }
  }
  std::string path = Write("big.csv", contents);
  ReadResult r = ReadAll(path, Csv(), {"id", "text", "n"});
  ASSERT_OK(r.open_status);
  ASSERT_OK(r.end_status);
  ASSERT_EQ(r.rows.size(), static_cast<size_t>(kRows));
  for (int i = 0; i < kRows; ++i) {
    const OwnedRow& row = r.rows[i];
    ASSERT_EQ(row.error, RowError::kNone) << i;
    ASSERT_EQ(row.line, lines[i]) << i;
    ASSERT_EQ(*row.values[0], std::to_string(i));
    ASSERT_EQ(*row.values[2], std::to_string(i * 2));
    if (i % 7 == 0) {
      ASSERT_EQ(*row.values[1], "multi\nline \"" + std::to_string(i) + "\", ok");
    } else {
      ASSERT_EQ(*row.values[1], "plain text number " + std::to_string(i) + " padding");
    }
  }
  EXPECT_EQ(r.bytes_consumed, contents.size());
}

TEST_F(ReaderTest, CsvRecordLargerThanTheBuffer) {
  // A 6 MiB record (default max_row_bytes 1 MiB) cannot fit the 4 MiB
  // buffer: it is skipped as it streams by, and the rows around it stand.
  std::string contents = "a,b\n1,x\n2,\"";
  contents += std::string(6 << 20, 'y');
  contents += "\"\n3,z\n4,";
  contents += std::string(6 << 20, 'w');
  contents += "\n5,v\n";
  std::string path = Write("huge.csv", contents);
  ReadResult r = ReadAll(path, Csv(), {"a", "b"});
  ASSERT_OK(r.open_status);
  ASSERT_OK(r.end_status);
  EXPECT_THAT(Summary(r),
              ElementsAre("L2 1|x", "L3 row_too_long", "L4 3|z", "L5 row_too_long", "L6 5|v"));
  EXPECT_EQ(r.rows[1].raw.size(), size_t{1} << 20);
  EXPECT_EQ(r.rows[1].raw.substr(0, 5), "2,\"yy");
}

TEST_F(ReaderTest, CsvLargeMaxRowBytesGrowsTheBuffer) {
  std::string contents = "a,b\n1,\"";
  contents += std::string(5 << 20, 'y');
  contents += "\"\n2,z\n";
  std::string path = Write("grow.csv", contents);
  ReaderOptions o = Csv();
  o.max_row_bytes = 8 << 20;
  o.max_field_bytes = 8 << 20;
  ReadResult r = ReadAll(path, o, {"a", "b"});
  ASSERT_OK(r.open_status);
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].error, RowError::kNone);
  EXPECT_EQ(r.rows[0].values[1]->size(), size_t{5} << 20);
  EXPECT_EQ(Summary(r)[1], "L3 2|z");
}

TEST_F(ReaderTest, CsvBadHeaderIsInvalidArgument) {
  std::string path = Write("bh.csv", "a,\xff\n1,2\n");
  EXPECT_THAT(ReadAll(path, Csv(), {"a"}).open_status,
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("invalid_utf8")));
}

// ---------------------------------------------------------------- JSON lines

TEST_F(ReaderTest, JsonlValuesOfEveryKind) {
  std::string path = Write(
      "a.jsonl",
      R"({"user":"u1","price":19.990,"n":123456789012345678901234567890,"ok":true,"ctx":{"page":{"id":"p7"},"k":[1,2]},"tags":["a", "b"],"nil":null})"
      "\n"
      R"({"user":"esc\"aped\u00e9\n","price":-1e-3,"ok":false,"ctx":{"page":"not an object"}})"
      "\n"
      R"({"other":1})"
      "\n");
  ReadResult r =
      ReadAll(path, Jsonl(), {"user", "price", "n", "ok", "ctx.page.id", "ctx.k", "tags", "nil"});
  ASSERT_OK(r.open_status);
  ASSERT_OK(r.end_status);
  EXPECT_THAT(Summary(r),
              ElementsAre("L1 u1|19.990|123456789012345678901234567890|true|p7|[1,2]|[\"a\", "
                          "\"b\"]|<null>",
                          "L2 esc\"aped\xC3\xA9\n|-1e-3|<null>|false|<null>|<null>|<null>|<null>",
                          "L3 <null>|<null>|<null>|<null>|<null>|<null>|<null>|<null>"));
  EXPECT_THAT(r.names, ElementsAre("user", "price", "n", "ok", "ctx", "tags", "nil", "other"));
}

TEST_F(ReaderTest, JsonlNestedObjectAsRawTextAndAsPath) {
  std::string path =
      Write("n.jsonl", "{\"ctx\" : { \"a\" : 1 , \"b\":{\"c\":\"d\"} } , \"z\":0}\n");
  ReadResult r = ReadAll(path, Jsonl(), {"ctx", "ctx.b.c", "ctx.a"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L1 { \"a\" : 1 , \"b\":{\"c\":\"d\"} }|d|1"));
}

TEST_F(ReaderTest, JsonlLiteralDottedKeyWinsOverPath) {
  std::string path = Write("d.jsonl",
                           "{\"a\":{\"b\":\"nested\"},\"a.b\":\"literal\"}\n"
                           "{\"a.b\":\"literal\",\"a\":{\"b\":\"nested\"}}\n"
                           "{\"a\":{\"b\":\"nested\"}}\n"
                           "{\"a\":{\"b\":1,\"b\":2},\"x\":1,\"x\":2}\n");
  ReadResult r = ReadAll(path, Jsonl(), {"a.b", "x"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r),
              ElementsAre("L1 literal|<null>", "L2 literal|<null>", "L3 nested|<null>", "L4 1|1"));
}

TEST_F(ReaderTest, JsonlEscapedKeysMatch) {
  std::string path = Write("k.jsonl", R"({"us\u0065r":"u1","\"q\"":2})"
                                      "\n");
  ReadResult r = ReadAll(path, Jsonl(), {"user", "\"q\""});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L1 u1|2"));
}

TEST_F(ReaderTest, JsonlTruncatedLastLine) {
  std::string path = Write("t.jsonl", "{\"a\":1}\n{\"a\":2}\n{\"a\":3,\"b\":\"cut mid");
  ReadResult r = ReadAll(path, Jsonl(), {"a"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L1 1", "L2 2", "L3 malformed_json"));
  EXPECT_EQ(r.rows[2].raw, "{\"a\":3,\"b\":\"cut mid");

  std::string path2 = Write("t2.jsonl", "{\"a\":1}\n{\"a\":{\"b\":2");
  ReadResult r2 = ReadAll(path2, Jsonl(), {"a"});
  EXPECT_THAT(Summary(r2), ElementsAre("L1 1", "L2 malformed_json"));
}

TEST_F(ReaderTest, JsonlNotAnObjectVersusMalformed) {
  std::string path = Write("o.jsonl",
                           "[1,2]\n"
                           "42\n"
                           "\"str\"\n"
                           "null\n"
                           "true\n"
                           "123456789012345678901234567890\n"
                           "hello\n"
                           "[1,\n"
                           "{\"a\":1}\n");
  ReadResult r = ReadAll(path, Jsonl(), {"a"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r),
              ElementsAre("L1 not_json_object", "L2 not_json_object", "L3 not_json_object",
                          "L4 not_json_object", "L5 not_json_object", "L6 not_json_object",
                          "L7 malformed_json", "L8 malformed_json", "L9 1"));
  EXPECT_THAT(r.rows[0].detail, HasSubstr("array"));
}

TEST_F(ReaderTest, JsonlMalformedAnywhereInTheLine) {
  // Errors in keys and values nobody asked for still make the row malformed.
  const std::vector<std::string> bad = {
      R"({"a":1,})",           R"({"a" 1})",
      R"({"a":1 "b":2})",      R"({"a":1,"b":01})",
      R"({"a":1,"b":1.})",     R"({"a":1,"b":-})",
      R"({"a":1,"b":1.5x})",   R"({"a":1,"b":tru})",
      R"({"a":1,"b":nul})",    R"({"a":1,"b":"\x"})",
      R"({"a":1,"\q":2})",     R"({"a":1} x)",
      R"({"a":1}})",           R"({"a":1,"b":[1 2]})",
      R"({"a":1,"b":{"c":}})", "{\"a\":1,\"b\":\"tab\there\"}",
      "{\"a\":\"tab\there\"}", "{\"a\":1,\"b\":\"ctl\x01\"}",
  };
  std::string contents;
  for (const auto& line : bad) contents += line + "\n";
  contents += "{\"a\":7}\n";
  std::string path = Write("m.jsonl", contents);
  ReadResult r = ReadAll(path, Jsonl(), {"a"});
  ASSERT_OK(r.open_status);
  ASSERT_EQ(r.rows.size(), bad.size() + 1);
  for (size_t i = 0; i < bad.size(); ++i) {
    EXPECT_EQ(r.rows[i].error, RowError::kMalformedJson) << bad[i];
    EXPECT_EQ(r.rows[i].line, i + 1);
    EXPECT_EQ(r.rows[i].raw, bad[i]);
  }
  EXPECT_EQ(r.rows.back().line, bad.size() + 1);
  EXPECT_THAT(r.rows.back().values, ElementsAre("7"));
}

TEST_F(ReaderTest, JsonlDeepNestingIsMalformedNotACrash) {
  std::string deep = "{\"a\":1,\"b\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  std::string ok = "{\"a\":2,\"b\":" + std::string(50, '[') + std::string(50, ']') + "}";
  std::string path = Write("deep.jsonl", deep + "\n" + ok + "\n");
  ReadResult r = ReadAll(path, Jsonl(), {"a"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L1 malformed_json", "L2 2"));
}

TEST_F(ReaderTest, JsonlBlankLines) {
  std::string path = Write("b.jsonl", "{\"a\":1}\n\n  \t\n{\"a\":2}\n\n \r\n\n");
  ReadResult r = ReadAll(path, Jsonl(), {"a"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L1 1", "L2 malformed_json", "L3 malformed_json", "L4 2"));
  EXPECT_EQ(r.rows[1].detail, "blank line");
  EXPECT_EQ(r.rows[2].raw, "  \t");
}

TEST_F(ReaderTest, JsonlInvalidUtf8AndNul) {
  std::string contents = "{\"a\":\"ok\"}\n{\"a\":\"bad\xC3(\"}\n{\"a\":\"nul";
  contents += '\0';
  contents += "\"}\n{\"a\":\"\xE2\x82\xAC\"}\n";
  std::string path = Write("u.jsonl", contents);
  ReadResult r = ReadAll(path, Jsonl(), {"a"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r),
              ElementsAre("L1 ok", "L2 invalid_utf8", "L3 nul_byte", "L4 \xE2\x82\xAC"));
}

TEST_F(ReaderTest, JsonlCrlf) {
  std::string path = Write("c.jsonl", "{\"a\":1,\"b\":\"x\"}\r\n{\"a\":2.50}\r\n\r\n");
  ReadResult r = ReadAll(path, Jsonl(), {"a", "b"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r), ElementsAre("L1 1|x", "L2 2.50|<null>"));
  EXPECT_EQ(r.rows[1].raw, "{\"a\":2.50}");
}

TEST_F(ReaderTest, JsonlFieldAndRowTooLong) {
  std::string path = Write("l.jsonl",
                           "{\"a\":\"12345\",\"ignored\":\"long value not requested\"}\n"
                           "{\"a\":\"123456\"}\n"
                           "{\"a\":\"1\",\"pad\":\"" +
                               std::string(100, 'p') + "\"}\n{\"a\":\"end\"}");
  ReaderOptions o = Jsonl();
  o.max_field_bytes = 5;
  o.max_row_bytes = 80;
  ReadResult r = ReadAll(path, o, {"a"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(Summary(r),
              ElementsAre("L1 12345", "L2 field_too_long", "L3 row_too_long", "L4 end"));
  EXPECT_EQ(r.rows[2].raw.size(), 80u);
  EXPECT_THAT(r.rows[1].detail, HasSubstr("'a' is 6 bytes"));
}

TEST_F(ReaderTest, JsonlLinesAcrossBuffersAndOneLargerThanTheBuffer) {
  std::string contents;
  const int kRows = 100000;
  for (int i = 0; i < kRows; ++i) {
    contents += R"({"ts":"2019-10-01 00:00:)" + std::to_string(i % 60) +
                R"( UTC","event_type":"view","product_id":)" + std::to_string(1000000 + i) +
                R"(,"price":)" + std::to_string(i) + R"(.99,"user_id":)" +
                std::to_string(500000000 + i) + R"(,"ctx":{"session":"s)" + std::to_string(i) +
                "\"}}\n";
    if (i == kRows / 2) contents += "{\"pad\":\"" + std::string(6 << 20, 'x') + "\"}\n";
  }
  std::string path = Write("big.jsonl", contents);
  ReadResult r = ReadAll(path, Jsonl(), {"product_id", "ctx.session"});
  ASSERT_OK(r.open_status);
  ASSERT_OK(r.end_status);
  ASSERT_EQ(r.rows.size(), static_cast<size_t>(kRows + 1));
  int good = 0;
  for (size_t k = 0; k < r.rows.size(); ++k) {
    const OwnedRow& row = r.rows[k];
    ASSERT_EQ(row.line, k + 1);
    if (k == kRows / 2 + 1) {
      ASSERT_EQ(row.error, RowError::kRowTooLong);
      continue;
    }
    const int i = static_cast<int>(k <= kRows / 2 ? k : k - 1);
    ASSERT_EQ(row.error, RowError::kNone) << k;
    ASSERT_EQ(*row.values[0], std::to_string(1000000 + i));
    ASSERT_EQ(*row.values[1], "s" + std::to_string(i));
    ++good;
  }
  EXPECT_EQ(good, kRows);
}

TEST_F(ReaderTest, JsonlEmptyFileAndBom) {
  ReadResult r = ReadAll(Write("e.jsonl", ""), Jsonl(), {"a"});
  ASSERT_OK(r.open_status);
  EXPECT_THAT(r.rows, IsEmpty());
  ReadResult r2 = ReadAll(Write("bom.jsonl", "\xEF\xBB\xBF{\"a\":1}\n"), Jsonl(), {"a"});
  EXPECT_THAT(Summary(r2), ElementsAre("L1 1"));
}

// ---------------------------------------------------------------- compression

TEST_F(ReaderTest, GzipWithConcatenatedMembers) {
  std::string data1 = "id,name\n1,a\n2,\"split ";
  std::string data2 = "across members\"\n3,c\n";
  std::string path = Write("a.csv.gz", Gzip(data1) + Gzip(data2));
  ReadResult r = ReadAll(path, Csv(), {"id", "name"});
  ASSERT_OK(r.open_status);
  ASSERT_OK(r.end_status);
  EXPECT_THAT(Summary(r), ElementsAre("L2 1|a", "L3 2|split across members", "L4 3|c"));
  EXPECT_EQ(r.bytes_consumed, std::filesystem::file_size(path));
}

// ~12 MB of poorly compressible lines: several MiB compressed, so both the
// 1 MiB compressed chunks and the 4 MiB output buffer turn over many times,
// in several gzip members / zstd frames.
std::string NoisyJsonl(int rows) {
  std::string out;
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < rows; ++i) {
    char hex[33];
    for (int k = 0; k < 2; ++k) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      std::snprintf(hex + 16 * k, 17, "%016llx", static_cast<unsigned long long>(x));
    }
    out += "{\"i\":";
    out += std::to_string(i);
    out += ",\"h\":\"";
    out.append(hex, 32);
    out += "\"}\n";
  }
  return out;
}

void ExpectNoisyRows(const ReadResult& r, int rows) {
  ASSERT_OK(r.open_status);
  ASSERT_OK(r.end_status);
  ASSERT_EQ(r.rows.size(), static_cast<size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    ASSERT_EQ(r.rows[i].line, static_cast<uint64_t>(i + 1));
    ASSERT_EQ(r.rows[i].error, RowError::kNone) << i;
    ASSERT_EQ(*r.rows[i].values[0], std::to_string(i));
    ASSERT_EQ(r.rows[i].values[1]->size(), 32u);
  }
}

TEST_F(ReaderTest, GzipLargeStreamInSeveralMembers) {
  const int kRows = 240000;
  std::string contents = NoisyJsonl(kRows);
  std::string gz;
  for (size_t off = 0; off < contents.size(); off += 5000000)
    gz += Gzip(contents.substr(off, 5000000));
  ASSERT_GT(gz.size(), size_t{3} << 20);
  std::string path = Write("big.jsonl.gz", gz);
  ReadResult r = ReadAll(path, Jsonl(), {"i", "h"});
  ExpectNoisyRows(r, kRows);
  EXPECT_EQ(r.bytes_consumed, gz.size());
}

TEST_F(ReaderTest, ZstdLargeStreamInSeveralFrames) {
  const int kRows = 240000;
  std::string contents = NoisyJsonl(kRows);
  std::string z;
  for (size_t off = 0; off < contents.size(); off += 5000000)
    z += Zstd(contents.substr(off, 5000000));
  std::string path = Write("big.jsonl.zst", z);
  ReadResult r = ReadAll(path, Jsonl(), {"i", "h"});
  ExpectNoisyRows(r, kRows);
  EXPECT_EQ(r.bytes_consumed, z.size());
}

TEST_F(ReaderTest, GzipCorruptOrTruncatedIsIOError) {
  std::string contents;
  for (int i = 0; i < 20000; ++i)
    contents += std::to_string(i) + ",row " + std::to_string(i * 7) + "\n";
  std::string gz = Gzip("a,b\n" + contents);

  std::string corrupt = gz;
  for (size_t i = corrupt.size() / 2; i < corrupt.size() / 2 + 64; ++i) corrupt[i] ^= 0x5a;
  std::string p1 = Write("corrupt.csv.gz", corrupt);
  ReadResult r1 = ReadAll(p1, Csv(), {"a"});
  ASSERT_OK(r1.open_status);
  EXPECT_THAT(r1.end_status, StatusIs(StatusCode::kIOError, HasSubstr(p1)));

  std::string p2 = Write("truncated.csv.gz", gz.substr(0, gz.size() - 100));
  ReadResult r2 = ReadAll(p2, Csv(), {"a"});
  EXPECT_THAT(r2.end_status, StatusIs(StatusCode::kIOError,
                                      ::testing::AllOf(HasSubstr(p2), HasSubstr("end of file"))));

  std::string p3 = Write("garbage.csv.gz", Gzip("a\n1\n") + "not gzip at all");
  ReadResult r3 = ReadAll(p3, Csv(), {"a"});
  EXPECT_THAT(r3.end_status, StatusIs(StatusCode::kIOError, HasSubstr("corrupt gzip")));
}

TEST_F(ReaderTest, ZstdWithMultipleFrames) {
  std::string path = Write("a.jsonl.zst", Zstd("{\"a\":1}\n{\"a\":") + Zstd("2}\n{\"a\":3}\n"));
  ReadResult r = ReadAll(path, Jsonl(), {"a"});
  ASSERT_OK(r.open_status);
  ASSERT_OK(r.end_status);
  EXPECT_THAT(Summary(r), ElementsAre("L1 1", "L2 2", "L3 3"));
}

TEST_F(ReaderTest, ZstdCorruptOrTruncatedIsIOError) {
  std::string contents;
  for (int i = 0; i < 20000; ++i) contents += "{\"i\":" + std::to_string(i) + "}\n";
  std::string z = Zstd(contents);
  std::string p1 = Write("t.jsonl.zst", z.substr(0, z.size() / 2));
  EXPECT_THAT(ReadAll(p1, Jsonl(), {"i"}).end_status,
              StatusIs(StatusCode::kIOError, HasSubstr(p1)));
  std::string corrupt = z;
  corrupt[0] ^= 0x33;  // not a zstd frame (magic number)
  std::string p2 = Write("c.jsonl.zst", corrupt);
  EXPECT_THAT(ReadAll(p2, Jsonl(), {"i"}).end_status,
              StatusIs(StatusCode::kIOError, HasSubstr("corrupt zstd")));
}

TEST_F(ReaderTest, DetectCompressionBySuffixThenMagic) {
  EXPECT_EQ(*DetectCompression(Write("x.gz", "plain")), Compression::kGzip);
  EXPECT_EQ(*DetectCompression(Write("x.zst", "plain")), Compression::kZstd);
  EXPECT_EQ(*DetectCompression(Write("x.zstd", "plain")), Compression::kZstd);
  EXPECT_EQ(*DetectCompression(Write("g.csv", Gzip("a\n"))), Compression::kGzip);
  EXPECT_EQ(*DetectCompression(Write("z.csv", Zstd("a\n"))), Compression::kZstd);
  EXPECT_EQ(*DetectCompression(Write("p.csv", "a,b\n")), Compression::kNone);
  EXPECT_EQ(*DetectCompression(Write("e.csv", "")), Compression::kNone);

  // Magic bytes decide for a file without a telling suffix.
  ReadResult r = ReadAll(Write("data.csv", Gzip("a\nx\n")), Csv(), {"a"});
  EXPECT_THAT(Summary(r), ElementsAre("L2 x"));
  ReadResult r2 = ReadAll(Write("data2.jsonl", Zstd("{\"a\":1}\n")), Jsonl(), {"a"});
  EXPECT_THAT(Summary(r2), ElementsAre("L1 1"));
  // An explicit choice wins over detection.
  ReaderOptions o = Csv();
  o.compression = Compression::kNone;
  ReadResult r3 = ReadAll(Write("plain.csv.gz", "a\ny\n"), o, {"a"});
  EXPECT_THAT(Summary(r3), ElementsAre("L2 y"));
}

// ---------------------------------------------------------------- buffering

// Serves a string in chunks of random sizes (1..max_chunk bytes), so that the
// readers' buffer ends fall everywhere: inside quotes, between CR and LF, in
// the middle of a BOM, a doubled quote or a multi-byte character.
class ChunkedSource final : public ByteSource {
 public:
  ChunkedSource(std::string data, size_t max_chunk, uint32_t seed)
      : data_(std::move(data)), max_chunk_(max_chunk), rng_(seed) {}
  StatusOr<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min(
        {n, data_.size() - pos_, std::uniform_int_distribution<size_t>(1, max_chunk_)(rng_)});
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    consumed_ += k;
    return k;
  }

 private:
  std::string data_;
  size_t pos_ = 0;
  size_t max_chunk_;
  std::mt19937 rng_;
};

using Opener = StatusOr<std::unique_ptr<RowReader>> (*)(const std::string&,
                                                        std::unique_ptr<ByteSource>,
                                                        const ReaderOptions&,
                                                        const std::vector<std::string>&);

std::vector<OwnedRow> ReadFromSource(Opener open, std::unique_ptr<ByteSource> source,
                                     const ReaderOptions& o, const std::vector<std::string>& cols,
                                     Status* status) {
  std::vector<OwnedRow> rows;
  auto reader = open("mem", std::move(source), o, cols);
  if (!reader.ok()) {
    *status = reader.status();
    return rows;
  }
  Row row;
  for (;;) {
    StatusOr<bool> more = (*reader)->Next(&row);
    if (!more.ok()) {
      *status = more.status();
      break;
    }
    if (!*more) break;
    OwnedRow r;
    r.line = row.line;
    r.error = row.error;
    r.detail = row.error_detail;
    r.raw = std::string(row.raw);
    for (const auto& v : row.values) {
      r.values.push_back(v ? std::optional<std::string>(std::string(*v)) : std::nullopt);
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

void ExpectSameRows(const std::vector<OwnedRow>& a, const std::vector<OwnedRow>& b,
                    const std::string& input) {
  ASSERT_EQ(a.size(), b.size()) << ::testing::PrintToString(input);
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].line, b[i].line) << i << " " << ::testing::PrintToString(input);
    ASSERT_EQ(a[i].error, b[i].error) << i << " " << ::testing::PrintToString(input);
    ASSERT_EQ(a[i].raw, b[i].raw) << i << " " << ::testing::PrintToString(input);
    ASSERT_EQ(a[i].values, b[i].values) << i << " " << ::testing::PrintToString(input);
  }
}

std::string RandomText(std::mt19937& rng, const std::string& alphabet, size_t max_len) {
  size_t len = std::uniform_int_distribution<size_t>(0, max_len)(rng);
  std::string out;
  if (std::uniform_int_distribution<int>(0, 9)(rng) == 0) out = "\xEF\xBB\xBF";
  for (size_t i = 0; i < len; ++i) {
    out += alphabet[std::uniform_int_distribution<size_t>(0, alphabet.size() - 1)(rng)];
  }
  return out;
}

// The record boundaries the CSV contract defines, computed the slow and
// obvious way (limits aside): (start line, raw) per record.
std::vector<std::pair<uint64_t, std::string>> ReferenceCsvRecords(std::string s) {
  if (s.rfind("\xEF\xBB\xBF", 0) == 0) s = s.substr(3);
  std::vector<std::pair<uint64_t, std::string>> out;
  uint64_t line = 1;
  size_t i = 0;
  while (i < s.size()) {
    const uint64_t start_line = line;
    const size_t start = i;
    bool in_quotes = false, field_start = true, ended = false;
    while (i < s.size()) {
      char c = s[i++];
      if (in_quotes) {
        if (c == '"') {
          if (i < s.size() && s[i] == '"') {
            ++i;
          } else {
            in_quotes = false;
          }
        } else if (c == '\n') {
          ++line;
        }
        continue;
      }
      if (c == '\n') {
        ++line;
        ended = true;
        break;
      }
      if (c == ',') {
        field_start = true;
      } else if (c == '"' && field_start) {
        in_quotes = true;
        field_start = false;
      } else {
        field_start = false;
      }
    }
    std::string raw = s.substr(start, (ended ? i - 1 : i) - start);
    if (!ended && !raw.empty() && raw.back() == '\n') raw.pop_back();
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    out.emplace_back(start_line, raw);
  }
  // Empty records at the very end are the file's trailing line breaks.
  while (!out.empty() && out.back().second.empty()) out.pop_back();
  return out;
}

TEST(ReaderBuffering, CsvRowsDoNotDependOnHowBytesArrive) {
  std::mt19937 rng(12345);
  const std::string alphabet = "ab,,\"\"\n\r \xff\xc3\xa9";
  for (int iter = 0; iter < 3000; ++iter) {
    std::string input = RandomText(rng, alphabet, 300);
    ReaderOptions o;
    o.header = iter % 3 == 0;
    o.max_row_bytes = iter % 2 ? 1 << 20 : 40;
    o.max_field_bytes = iter % 4 ? 1 << 20 : 8;
    const std::vector<std::string> cols =
        o.header ? std::vector<std::string>{} : std::vector<std::string>{"column1"};
    Status s1, s2;
    auto whole = ReadFromSource(
        &OpenCsvReader, std::make_unique<ChunkedSource>(input, 1 << 20, iter), o, cols, &s1);
    auto bits = ReadFromSource(&OpenCsvReader, std::make_unique<ChunkedSource>(input, 3, iter), o,
                               cols, &s2);
    ASSERT_EQ(s1.code(), s2.code()) << ::testing::PrintToString(input);
    ASSERT_NO_FATAL_FAILURE(ExpectSameRows(whole, bits, input));
    for (size_t i = 1; i < whole.size(); ++i) ASSERT_GT(whole[i].line, whole[i - 1].line);

    if (!s1.ok() || o.max_row_bytes != 1 << 20) continue;
    // Without limits, every record of the contract is one row.
    auto ref = ReferenceCsvRecords(input);
    if (o.header && !ref.empty()) ref.erase(ref.begin());
    ASSERT_EQ(whole.size(), ref.size()) << ::testing::PrintToString(input);
    for (size_t i = 0; i < ref.size(); ++i) {
      ASSERT_EQ(whole[i].line, ref[i].first) << i << " " << ::testing::PrintToString(input);
      ASSERT_EQ(whole[i].raw, ref[i].second) << i << " " << ::testing::PrintToString(input);
    }
  }
}

TEST(ReaderBuffering, JsonlRowsDoNotDependOnHowBytesArriveAndEveryLineIsARow) {
  std::mt19937 rng(54321);
  const std::vector<std::string> pieces = {"{\"a\":1}",
                                           "{\"a\":\"x\\\"y\"}",
                                           "{\"b\":{\"c\":[1,2]}}",
                                           "[1]",
                                           "{",
                                           "}",
                                           "\"",
                                           ":",
                                           ",",
                                           "\n",
                                           "\r\n",
                                           " ",
                                           "\xff",
                                           "1.5",
                                           "null",
                                           "{\"a\":null,\"b\":true}"};
  for (int iter = 0; iter < 3000; ++iter) {
    std::string input = iter % 10 == 0 ? "\xEF\xBB\xBF" : "";
    const int n = std::uniform_int_distribution<int>(0, 40)(rng);
    for (int k = 0; k < n; ++k) {
      input += pieces[std::uniform_int_distribution<size_t>(0, pieces.size() - 1)(rng)];
    }
    ReaderOptions o;
    o.format = Format::kJsonl;
    o.max_row_bytes = iter % 2 ? 1 << 20 : 30;
    o.max_field_bytes = iter % 4 ? 1 << 20 : 4;
    const std::vector<std::string> cols = {"a", "b.c", "b"};
    Status s1, s2;
    auto whole = ReadFromSource(
        &OpenJsonlReader, std::make_unique<ChunkedSource>(input, 1 << 20, iter), o, cols, &s1);
    auto bits = ReadFromSource(&OpenJsonlReader, std::make_unique<ChunkedSource>(input, 3, iter), o,
                               cols, &s2);
    ASSERT_OK(s1);
    ASSERT_OK(s2);
    ASSERT_NO_FATAL_FAILURE(ExpectSameRows(whole, bits, input));
    // Every line is a row (lines 1..N), except blank lines at the very end.
    std::string body = input.rfind("\xEF\xBB\xBF", 0) == 0 ? input.substr(3) : input;
    std::vector<std::string> lines;
    size_t start = 0;
    for (size_t i = 0; i <= body.size(); ++i) {
      if (i == body.size() || body[i] == '\n') {
        if (i < body.size() || start < body.size()) lines.push_back(body.substr(start, i - start));
        start = i + 1;
      }
    }
    while (!lines.empty() && lines.back().find_first_not_of(" \t\r") == std::string::npos) {
      lines.pop_back();
    }
    ASSERT_EQ(whole.size(), lines.size()) << ::testing::PrintToString(input);
    for (size_t i = 0; i < whole.size(); ++i) ASSERT_EQ(whole[i].line, i + 1);
  }
}

// ---------------------------------------------------------------- Parquet

class ParquetTest : public ReaderTest {
 protected:
  void MakeParquet(const std::string& path, const std::string& select) {
    auto db = lake::Database::Open("");
    ASSERT_OK(db);
    auto con = (*db)->Connect();
    ASSERT_OK(con);
    ASSERT_OK(con->Execute("COPY (" + select + ") TO " + lake::SqlString(path) +
                           " (FORMAT parquet, ROW_GROUP_SIZE 10000)"));
  }
  ReaderOptions Parquet() {
    ReaderOptions o;
    o.format = Format::kParquet;
    return o;
  }
};

TEST_F(ParquetTest, ReadsRowsInFileOrder) {
  std::string path = dir_ + "/a.parquet";
  MakeParquet(path,
              "SELECT * FROM (VALUES (1, 'u1', 19.99::DECIMAL(10,2), DATE '2020-01-02'), "
              "(2, NULL, 0.5::DECIMAL(10,2), NULL), (3, 'c,d', NULL, DATE '2021-12-31')) "
              "t(id, user_id, price, day)");
  ReadResult r = ReadAll(path, Parquet(), {"user_id", "id", "price", "day"});
  ASSERT_OK(r.open_status);
  ASSERT_OK(r.end_status);
  EXPECT_THAT(Summary(r), ElementsAre("L1 u1|1|19.99|2020-01-02", "L2 <null>|2|0.50|<null>",
                                      "L3 c,d|3|<null>|2021-12-31"));
  EXPECT_EQ(r.rows[1].raw, ",2,0.50,");
  EXPECT_THAT(r.names, ElementsAre("id", "user_id", "price", "day"));
}

TEST_F(ParquetTest, ManyRowsAcrossBatches) {
  std::string path = dir_ + "/big.parquet";
  const int kRows = 150000;
  MakeParquet(path,
              "SELECT i AS id, 'n' || i AS name FROM range(" + std::to_string(kRows) + ") t(i)");
  ReadResult r = ReadAll(path, Parquet(), {"name"});
  ASSERT_OK(r.end_status);
  ASSERT_EQ(r.rows.size(), static_cast<size_t>(kRows));
  for (int i = 0; i < kRows; ++i) {
    ASSERT_EQ(r.rows[i].line, static_cast<uint64_t>(i + 1));
    ASSERT_EQ(*r.rows[i].values[0], std::string("n").append(std::to_string(i)));
  }
  EXPECT_EQ(r.bytes_consumed, std::filesystem::file_size(path));
}

TEST_F(ParquetTest, MissingColumnIsInvalidArgument) {
  std::string path = dir_ + "/m.parquet";
  MakeParquet(path, "SELECT 1 AS id, 'x' AS name");
  EXPECT_THAT(ReadAll(path, Parquet(), {"id", "price"}).open_status,
              StatusIs(StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr("'price'"), HasSubstr("id, name"))));
}

TEST_F(ParquetTest, NulAndTooLongValuesAreRowErrors) {
  std::string path = dir_ + "/e.parquet";
  MakeParquet(path,
              "SELECT * FROM (VALUES (1, 'ok'), (2, 'a' || chr(0) || 'b'), (3, repeat('x', 50))) "
              "t(id, v)");
  ReaderOptions o = Parquet();
  o.max_field_bytes = 10;
  ReadResult r = ReadAll(path, o, {"id", "v"});
  ASSERT_OK(r.end_status);
  EXPECT_THAT(Summary(r), ElementsAre("L1 1|ok", "L2 nul_byte", "L3 field_too_long"));
}

TEST_F(ParquetTest, FileWithItsOwnFileRowNumberColumn) {
  std::string path = dir_ + "/own.parquet";
  MakeParquet(path, "SELECT 10 - i AS file_row_number, i AS v FROM range(5) t(i)");
  ReadResult r = ReadAll(path, Parquet(), {"v", "file_row_number"});
  ASSERT_OK(r.open_status);
  ASSERT_OK(r.end_status);
  EXPECT_THAT(Summary(r), ElementsAre("L1 0|10", "L2 1|9", "L3 2|8", "L4 3|7", "L5 4|6"));
}

TEST_F(ParquetTest, NotAParquetFileIsIOError) {
  std::string path = Write("bad.parquet", "id,name\n1,a\n");
  EXPECT_THAT(ReadAll(path, Parquet(), {"id"}).open_status,
              StatusIs(StatusCode::kIOError, HasSubstr(path)));
}

// ---------------------------------------------------------------- throughput

// Run by hand in a Release build:
//   recmart_ingest_test --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'
// Prints MB/s; no timing is asserted.
double TimeRead(const std::string& path, const ReaderOptions& o,
                const std::vector<std::string>& columns, size_t* rows, double* cpu_seconds) {
  timespec cpu0, cpu1;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0);
  auto start = std::chrono::steady_clock::now();
  auto reader = RowReader::Open(path, o, columns);
  EXPECT_TRUE(reader.ok());
  Row row;
  size_t n = 0, bad = 0;
  while (true) {
    auto more = (*reader)->Next(&row);
    if (!more.ok() || !*more) break;
    ++n;
    if (row.error != RowError::kNone) ++bad;
  }
  EXPECT_EQ(bad, 0u);
  *rows = n;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu1);
  *cpu_seconds = double(cpu1.tv_sec - cpu0.tv_sec) + double(cpu1.tv_nsec - cpu0.tv_nsec) / 1e9;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST_F(ReaderTest, DISABLED_ThroughputJsonlAndCsv) {
  std::string json, csv =
                        "event_time,event_type,product_id,category_id,category_code,brand,price,"
                        "user_id,user_session\n";
  for (int i = 0; json.size() < (size_t{300} << 20); ++i) {
    // ~150-byte clickstream lines, 6 of 8 keys requested.
    json += R"({"event_time":"2019-10-01 00:00:)" + std::to_string(10 + i % 50) +
            R"( UTC","event_type":"view","product_id":)" + std::to_string(44600062 + i % 1000) +
            R"(,"brand":"shiseido","price":35.79,"user_id":)" +
            std::to_string(541312140 + i % 100000) + R"(,"user_session":"72d76fde-8bb3"})" + "\n";
    csv += "2019-10-01 00:00:" + std::to_string(10 + i % 50) + " UTC,view," +
           std::to_string(44600062 + i % 1000) +
           ",2103807459595387724,electronics.smartphone,\"shiseido\",35.79," +
           std::to_string(541312140 + i % 100000) + ",72d76fde-8bb3-4e00-8c23-a032dfed738c\n";
  }
  std::string jpath = Write("t.jsonl", json);
  std::string cpath = Write("t.csv", csv);
  const std::vector<std::string> cols = {"event_time", "event_type", "product_id",
                                         "price",      "user_id",    "user_session"};
  for (int rep = 0; rep < 3; ++rep) {
    size_t rows = 0;
    double cpu = 0;
    double t = TimeRead(jpath, Jsonl(), cols, &rows, &cpu);
    std::printf("jsonl: %zu rows (%.0f bytes/row), %.1f MB: wall %.0f MB/s, cpu %.0f MB/s\n", rows,
                double(json.size()) / rows, json.size() / 1e6, json.size() / 1e6 / t,
                json.size() / 1e6 / cpu);
    t = TimeRead(cpath, Csv(), cols, &rows, &cpu);
    std::printf("csv:   %zu rows (%.0f bytes/row), %.1f MB: wall %.0f MB/s, cpu %.0f MB/s\n", rows,
                double(csv.size()) / rows, csv.size() / 1e6, csv.size() / 1e6 / t,
                csv.size() / 1e6 / cpu);
  }
}

}  // namespace
}  // namespace recmart::ingest
