#include "cutrain/data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "cutrain/core/error.h"

namespace cutrain::data {

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

// The bytes of an IDX file, inflated when it is gzip-compressed. We drive
// zlib's inflate ourselves rather than through gzread: gzread ignores
// whatever follows the last gzip member, and garbage there (a second file
// appended, a damaged copy) must be an error. Concatenated gzip members are
// valid gzip and read as one stream.
class IdxBytes {
 public:
  explicit IdxBytes(const std::string& path) : path_(path), f_(std::fopen(path.c_str(), "rb")) {
    CUTRAIN_CHECK(f_ != nullptr, "cannot open IDX file ", path, ": ", std::strerror(errno));
    refill();
    gzip_ = avail_ >= 2 && in_[pos_] == 0x1F && in_[pos_ + 1] == 0x8B;
    if (gzip_) {
      CUTRAIN_CHECK(inflateInit2(&z_, 16 + MAX_WBITS) == Z_OK, "cannot read ", path,
                    ": zlib inflateInit2 failed");
      inflating_ = true;
    }
  }
  ~IdxBytes() {
    if (inflating_) inflateEnd(&z_);
  }
  IdxBytes(const IdxBytes&) = delete;
  IdxBytes& operator=(const IdxBytes&) = delete;

  // Reads up to `bytes`; fewer only at the end of the data.
  std::size_t read(void* dst, std::size_t bytes) {
    return gzip_ ? inflate_some(static_cast<uint8_t*>(dst), bytes)
                 : copy_some(static_cast<uint8_t*>(dst), bytes);
  }

 private:
  // Tops up the input buffer (keeping unread bytes); false at the end of the file.
  bool refill() {
    if (pos_ > 0) {
      std::memmove(in_, in_ + pos_, avail_);
      pos_ = 0;
    }
    const std::size_t n = std::fread(in_ + avail_, 1, sizeof(in_) - avail_, f_.get());
    CUTRAIN_CHECK(!std::ferror(f_.get()), "cannot read IDX file ", path_, ": ",
                  std::strerror(errno));
    avail_ += n;
    return n > 0;
  }

  std::size_t copy_some(uint8_t* dst, std::size_t bytes) {
    std::size_t got = 0;
    while (got < bytes) {
      if (avail_ == 0 && !refill()) break;
      const std::size_t n = std::min(bytes - got, avail_);
      std::memcpy(dst + got, in_ + pos_, n);
      pos_ += n;
      avail_ -= n;
      got += n;
    }
    return got;
  }

  std::size_t inflate_some(uint8_t* dst, std::size_t bytes) {
    std::size_t got = 0;
    while (got < bytes && !finished_) {
      if (avail_ == 0 && !refill())
        CUTRAIN_THROW(path_, ": truncated or corrupt compressed data: the gzip stream ends early");
      z_.next_in = in_ + pos_;
      z_.avail_in = static_cast<uInt>(avail_);
      z_.next_out = dst + got;
      z_.avail_out = static_cast<uInt>(std::min<std::size_t>(bytes - got, 1u << 30));
      const uInt out_before = z_.avail_out;
      const int rc = inflate(&z_, Z_NO_FLUSH);
      got += out_before - z_.avail_out;
      compressed_read_ += avail_ - z_.avail_in;
      pos_ += avail_ - z_.avail_in;
      avail_ = z_.avail_in;
      if (rc == Z_STREAM_END) {
        next_member();
      } else if (rc != Z_OK && !(rc == Z_BUF_ERROR && avail_ == 0)) {
        CUTRAIN_THROW(path_, ": truncated or corrupt compressed data: ",
                      z_.msg ? z_.msg : "inflate failed");
      }
    }
    return got;
  }

  // After a gzip member: the end of the file, another member, or an error.
  void next_member() {
    if (avail_ < 2) refill();
    if (avail_ == 0) {
      finished_ = true;
      return;
    }
    CUTRAIN_CHECK(avail_ >= 2 && in_[pos_] == 0x1F && in_[pos_ + 1] == 0x8B, path_,
                  ": unexpected bytes after the end of the gzip stream (at offset ",
                  compressed_read_, " of the file; a damaged or appended file?)");
    CUTRAIN_CHECK(inflateReset(&z_) == Z_OK, path_, ": zlib inflateReset failed");
  }

