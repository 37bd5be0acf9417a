#include "recmart/ingest/decompress.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

namespace recmart::ingest {
namespace {

// Compressed input is read in chunks of this size; decompressed output goes
// straight into the caller's (larger) buffer.
constexpr size_t kCompressedChunk = size_t{1} << 20;

std::string ErrnoText(int err) { return std::strerror(err); }

// An open file descriptor, closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

StatusOr<int> OpenFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::IOError(path + ": cannot open: " + ErrnoText(err));
  }
  // Purely a hint: readers go through the file once, front to back.
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return fd;
}

// read(2) until `n` bytes or end of file; retries EINTR.
StatusOr<size_t> ReadFully(int fd, const std::string& path, char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, buf + got, std::min(n - got, size_t{1} << 30));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(path + ": read failed: " + ErrnoText(errno));
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

class PlainSource final : public ByteSource {
 public:
  PlainSource(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  // Reads straight into the caller's buffer: no intermediate copy.
  StatusOr<size_t> Read(char* buf, size_t n) override {
    ASSIGN_OR_RETURN(size_t got, ReadFully(fd_.get(), path_, buf, n));
    consumed_ += got;
    return got;
  }

 private:
  Fd fd_;
  std::string path_;
};

class GzipSource final : public ByteSource {
 public:
  GzipSource(int fd, std::string path)
      : fd_(fd), path_(std::move(path)), in_(new char[kCompressedChunk]) {}
  ~GzipSource() override {
    if (initialized_) inflateEnd(&zs_);
  }

  Status Init() {
    // 16 + MAX_WBITS: gzip wrapper only (the file was identified as gzip).
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) {
      return Status::Internal(path_ + ": zlib: inflateInit2 failed");
    }
    initialized_ = true;
    return Status::OK();
  }

  StatusOr<size_t> Read(char* buf, size_t n) override {
    if (!error_.ok()) return error_;
    n = std::min<size_t>(n, std::numeric_limits<uInt>::max());
    Status s = Inflate(buf, n);
    const size_t produced = n - zs_.avail_out;
    // Bytes decoded before an error are delivered first; the error comes
    // with the next call, so that the rows before it stand.
    if (!s.ok() && produced == 0) return s;
    return produced;
  }

 private:
  Status Inflate(char* buf, size_t n) {
    zs_.next_out = reinterpret_cast<Bytef*>(buf);
    zs_.avail_out = static_cast<uInt>(n);
    while (zs_.avail_out > 0) {
      if (zs_.avail_in == 0 && !file_eof_) RETURN_IF_ERROR(FillInput());
      if (!in_member_) {
        // Between members. gzip(1) accepts files of concatenated members
        // (e.g. `cat a.gz b.gz`) and ignores zero padding after the last one.
        if (members_ > 0) {
          while (zs_.avail_in > 0 && *zs_.next_in == 0) {
            ++zs_.next_in;
            --zs_.avail_in;
          }
        }
        if (zs_.avail_in == 0) {
          if (file_eof_) break;  // clean end of the stream
          continue;
        }
        in_member_ = true;
      }
      int r = inflate(&zs_, Z_NO_FLUSH);
      if (r == Z_STREAM_END) {
        in_member_ = false;
        ++members_;
        if (inflateReset(&zs_) != Z_OK) return Fail("zlib: inflateReset failed");
        continue;
      }
      if (r == Z_OK) continue;
      if (r == Z_BUF_ERROR) {
        // No progress was possible: either output is full (the loop ends) or
        // input is needed. Without more input the member is truncated.
        if (zs_.avail_in == 0 && file_eof_) {
          return Fail("corrupt gzip stream: unexpected end of file");
        }
        continue;
      }
      return Fail(std::string("corrupt gzip stream: ") + (zs_.msg ? zs_.msg : zError(r)));
    }
    return Status::OK();
  }

