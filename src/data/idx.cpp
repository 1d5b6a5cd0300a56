#include "cutrain/data/idx.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "cutrain/core/error.h"

namespace cutrain::data {

namespace {

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

// Reads up to `bytes` decompressed bytes (zlib reads plain files
// transparently); returns how many were read. Corrupt or cut-off gzip data
// is an error.
std::size_t read_some(gzFile f, void* dst, std::size_t bytes, const std::string& path) {
  auto* p = static_cast<char*>(dst);
  std::size_t got = 0;
  while (got < bytes) {
    const auto chunk = static_cast<unsigned>(std::min<std::size_t>(bytes - got, 1u << 30));
    const int n = gzread(f, p + got, chunk);
    if (n <= 0) {
      int code = 0;
      const char* msg = gzerror(f, &code);
      // A gzip stream cut short reads as an end of data with an error set.
      CUTRAIN_CHECK(n == 0 && (code == Z_OK || code == Z_STREAM_END), path,
                    ": truncated or corrupt compressed data: ", msg);
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  return got;
}

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

// Streams the header, then exactly the promised bytes into the tensor, then
// checks that nothing follows: memory use is bounded by the header's claim,
// which is itself checked against the data actually present.
Tensor read_idx(const std::string& path) {
  // "no such file" only when there is none; a folder or an unreadable file says so.
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  CUTRAIN_CHECK(std::filesystem::exists(st), "cannot read IDX file ", path, ": no such file");
  CUTRAIN_CHECK(std::filesystem::is_regular_file(st), "cannot read IDX file ", path, ": not a regular file");
  errno = 0;
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  CUTRAIN_CHECK(f != nullptr, "cannot open IDX file ", path, ": ", std::strerror(errno != 0 ? errno : EIO));
  uint8_t head[4 + 4 * 4];
  const std::size_t got_magic = read_some(f.get(), head, 4, path);
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
  CUTRAIN_CHECK(read_some(f.get(), head + 4, dim_bytes, path) == dim_bytes, path,
                ": truncated IDX header");
  std::vector<int64_t> dims;
  uint64_t count = 1;
  for (int i = 0; i < ndims; ++i) {
    const uint32_t d = be32(head + 4 + 4 * i);
    dims.push_back(d);
    count *= d;
    CUTRAIN_CHECK(count <= (uint64_t{1} << 40), path, ": IDX dimensions ", Shape(dims).str(),
                  "... are implausibly large");
  }
  // Deflate expands at most ~1032:1, so a header promising more than that
  // is refused before allocating (a plain file is bounded by its size anyway).
  const uint64_t file_bytes = std::filesystem::file_size(path);
  CUTRAIN_CHECK(count <= file_bytes * 1032 + 64, path, ": truncated IDX data: dimensions ",
                Shape(dims).str(), " need ", count, " bytes, more than a ", file_bytes,
                "-byte file can hold");
  Tensor t = Tensor::empty(Shape(dims), DType::u8);
  std::size_t have = 0;
  const std::size_t step = std::size_t{64} << 20;
  while (have < count) {
    const std::size_t want = std::min<std::size_t>(count - have, step);
    const std::size_t n =
        read_some(f.get(), static_cast<uint8_t*>(t.raw_data()) + have, want, path);
    have += n;
    if (n < want) break;
  }
  CUTRAIN_CHECK(have == count, path, ": truncated IDX data: dimensions ", Shape(dims).str(),
                " need ", count, " bytes but only ", have, " follow the header");
  uint8_t extra[4096];
  std::size_t trailing = 0;
  for (std::size_t n; (n = read_some(f.get(), extra, sizeof(extra), path)) > 0;) trailing += n;
  CUTRAIN_CHECK(trailing == 0, path, ": ", trailing,
                " unexpected bytes after the IDX data (dimensions ", Shape(dims).str(), ")");
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
