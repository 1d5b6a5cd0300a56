#include <gtest/gtest.h>

#include <filesystem>

#include "cutrain/data/cifar10.h"
#include "cutrain/data/decode.h"
#include "cutrain/data/image_folder.h"
#include "cutrain/io/png.h"
#include "common/test_util.h"

namespace cutrain::data {
namespace {

using testing_util::error_of;
using testing_util::ScratchDir;
using testing_util::slurp;
using testing_util::spit;

// Record r: label r % 10, plane c pixel p = (r * 7 + c * 50 + p) % 256.
std::string cifar_records(int n) {
  std::string s;
  for (int r = 0; r < n; ++r) {
    s.push_back(static_cast<char>(r % 10));
    for (int c = 0; c < 3; ++c)
      for (int p = 0; p < 1024; ++p) s.push_back(static_cast<char>((r * 7 + c * 50 + p) % 256));
  }
  return s;
}

TEST(Cifar10, ConvertsPlanarRecordsToHwc) {
  ScratchDir dir("cifar");
  spit(dir.file("data_batch_1.bin"), cifar_records(3));
  spit(dir.file("data_batch_2.bin"), cifar_records(2));
  const LabeledImages set =
      load_cifar10_batches({dir.file("data_batch_1.bin"), dir.file("data_batch_2.bin")});
  EXPECT_EQ(set.images.shape(), (Shape{5, 32, 32, 3}));
  EXPECT_EQ(set.labels.to_vector(), (std::vector<double>{0, 1, 2, 0, 1}));
  EXPECT_EQ(set.class_names[3], "cat");
  const int file_record[] = {0, 1, 2, 0, 1};
  for (int n = 0; n < 5; ++n) {
    for (int y : {0, 5, 31}) {
      for (int x : {0, 17, 31}) {
        for (int c = 0; c < 3; ++c) {
          const int expected = (file_record[n] * 7 + c * 50 + y * 32 + x) % 256;
          EXPECT_EQ(set.images.at({n, y, x, c}), expected) << n << " " << y << " " << x << " " << c;
        }
      }
    }
  }
}

TEST(Cifar10, TruncatedAndCorruptFilesGiveClearErrors) {
  ScratchDir dir("cifar_bad");
  const std::string path = dir.file("test_batch.bin");
  spit(path, cifar_records(2).substr(0, 2 * kCifarRecordBytes - 100));
  std::string msg = error_of([&] { load_cifar10(Split::test, dir.path.string()); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated CIFAR-10 batch"), std::string::npos) << msg;
  EXPECT_NE(msg.find("1 records and 2973 bytes left over"), std::string::npos) << msg;

  std::string bad = cifar_records(2);
  bad[kCifarRecordBytes] = 42;
  spit(path, bad);
  msg = error_of([&] { load_cifar10(Split::test, dir.path.string()); });
  EXPECT_NE(msg.find("record 1 has label 42"), std::string::npos) << msg;

  msg = error_of([&] { load_cifar10(Split::train, dir.path.string()); });
  EXPECT_NE(msg.find("data_batch_1.bin"), std::string::npos) << msg;
}

Image pattern_image(int h, int w, int c, int seed) {
  Image im{h, w, c, std::vector<uint8_t>(static_cast<std::size_t>(h) * w * c)};
  for (std::size_t i = 0; i < im.pixels.size(); ++i) {
    im.pixels[i] = static_cast<uint8_t>((i * 29 + seed * 101) % 256);
  }
  return im;
}

void write_jpeg_file(const std::string& path, const Image& im) {
  const std::vector<uint8_t> bytes = encode_jpeg(im, 100);
  spit(path, std::string(bytes.begin(), bytes.end()));
}

TEST(ImageFolder, ListsSortedClassesAndDecodesJpegAndPng) {
  ScratchDir dir("folder");
  const std::string root = dir.file("root");
  // Written out of order: classes and files are sorted by name.
  std::filesystem::create_directories(root + "/zebra");
  std::filesystem::create_directories(root + "/ant");
  const Image rgb = pattern_image(6, 9, 3, 1);
  const Image gray = pattern_image(5, 4, 1, 2);
  io::write_png(root + "/zebra/b.png", rgb.pixels.data(), rgb.height, rgb.width, 3);
  io::write_png(root + "/zebra/a.PNG", gray.pixels.data(), gray.height, gray.width, 1);
  // A flat-colored JPEG decodes (nearly) exactly; a gray JPEG comes back as RGB.
  Image flat{8, 8, 3, {}};
  for (int i = 0; i < 64; ++i) flat.pixels.insert(flat.pixels.end(), {200, 40, 90});
  write_jpeg_file(root + "/ant/x.jpg", flat);
  Image flat_gray{16, 8, 1, std::vector<uint8_t>(128, 77)};
  write_jpeg_file(root + "/ant/y.jpeg", flat_gray);
  spit(root + "/ant/notes.txt", "not an image");

  ImageFolderDataset ds(root);
  EXPECT_EQ(ds.class_names(), (std::vector<std::string>{"ant", "zebra"}));
  ASSERT_EQ(ds.size(), 4);
  EXPECT_EQ(std::filesystem::path(ds.path(0)).filename(), "x.jpg");
  EXPECT_EQ(std::filesystem::path(ds.path(2)).filename(), "a.PNG");

  const Sample s0 = ds.get(0);
  EXPECT_EQ(s0.label, 0);
  EXPECT_EQ(s0.image.channels, 3);
  EXPECT_EQ(s0.image.height, 8);
  for (int y = 0; y < 8; ++y) {
    for (int x = 0; x < 8; ++x) {
      EXPECT_NEAR(s0.image.at(y, x, 0), 200, 2);
      EXPECT_NEAR(s0.image.at(y, x, 1), 40, 2);
      EXPECT_NEAR(s0.image.at(y, x, 2), 90, 2);
    }
  }
  const Sample s1 = ds.get(1);
  EXPECT_EQ(s1.image.height, 16);
  EXPECT_EQ(s1.image.width, 8);
  EXPECT_EQ(s1.image.channels, 3);
  for (uint8_t v : s1.image.pixels) EXPECT_NEAR(v, 77, 1);

  const Sample s2 = ds.get(2);  // gray PNG expanded to RGB exactly
  EXPECT_EQ(s2.label, 1);
  ASSERT_EQ(s2.image.channels, 3);
  for (int y = 0; y < gray.height; ++y)
    for (int x = 0; x < gray.width; ++x)
      for (int c = 0; c < 3; ++c) EXPECT_EQ(s2.image.at(y, x, c), gray.at(y, x, 0));
  EXPECT_EQ(ds.get(3).image.pixels, rgb.pixels);  // RGB PNG is lossless
}

TEST(ImageFolder, CorruptAndTruncatedFilesNameTheFile) {
  ScratchDir dir("folder_bad");
  const std::string root = dir.file("root");
  const Image im = pattern_image(32, 32, 3, 3);
  const std::vector<uint8_t> jpg = encode_jpeg(im, 90);
  spit(root + "/c/a_truncated.jpg", std::string(jpg.begin(), jpg.begin() + jpg.size() / 2));
  std::string garbage_jpeg(std::string("\xFF\xD8\xFF", 3) + std::string(200, 'x'));
  spit(root + "/c/b_garbage.jpg", garbage_jpeg);
  const std::vector<uint8_t> png = io::encode_png(im.pixels.data(), 32, 32, 3);
  spit(root + "/c/c_truncated.png", std::string(png.begin(), png.begin() + png.size() / 2));
  spit(root + "/c/d_text.png", "hello");
  ImageFolderDataset ds(root);
  ASSERT_EQ(ds.size(), 4);
  const char* expected[] = {"corrupt JPEG", "corrupt JPEG", "corrupt PNG",
                            "not a JPEG or PNG image"};
  for (int i = 0; i < 4; ++i) {
    const std::string msg = error_of([&] { ds.get(i); });
    EXPECT_NE(msg.find(ds.path(i)), std::string::npos) << msg;
    EXPECT_NE(msg.find(expected[i]), std::string::npos) << msg;
  }
  EXPECT_NE(error_of([&] { ImageFolderDataset missing(dir.file("none")); }).find("none"),
            std::string::npos);
  std::filesystem::create_directories(dir.file("empty/cls"));
  EXPECT_NE(error_of([&] { ImageFolderDataset empty(dir.file("empty")); }).find("no images"),
            std::string::npos);
}

}  // namespace
}  // namespace cutrain::data