  Status FillInput() {
    StatusOr<size_t> read = ReadFully(fd_.get(), path_, in_.get(), kCompressedChunk);
    if (!read.ok()) {
      error_ = read.status();
      return error_;
    }
    const size_t got = *read;
    if (got == 0) file_eof_ = true;
    zs_.next_in = reinterpret_cast<Bytef*>(in_.get());
    zs_.avail_in = static_cast<uInt>(got);
    consumed_ += got;
    return Status::OK();
  }
  Status Fail(const std::string& what) {
    error_ = Status::IOError(path_ + ": " + what);
    return error_;
  }

  Fd fd_;
  std::string path_;
  std::unique_ptr<char[]> in_;
  z_stream zs_{};
  bool initialized_ = false;
  bool file_eof_ = false;
  bool in_member_ = false;
  uint64_t members_ = 0;
  Status error_;
};

class ZstdSource final : public ByteSource {
 public:
  ZstdSource(int fd, std::string path)
      : fd_(fd), path_(std::move(path)), in_(new char[kCompressedChunk]) {}
  ~ZstdSource() override { ZSTD_freeDCtx(dctx_); }

  Status Init() {
    dctx_ = ZSTD_createDCtx();
    if (dctx_ == nullptr) return Status::Internal(path_ + ": zstd: cannot create context");
    return Status::OK();
  }

  // ZSTD_decompressStream moves from one frame to the next by itself, so a
  // file of several concatenated frames (zstd's own multi-frame output, or
  // `cat a.zst b.zst`) reads as one stream.
  StatusOr<size_t> Read(char* buf, size_t n) override {
    if (!error_.ok()) return error_;
    ZSTD_outBuffer out{buf, n, 0};
    Status s = Decompress(&out);
    // As for gzip: what was decoded before an error is delivered first.
    if (!s.ok() && out.pos == 0) return s;
    return out.pos;
  }

 private:
  Status Decompress(ZSTD_outBuffer* out_ptr) {
    ZSTD_outBuffer& out = *out_ptr;
    while (out.pos < out.size) {
      if (in_buf_.pos == in_buf_.size && !file_eof_) RETURN_IF_ERROR(FillInput());
      if (in_buf_.pos == in_buf_.size && file_eof_) {
        if (last_hint_ == 0) break;  // every frame complete and flushed
        // The decoder may still hold output of the last frame: let it flush;
        // if it cannot make progress, the frame is truncated.
        size_t before = out.pos;
        size_t r = ZSTD_decompressStream(dctx_, &out, &in_buf_);
        if (ZSTD_isError(r)) return Fail(ZSTD_getErrorName(r));
        last_hint_ = r;
        if (out.pos == before && r != 0) return Fail("unexpected end of file");
        continue;
      }
      size_t r = ZSTD_decompressStream(dctx_, &out, &in_buf_);
      if (ZSTD_isError(r)) return Fail(ZSTD_getErrorName(r));
      last_hint_ = r;
    }
    return Status::OK();
  }

  Status FillInput() {
    StatusOr<size_t> read = ReadFully(fd_.get(), path_, in_.get(), kCompressedChunk);
    if (!read.ok()) {
      error_ = read.status();
      return error_;
    }
    const size_t got = *read;
    if (got == 0) file_eof_ = true;
    in_buf_ = ZSTD_inBuffer{in_.get(), got, 0};
    consumed_ += got;
    return Status::OK();
  }
  Status Fail(const std::string& what) {
    error_ = Status::IOError(path_ + ": corrupt zstd stream: " + what);
    return error_;
  }

  Fd fd_;
  std::string path_;
  std::unique_ptr<char[]> in_;
  ZSTD_DCtx* dctx_ = nullptr;
  ZSTD_inBuffer in_buf_{nullptr, 0, 0};
  bool file_eof_ = false;
  // Last return of ZSTD_decompressStream: 0 when a frame was completed and
  // fully flushed (also the state before any input).
  size_t last_hint_ = 0;
  Status error_;
};

}  // namespace

Compression CompressionFromMagic(std::string_view b) {
  if (b.size() >= 2 && static_cast<unsigned char>(b[0]) == 0x1f &&
      static_cast<unsigned char>(b[1]) == 0x8b) {
    return Compression::kGzip;
  }
  if (b.size() >= 4 && static_cast<unsigned char>(b[0]) == 0x28 &&
      static_cast<unsigned char>(b[1]) == 0xb5 && static_cast<unsigned char>(b[2]) == 0x2f &&
      static_cast<unsigned char>(b[3]) == 0xfd) {
    return Compression::kZstd;
  }
  return Compression::kNone;
}