  std::string path_;
  std::unique_ptr<std::FILE, FileCloser> f_;
  uint8_t in_[1 << 16];
  std::size_t pos_ = 0, avail_ = 0;
  uint64_t compressed_read_ = 0;
  bool gzip_ = false, inflating_ = false, finished_ = false;
  z_stream z_{};
};

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

// Streams the header, then the promised bytes, then checks that nothing
// follows. The data is read in chunks that grow with what actually arrives
// before the tensor is allocated, so a header promising more than the file
// holds costs no more memory than the file's real contents.
Tensor read_idx(const std::string& path, const ImageLimits& limits) {
  // "no such file" only when there is none; a folder or an unreadable file says so.
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  CUTRAIN_CHECK(std::filesystem::exists(st), "cannot read IDX file ", path, ": no such file");
  CUTRAIN_CHECK(std::filesystem::is_regular_file(st), "cannot read IDX file ", path, ": not a regular file");
  IdxBytes f(path);
  uint8_t head[4 + 4 * 4];
  const std::size_t got_magic = f.read(head, 4);
  CUTRAIN_CHECK(got_magic == 4, path, ": truncated IDX file (", got_magic,
                " bytes, no room for the magic number)");
  const uint32_t magic = be32(head);
  CUTRAIN_CHECK((magic >> 16) == 0, path, ": not an IDX file (bad magic 0x", std::hex, magic,
                "; expected 0x00000803 for images or 0x00000801 for labels)");
  CUTRAIN_CHECK(((magic >> 8) & 0xFF) == 0x08, path, ": IDX element type 0x", std::hex,
                ((magic >> 8) & 0xFF), " is not supported (only 0x08, unsigned bytes)");
  const int ndims = static_cast<int>(magic & 0xFF);
  CUTRAIN_CHECK(ndims >= 1 && ndims <= 4, path, ": IDX file has ", ndims,
                " dimensions (expected 1 to 4)");
  const std::size_t dim_bytes = 4 * static_cast<std::size_t>(ndims);
  CUTRAIN_CHECK(f.read(head + 4, dim_bytes) == dim_bytes, path, ": truncated IDX header");
  std::vector<int64_t> dims;
  uint64_t count = 1, per_item = 1, nonzero = 1;
  bool item_overflow = false;
  for (int i = 0; i < ndims; ++i) {
    const uint32_t d = be32(head + 4 + 4 * i);
    dims.push_back(d);
    count *= d;
    if (i > 0) item_overflow = item_overflow || __builtin_mul_overflow(per_item, d, &per_item);
    // The product of the non-zero dimensions too: with a 0 anywhere the
    // tensor is empty, but its strides are products of the other dimensions
    // and must fit in int64.
    if (d > 0) item_overflow = item_overflow || __builtin_mul_overflow(nonzero, d, &nonzero);
    CUTRAIN_CHECK(count <= (uint64_t{1} << 40), path, ": IDX dimensions ", Shape(dims).str(),
                  "... are implausibly large");
  }
  item_overflow = item_overflow || nonzero > static_cast<uint64_t>(INT64_MAX);
  CUTRAIN_CHECK(!item_overflow && per_item <= limits.max_elements, path, ": IDX items of ",
                Shape(dims).str(), " have ", item_overflow ? std::string("over 2^64") : std::to_string(per_item),
                " elements each, more than the limit of ", limits.max_elements,
                " (corrupt header? data::ImageLimits raises it)");
  // Deflate expands at most ~1032:1 (a plain file is bounded by its size).
  const uint64_t file_bytes = std::filesystem::file_size(path);
  CUTRAIN_CHECK(count <= file_bytes * 1032 + 64, path, ": truncated IDX data: dimensions ",
                Shape(dims).str(), " need ", count, " bytes, more than a ", file_bytes,
                "-byte file can hold");
  std::vector<uint8_t> data;
  std::size_t have = 0;
  while (have < count) {
    const std::size_t want = std::min<std::size_t>(count - have, std::max<std::size_t>(have, 1 << 20));
    data.resize(have + want);
    const std::size_t n = f.read(data.data() + have, want);
    have += n;
    if (n < want) break;
  }
  CUTRAIN_CHECK(have == count, path, ": truncated IDX data: dimensions ", Shape(dims).str(),
                " need ", count, " bytes but only ", have, " follow the header");
  uint8_t extra[4096];
  std::size_t trailing = 0;
  for (std::size_t n; (n = f.read(extra, sizeof(extra))) > 0;) trailing += n;
  CUTRAIN_CHECK(trailing == 0, path, ": ", trailing,
                " unexpected bytes after the IDX data (dimensions ", Shape(dims).str(), ")");
  Tensor t = Tensor::empty(Shape(dims), DType::u8);
  if (count > 0) std::memcpy(t.raw_data(), data.data(), count);
  return t;
}

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                 "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

LabeledImages load_idx_pair(const std::string& images_path, const std::string& labels_path,
                            int num_classes) {
  const Tensor images = read_idx(images_path);
  const Tensor labels = read_idx(labels_path);
  CUTRAIN_CHECK(images.rank() == 3, images_path,
                ": expected an images IDX file (magic 0x00000803, ", "3 dimensions), got ",
                images.rank(), " dimensions");
  CUTRAIN_CHECK(labels.rank() == 1, labels_path, ": expected a labels IDX file (magic 0x00000801, ",
                "1 dimension), got ", labels.rank(), " dimensions");
  CUTRAIN_CHECK(images.dim(0) == labels.dim(0), "count mismatch: ", images_path, " has ",
                images.dim(0), " images but ", labels_path, " has ", labels.dim(0), " labels");
  LabeledImages out;
  out.images = images.reshape({images.dim(0), images.dim(1), images.dim(2), 1});
  out.labels = Tensor::empty({labels.dim(0)}, DType::i32);
  const auto* src = labels.data<uint8_t>();
  auto* dst = out.labels.data<int32_t>();
  for (int64_t i = 0; i < labels.dim(0); ++i) {
    CUTRAIN_CHECK(src[i] < num_classes, labels_path, ": label ", int(src[i]), " at index ", i,
                  " is out of range for ", num_classes, " classes");
    dst[i] = src[i];
  }
  return out;
}

LabeledImages load_fashion_mnist(Split split, const std::string& dir) {
  const std::string prefix = split == Split::train ? "train" : "t10k";
  auto find = [&](const std::string& stem) {
    const std::filesystem::path base = std::filesystem::path(dir) / stem;
    const std::string gz = base.string() + ".gz";
    if (std::filesystem::exists(gz)) return gz;
    if (std::filesystem::exists(base)) return base.string();
    CUTRAIN_THROW("Fashion-MNIST file ", gz, " not found (nor ", base.string(),
                  "); install the dataset-fashion-mnist package or pass its directory");
  };
  LabeledImages out =
      load_idx_pair(find(prefix + "-images-idx3-ubyte"), find(prefix + "-labels-idx1-ubyte"), 10);
  out.class_names = fashion_mnist_class_names();
  return out;
}

}  // namespace cutrain::data
