#include "recmart/ingest/reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <new>

#include "recmart/ingest/csv_reader.h"
#include "recmart/ingest/decompress.h"
#include "recmart/ingest/jsonl_reader.h"
#include "recmart/ingest/parquet_reader.h"

namespace recmart::ingest {

StatusOr<bool> RowReader::Next(Row* row) {
  try {
    return ReadNext(row);
  } catch (const std::bad_alloc&) {
    return Status::Internal(path() + ": out of memory reading " + Position());
  } catch (const std::exception& e) {
    return Status::Internal(path() + ": unexpected error near " + Position() + ": " + e.what());
  }
}
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

StatusOr<std::unique_ptr<RowReader>> OpenImpl(const std::string& path, const ReaderOptions& options,
                                              const std::vector<std::string>& columns) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) return Status::NotFound(path + ": no such file");
    return Status::IOError(path + ": " + std::strerror(err));
  }
  if (S_ISDIR(st.st_mode)) return Status::IOError(path + ": is a directory, not a file");

  if (options.format == Format::kParquet) {
    // Parquet compresses its pages itself; an outer gzip/zstd layer is not
    // something DuckDB's reader (or any Parquet reader) accepts.
    if (options.compression == Compression::kGzip || options.compression == Compression::kZstd) {
      return Status::InvalidArgument(path + ": a Parquet file cannot be read with compression '" +
                                     std::string(CompressionName(options.compression)) +
                                     "' (Parquet compresses internally)");
    }
    return OpenParquetReader(path, options, columns);
  }

  Compression compression = options.compression;
  if (compression == Compression::kAuto) {
    ASSIGN_OR_RETURN(compression, DetectCompression(path));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source, OpenByteSource(path, compression));
  if (options.format == Format::kJsonl) {
    return OpenJsonlReader(path, std::move(source), options, columns);
  }
  return OpenCsvReader(path, std::move(source), options, columns);
}

}  // namespace

std::string_view FormatName(Format f) {
  switch (f) {
    case Format::kCsv:
      return "csv";
    case Format::kTsv:
      return "tsv";
    case Format::kJsonl:
      return "jsonl";
    case Format::kParquet:
      return "parquet";
  }
  return "unknown";
}

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kAuto:
      return "auto";
    case Compression::kNone:
      return "none";
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
  }
  return "unknown";
}

std::string_view RowErrorName(RowError e) {
  switch (e) {
    case RowError::kNone:
      return "none";
    case RowError::kInvalidUtf8:
      return "invalid_utf8";
    case RowError::kNulByte:
      return "nul_byte";
    case RowError::kMalformedJson:
      return "malformed_json";
    case RowError::kNotJsonObject:
      return "not_json_object";
    case RowError::kWrongColumnCount:
      return "wrong_column_count";
    case RowError::kUnterminatedQuote:
      return "unterminated_quote";
    case RowError::kFieldTooLong:
      return "field_too_long";
    case RowError::kRowTooLong:
      return "row_too_long";
  }
  return "unknown";
}

StatusOr<Compression> DetectCompression(const std::string& path) {
  if (EndsWith(path, ".gz")) return Compression::kGzip;
  if (EndsWith(path, ".zst") || EndsWith(path, ".zstd")) return Compression::kZstd;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) return Status::NotFound(path + ": no such file");
    return Status::IOError(path + ": cannot open: " + std::strerror(err));
  }
  char magic[4];
  size_t got = 0;
  while (got < sizeof(magic)) {
    ssize_t r = ::read(fd, magic + got, sizeof(magic) - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int err = errno;
      ::close(fd);
      return Status::IOError(path + ": read failed: " + std::strerror(err));
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  return CompressionFromMagic(std::string_view(magic, got));
}

StatusOr<std::unique_ptr<RowReader>> RowReader::Open(const std::string& path,
                                                     const ReaderOptions& options,
                                                     const std::vector<std::string>& columns) {
  // Nothing may throw out of the API: allocation failure and any library
  // exception become a Status here (each reader's Next() does the same).
  try {
    return OpenImpl(path, options, columns);
  } catch (const std::bad_alloc&) {
    return Status::Internal(path + ": out of memory opening the file");
  } catch (const std::exception& e) {
    return Status::Internal(path + ": unexpected error opening the file: " + e.what());
  } catch (...) {
    return Status::Internal(path + ": unexpected error opening the file");
  }
}

}  // namespace recmart::ingest
