// Damaged JPEG/PNG/IDX inputs either decode or raise cutrain::Error: never a
// crash or another exception type (also run under the sanitizers).
#include <gtest/gtest.h>
#include <zlib.h>

#include <random>

#include "cutrain/data/decode.h"
#include "cutrain/data/idx.h"
#include "cutrain/io/png.h"
#include "common/test_util.h"

namespace cutrain::data {
namespace {

using testing_util::ScratchDir;
using testing_util::spit;

std::vector<std::string> mutants(const std::string& good, int count, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    std::string m = good;
    if (gen() % 2) {
      for (int k = 0, n = 1 + static_cast<int>(gen() % 4); k < n; ++k)
        m[gen() % m.size()] = static_cast<char>(gen());
    } else {
      m.resize(gen() % m.size());
    }
    out.push_back(std::move(m));
  }
  return out;
}

template <typename F>
void expect_decode_or_error(const std::vector<std::string>& inputs, F&& decode) {
  int errors = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    try {
      decode(inputs[i]);
    } catch (const Error&) {
      ++errors;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "mutant " << i << " raised a non-cutrain exception: " << e.what();
    }
  }
  EXPECT_GT(errors, 0);
}

Image pattern(int h, int w, int c) {
  Image im{h, w, c, std::vector<uint8_t>(static_cast<std::size_t>(h) * w * c)};
  for (std::size_t i = 0; i < im.pixels.size(); ++i) im.pixels[i] = static_cast<uint8_t>(i * 11);
  return im;
}

TEST(DecodeMutation, JpegAndPng) {
  const std::vector<uint8_t> jpg = encode_jpeg(pattern(24, 16, 3), 80);
  expect_decode_or_error(
      mutants(std::string(jpg.begin(), jpg.end()), 1500, 4), [](const std::string& s) {
        decode_image(reinterpret_cast<const uint8_t*>(s.data()), s.size(), "mutant.jpg");
      });
  const Image g = pattern(10, 6, 1);
  const std::vector<uint8_t> png = io::encode_png(g.pixels.data(), 10, 6, 1);
  expect_decode_or_error(
      mutants(std::string(png.begin(), png.end()), 1500, 5), [](const std::string& s) {
        decode_image(reinterpret_cast<const uint8_t*>(s.data()), s.size(), "mutant.png");
      });
}

TEST(DecodeMutation, IdxGzip) {
  ScratchDir dir("mut_idx");
  std::string idx = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 4};
  for (int i = 0; i < 32; ++i) idx.push_back(static_cast<char>(i));
  const std::string gz_path = dir.file("good.gz");
  gzFile f = gzopen(gz_path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  gzwrite(f, idx.data(), static_cast<unsigned>(idx.size()));
  gzclose(f);
  const std::string good = testing_util::slurp(gz_path);
  const std::string path = dir.file("mutant.gz");
  expect_decode_or_error(mutants(good, 800, 6), [&](const std::string& s) {
    spit(path, s);
    read_idx(path);
  });
  expect_decode_or_error(mutants(idx, 800, 7), [&](const std::string& s) {
    spit(path, s);
    read_idx(path);
  });
}

}  // namespace
}  // namespace cutrain::data
