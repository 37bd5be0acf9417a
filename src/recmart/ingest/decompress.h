// Streaming byte sources (plain, gzip, zstd) and the read buffer the
// line-oriented readers parse in place.
//
// Internal to the ingest module: callers use RowReader (reader.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "recmart/common/status.h"
#include "recmart/ingest/reader.h"

namespace recmart::ingest {

// A forward-only stream of (decompressed) bytes.
class ByteSource {
 public:
  virtual ~ByteSource() = default;

  // Reads up to `n` bytes into `buf`. Returns the number read, which is 0 only
  // at the end of the stream. IOError (naming the file) when the file cannot
  // be read or a compressed stream is corrupt or truncated; reading must not
  // go on after an error.
  virtual StatusOr<size_t> Read(char* buf, size_t n) = 0;

  // Bytes of the underlying file consumed so far (compressed bytes for gzip
  // and zstd), for progress reporting.
  uint64_t compressed_bytes_consumed() const { return consumed_; }

 protected:
  uint64_t consumed_ = 0;
};

// Opens `path` with `compression`, which must be resolved (not kAuto).
// NotFound when the file does not exist, IOError when it cannot be opened.
StatusOr<std::unique_ptr<ByteSource>> OpenByteSource(const std::string& path,
                                                     Compression compression);

// The compression announced by a file's first bytes: gzip (1f 8b), zstd
// (28 b5 2f fd), else kNone.
Compression CompressionFromMagic(std::string_view first_bytes);

// A read buffer over a ByteSource that readers parse in place. The valid
// bytes are data()[0, size()); the reader keeps its own offsets into them.
//
// Guarantees, which the parsers rely on:
//  - data()[size()] is '\n' (a sentinel that ends every scanning loop without
//    a bounds check; parsers check "p == end" where it matters);
//  - at least kPadding bytes after size() are allocated and readable, which
//    is what simdjson needs (SIMDJSON_PADDING) to parse a line in place;
//  - bytes move only in Refill.
//
// The buffer starts small and doubles while reads keep filling it, up to
// `capacity` (4 MiB by default): small files stay cheap, large ones are read
// in large blocks. It grows past `capacity` only to hold one record that
// fills most of it.
class InputBuffer {
 public:
  static constexpr size_t kPadding = 128;
  static constexpr size_t kDefaultCapacity = size_t{4} << 20;
  static constexpr size_t kInitialCapacity = size_t{64} << 10;

  InputBuffer(std::unique_ptr<ByteSource> source, size_t capacity = kDefaultCapacity);

  char* data() { return buf_.get(); }
  const char* data() const { return buf_.get(); }
  size_t size() const { return size_; }
  // The source reported its end: no byte will follow data()[size() - 1].
  bool eof() const { return eof_; }

  // Discards data()[0, keep_from), moves the rest to the front (so offsets
  // shift down by keep_from) and reads more, growing the buffer when the kept
  // bytes fill it. Returns the number of new bytes: 0 means end of stream
  // (then eof() is true).
  StatusOr<size_t> Refill(size_t keep_from);

  uint64_t compressed_bytes_consumed() const { return source_->compressed_bytes_consumed(); }

 private:
  std::unique_ptr<ByteSource> source_;
  std::unique_ptr<char[]> buf_;
  size_t capacity_;
  size_t target_capacity_;
  bool last_read_filled_ = false;  // the last Read filled all the free space
  size_t size_ = 0;
  bool eof_ = false;
};

// True when every byte of `s` is in 0x01..0x7f: plain ASCII without NUL, so
// neither a NUL check nor UTF-8 validation is needed. Eight bytes at a time.
bool IsAsciiWithoutNul(std::string_view s);

}  // namespace recmart::ingest