StatusOr<std::unique_ptr<ByteSource>> OpenByteSource(const std::string& path,
                                                     Compression compression) {
  ASSIGN_OR_RETURN(int fd, OpenFile(path));
  switch (compression) {
    case Compression::kNone:
      return std::unique_ptr<ByteSource>(new PlainSource(fd, path));
    case Compression::kGzip: {
      auto src = std::make_unique<GzipSource>(fd, path);
      RETURN_IF_ERROR(src->Init());
      return std::unique_ptr<ByteSource>(std::move(src));
    }
    case Compression::kZstd: {
      auto src = std::make_unique<ZstdSource>(fd, path);
      RETURN_IF_ERROR(src->Init());
      return std::unique_ptr<ByteSource>(std::move(src));
    }
    case Compression::kAuto:
      break;
  }
  ::close(fd);
  return Status::Internal("OpenByteSource: compression must be resolved before opening");
}

// ---------------------------------------------------------------- InputBuffer

InputBuffer::InputBuffer(std::unique_ptr<ByteSource> source, size_t capacity)
    : source_(std::move(source)),
      capacity_(std::clamp<size_t>(kInitialCapacity, 64, std::max<size_t>(capacity, 64))),
      target_capacity_(std::max<size_t>(capacity, 64)) {
  buf_ = std::make_unique<char[]>(capacity_ + kPadding);
  buf_[0] = '\n';
}

StatusOr<size_t> InputBuffer::Refill(size_t keep_from) {
  keep_from = std::min(keep_from, size_);
  const size_t kept = size_ - keep_from;
  if (kept > 0 && keep_from > 0) std::memmove(buf_.get(), buf_.get() + keep_from, kept);
  size_ = kept;
  if (eof_) {
    buf_[size_] = '\n';
    return size_t{0};
  }
  // Grow when the kept bytes (one unfinished record) fill most of the buffer,
  // rather than read a sliver and parse the record again (readers bound a
  // record by max_row_bytes, so this stops near twice that); and while the
  // source keeps filling the buffer, up to the target capacity.
  if (size_ > capacity_ / 2 || (last_read_filled_ && capacity_ < target_capacity_)) {
    size_t new_capacity = capacity_ * 2;
    auto bigger = std::make_unique<char[]>(new_capacity + kPadding);
    std::memcpy(bigger.get(), buf_.get(), size_);
    buf_ = std::move(bigger);
    capacity_ = new_capacity;
  }
  const size_t want = capacity_ - size_;
  StatusOr<size_t> got = source_->Read(buf_.get() + size_, want);
  if (!got.ok()) {
    buf_[size_] = '\n';
    return got.status();
  }
  last_read_filled_ = *got == want;
  size_ += *got;
  if (*got == 0) eof_ = true;
  buf_[size_] = '\n';
  return *got;
}

bool IsAsciiWithoutNul(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  const char* p = s.data();
  size_t n = s.size();
  // A byte b is in 1..0x7f iff neither b nor b-1 has its high bit set; in a
  // word where every byte is in that range no subtraction borrows, so the
  // word-wide test below is exact when it says "clean".
  uint64_t acc = 0;
  while (n >= 32) {
    uint64_t w[4];
    std::memcpy(w, p, 32);
    acc |= ((w[0] - kOnes) | w[0]) | ((w[1] - kOnes) | w[1]) | ((w[2] - kOnes) | w[2]) |
           ((w[3] - kOnes) | w[3]);
    if (acc & kHighs) return false;
    p += 32;
    n -= 32;
  }
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    if (((w - kOnes) | w) & kHighs) return false;
    p += 8;
    n -= 8;
  }
  for (; n > 0; --n, ++p) {
    unsigned char c = static_cast<unsigned char>(*p);
    if (c == 0 || c >= 0x80) return false;
  }
  return true;
}

}  // namespace recmart::ingest
