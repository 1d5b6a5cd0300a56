// Decoders against headers that promise more than the file holds or more
// than the configured limit (data::ImageLimits), and gzip IDX files with
// garbage after the compressed stream.
#include <gtest/gtest.h>
#include <zlib.h>

#include "common/test_util.h"
#include "cutrain/data/decode.h"
#include "cutrain/data/idx.h"
#include "cutrain/io/png.h"

namespace cutrain::data {
namespace {

using testing_util::error_of;
using testing_util::ScratchDir;
using testing_util::slurp;
using testing_util::spit;

std::string gz(const std::string& bytes) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, bytes.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string idx_images(uint32_t n, uint32_t rows, uint32_t cols) {
  std::string s = be32(0x803) + be32(n) + be32(rows) + be32(cols);
  for (uint32_t i = 0; i < n * rows * cols; ++i) s.push_back(static_cast<char>(i % 251));
  return s;
}

// zlib's gzread stops at the end of the gzip stream and ignores what follows.
TEST(BoundedDecode, GarbageAfterTheGzipStreamIsAnError) {
  ScratchDir dir("gz_trailing");
  const std::string body = idx_images(2, 3, 3);
  spit(dir.file("ok.gz"), gz(body));
  EXPECT_EQ(read_idx(dir.file("ok.gz")).shape(), (Shape{2, 3, 3}));
  spit(dir.file("junk.gz"), gz(body) + "trailing junk");
  std::string msg = error_of([&] { read_idx(dir.file("junk.gz")); });
  EXPECT_NE(msg.find("unexpected bytes after the end of the gzip stream"), std::string::npos) << msg;
  EXPECT_NE(msg.find("junk.gz"), std::string::npos) << msg;
  // One stray byte.
  spit(dir.file("one.gz"), gz(body) + std::string(1, '\0'));
  EXPECT_NE(error_of([&] { read_idx(dir.file("one.gz")); }).find("after the end of the gzip stream"),
            std::string::npos);
  // Concatenated members are one valid gzip stream.
  spit(dir.file("two.gz"), gz(body.substr(0, 10)) + gz(body.substr(10)));
  const Tensor t = read_idx(dir.file("two.gz"));
  ASSERT_EQ(t.shape(), (Shape{2, 3, 3}));
  for (int i = 0; i < 18; ++i) EXPECT_EQ(t.data<uint8_t>()[i], i % 251);
  // Cut short inside the compressed data.
  const std::string whole = gz(body);
  spit(dir.file("cut.gz"), whole.substr(0, whole.size() - 6));
  msg = error_of([&] { read_idx(dir.file("cut.gz")); });
  EXPECT_NE(msg.find("truncated or corrupt compressed data"), std::string::npos) << msg;
}

TEST(BoundedDecode, IdxItemsAboveTheLimitAreRefused) {
  ScratchDir dir("idx_limit");
  spit(dir.file("small"), idx_images(2, 4, 4));
  EXPECT_EQ(read_idx(dir.file("small"), ImageLimits{16}).shape(), (Shape{2, 4, 4}));
  std::string msg = error_of([&] { read_idx(dir.file("small"), ImageLimits{15}); });
  EXPECT_NE(msg.find("have 16 elements each, more than the limit of 15"), std::string::npos) << msg;
  // 60000 x 60000 per image is refused by the default limit, before the data is looked at.
  spit(dir.file("huge"), be32(0x803) + be32(1) + be32(60000) + be32(60000));
  msg = error_of([&] { read_idx(dir.file("huge")); });
  EXPECT_NE(msg.find("more than the limit of 134217728"), std::string::npos) << msg;
}

// Found by fuzz_idx: a zero count let item dimensions whose product
// overflows 64 bits through, and the tensor's strides overflowed (UB).
TEST(BoundedDecode, IdxItemDimensionsOverflowingWithAZeroCountAreRefused) {
  ScratchDir dir("idx_overflow");
  spit(dir.file("zero"), be32(0x804) + be32(0) + be32(0xFF000002) + be32(0xF5F40000) + be32(7));
  const std::string msg = error_of([&] { read_idx(dir.file("zero")); });
  EXPECT_NE(msg.find("elements each, more than the limit"), std::string::npos) << msg;
  // A zero among the item dimensions, the others overflowing (also found by fuzz_idx).
  spit(dir.file("inner"), be32(0x804) + be32(3) + be32(0) + be32(0xFFFFFE8C) + be32(0xF6FFFFFF));
  const std::string inner = error_of([&] { read_idx(dir.file("inner")); });
  EXPECT_NE(inner.find("over 2^64 elements each"), std::string::npos) << inner;
  // A zero count with reasonable items is an empty, valid file.
  spit(dir.file("empty"), be32(0x803) + be32(0) + be32(28) + be32(28));
  EXPECT_EQ(read_idx(dir.file("empty")).shape(), (Shape{0, 28, 28}));
}

// A PNG whose IHDR says width x height (CRC fixed up).
std::string png_with_size(uint32_t width, uint32_t height) {
  const std::vector<uint8_t> small(4 * 4 * 3, 7);
  const std::vector<uint8_t> png = io::encode_png(small.data(), 4, 4, 3);
  std::string s(png.begin(), png.end());
  // Signature (8), IHDR length (4), "IHDR" (4), then width and height.
  s.replace(16, 4, be32(width));
  s.replace(20, 4, be32(height));
  const uint32_t crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(s.data() + 12), 4 + 13));
  s.replace(29, 4, be32(crc));
  return s;
}

TEST(BoundedDecode, PngAboveTheLimitOrTooSmallForItsSizeIsRefused) {
  const std::string ok = png_with_size(4, 4);
  const auto* p = reinterpret_cast<const uint8_t*>(ok.data());
  EXPECT_EQ(decode_png_rgb(p, ok.size(), "ok.png").width, 4);
  std::string msg = error_of([&] { decode_png_rgb(p, ok.size(), "ok.png", ImageLimits{47}); });
  EXPECT_NE(msg.find("4x4x3 is larger than the limit of 47 elements"), std::string::npos) << msg;

  const std::string huge = png_with_size(30000, 30000);
  msg = error_of([&] {
    decode_png_rgb(reinterpret_cast<const uint8_t*>(huge.data()), huge.size(), "huge.png");
  });
  EXPECT_NE(msg.find("huge.png: PNG of 30000x30000x3 is larger than the limit"), std::string::npos)
      << msg;
  // Within the limit, but a few dozen bytes cannot hold 6000 x 6000 pixels:
  // refused before the 108 MB image is allocated.
  const std::string big = png_with_size(6000, 6000);
  msg = error_of([&] {
    decode_png_rgb(reinterpret_cast<const uint8_t*>(big.data()), big.size(), "big.png");
  });
  EXPECT_NE(msg.find("truncated PNG: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot hold the data of 6000x6000 pixels"), std::string::npos) << msg;
}

TEST(BoundedDecode, JpegAboveTheLimitIsRefused) {
  Image im;
  im.height = 8;
  im.width = 16;
  im.channels = 3;
  im.pixels.assign(8 * 16 * 3, 100);
  const std::vector<uint8_t> jpg = encode_jpeg(im);
  EXPECT_EQ(decode_jpeg(jpg.data(), jpg.size(), "ok.jpg", ImageLimits{384}).width, 16);
  const std::string msg =
      error_of([&] { decode_image(jpg.data(), jpg.size(), "ok.jpg", ImageLimits{383}); });
  EXPECT_NE(msg.find("16x8x3 is larger than the limit of 383 elements"), std::string::npos) << msg;
}

}  // namespace
}  // namespace cutrain::data
