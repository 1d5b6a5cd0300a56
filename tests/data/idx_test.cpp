#include "cutrain/data/idx.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>

#include "common/test_util.h"

namespace cutrain::data {
namespace {

using testing_util::error_of;
using testing_util::ScratchDir;
using testing_util::slurp;
using testing_util::spit;

// The first `n` decompressed bytes of a gzip file, read directly with zlib.
std::string gunzip_prefix(const std::string& path, unsigned n) {
  gzFile f = gzopen(path.c_str(), "rb");
  EXPECT_NE(f, nullptr) << path;
  std::string out(n, '\0');
  const int got = gzread(f, out.data(), n);
  gzclose(f);
  EXPECT_EQ(got, static_cast<int>(n));
  return out;
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  gzclose(f);
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

std::string idx_labels(uint32_t n) {
  std::string s = be32(0x801) + be32(n);
  for (uint32_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i % 10));
  return s;
}

bool have_fashion_mnist() {
  return std::filesystem::exists(std::string(kFashionMnistDir) + "/train-labels-idx1-ubyte.gz");
}

TEST(FashionMnist, LoadsTheInstalledFilesWithTheRightCounts) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  for (const auto& [split, prefix, count] :
       {std::tuple{Split::train, "train", 60000}, std::tuple{Split::test, "t10k", 10000}}) {
    const LabeledImages set = load_fashion_mnist(split);
    EXPECT_EQ(set.images.shape(), (Shape{count, 28, 28, 1}));
    EXPECT_EQ(set.images.dtype(), DType::u8);
    EXPECT_EQ(set.labels.shape(), (Shape{count}));
    EXPECT_EQ(set.labels.dtype(), DType::i32);
    EXPECT_EQ(set.class_names.size(), 10u);

    const std::string dir = kFashionMnistDir;
    const std::string labels = gunzip_prefix(dir + "/" + prefix + "-labels-idx1-ubyte.gz", 8 + 50);
    for (int i = 0; i < 50; ++i) {
      EXPECT_EQ(set.labels.data<int32_t>()[i], static_cast<uint8_t>(labels[8 + i])) << i;
    }
    const std::string images =
        gunzip_prefix(dir + "/" + prefix + "-images-idx3-ubyte.gz", 16 + 2 * 784);
    for (int i = 0; i < 2 * 784; ++i) {
      ASSERT_EQ(set.images.data<uint8_t>()[i], static_cast<uint8_t>(images[16 + i])) << i;
    }
    // Every class is present in roughly equal numbers (the set is balanced).
    std::vector<int> counts(10);
    for (int64_t i = 0; i < count; ++i) ++counts[set.labels.data<int32_t>()[i]];
    for (int c : counts) EXPECT_EQ(c, count / 10);
  }
}

TEST(Idx, ReadsPlainAndGzipFiles) {
  ScratchDir dir("idx_ok");
  spit(dir.file("a-images"), idx_images(3, 4, 5));
  write_gz(dir.file("a-images.gz"), idx_images(3, 4, 5));
  for (const std::string& p : {dir.file("a-images"), dir.file("a-images.gz")}) {
    const Tensor t = read_idx(p);
    EXPECT_EQ(t.shape(), (Shape{3, 4, 5}));
    for (int i = 0; i < 60; ++i) EXPECT_EQ(t.data<uint8_t>()[i], i % 251);
  }
  spit(dir.file("l"), idx_labels(3));
  const LabeledImages set = load_idx_pair(dir.file("a-images.gz"), dir.file("l"), 10);
  EXPECT_EQ(set.images.shape(), (Shape{3, 4, 5, 1}));
  EXPECT_EQ(set.labels.to_vector(), (std::vector<double>{0, 1, 2}));
}

TEST(Idx, RejectsBadFilesClearly) {
  ScratchDir dir("idx_bad");
  struct Case {
    std::string name;
    std::string bytes;
    bool gz;
    const char* expected;
  };
  const std::string good = idx_images(2, 3, 3);
  const std::vector<Case> cases = {
      {"badmagic", "\x12\x34\x08\x03" + good.substr(4), false, "bad magic 0x12340803"},
      {"badtype", std::string("\0\0\x0D\x03", 4) + good.substr(4), false,
       "element type 0xd is not supported"},
      {"short_data", good.substr(0, good.size() - 4), false,
       "truncated IDX data: dimensions [2, 3, 3] need 18 bytes but only 14"},
      {"short_data_gz", good.substr(0, good.size() - 4), true, "truncated IDX data"},
      {"short_header", good.substr(0, 9), false, "truncated IDX header"},
      {"trailing", good + "xy", false, "2 unexpected bytes after the IDX data"},
      {"empty", "", false, "truncated IDX file"},
      {"huge_claim", be32(0x803) + be32(1000000) + be32(1000) + be32(1000), false,
       "more than a 16-byte file can hold"},
  };
  for (const Case& c : cases) {
    const std::string path = dir.file(c.name + (c.gz ? ".gz" : ""));
    if (c.gz) {
      write_gz(path, c.bytes);
    } else {
      spit(path, c.bytes);
    }
    const std::string msg = error_of([&] { read_idx(path); });
    EXPECT_NE(msg.find(c.expected), std::string::npos) << c.name << ": " << msg;
    EXPECT_NE(msg.find(path), std::string::npos) << c.name << ": " << msg;
  }

  // A gzip stream cut in the middle.
  write_gz(dir.file("full.gz"), idx_images(50, 28, 28));
  const std::string gz = slurp(dir.file("full.gz"));
  spit(dir.file("cut.gz"), gz.substr(0, gz.size() / 2));
  std::string msg = error_of([&] { read_idx(dir.file("cut.gz")); });
  EXPECT_NE(msg.find("cut.gz"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;

  // Count mismatch between images and labels; label files given as images.
  spit(dir.file("img"), idx_images(3, 2, 2));
  spit(dir.file("lab"), idx_labels(4));
  msg = error_of([&] { load_idx_pair(dir.file("img"), dir.file("lab"), 10); });
  EXPECT_NE(msg.find("count mismatch"), std::string::npos) << msg;
  msg = error_of([&] { load_idx_pair(dir.file("lab"), dir.file("lab"), 10); });
  EXPECT_NE(msg.find("expected an images IDX file"), std::string::npos) << msg;
  // Labels beyond the class count.
  spit(dir.file("lab3"), idx_labels(3));
  msg = error_of([&] { load_idx_pair(dir.file("img"), dir.file("lab3"), 2); });
  EXPECT_NE(msg.find("label 2 at index 2 is out of range"), std::string::npos) << msg;
  // Missing directory.
  msg = error_of([&] { load_fashion_mnist(Split::train, dir.file("nowhere")); });
  EXPECT_NE(msg.find("not found"), std::string::npos) << msg;
}

}  // namespace
}  // namespace cutrain::data
