// Untrusted-input parsers meet damaged files: every mutation of a valid file
// must either parse or raise cutrain::Error, never crash or throw anything
// else (run under the address and undefined-behaviour sanitizers too).
#include <gtest/gtest.h>

#include <random>

#include "cutrain/io/png.h"
#include "cutrain/io/safetensors.h"
#include "cutrain/io/tensorboard.h"
#include "common/test_util.h"

namespace cutrain::io {
namespace {

using testing_util::ScratchDir;
using testing_util::slurp;
using testing_util::spit;

// Deterministic mutants: flipped bytes, overwritten bytes or truncations.
std::vector<std::string> mutants(const std::string& good, int count, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    std::string m = good;
    switch (gen() % 3) {
      case 0:
        for (int k = 0, n = 1 + static_cast<int>(gen() % 4); k < n; ++k)
          m[gen() % m.size()] ^= static_cast<char>(1u << (gen() % 8));
        break;
      case 1:
        m[gen() % m.size()] = static_cast<char>(gen());
        break;
      default:
        m.resize(gen() % m.size());
        break;
    }
    out.push_back(std::move(m));
  }
  return out;
}

template <typename F>
void expect_parse_or_error(const std::vector<std::string>& inputs, F&& parse) {
  int errors = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    try {
      parse(inputs[i]);
    } catch (const Error&) {
      ++errors;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "mutant " << i << " raised a non-cutrain exception: " << e.what();
    }
  }
  EXPECT_GT(errors, 0);  // the mutations do reach the checks
}

TEST(Mutation, SafetensorsReaderRejectsOrAccepts) {
  TensorMap m;
  m["a"] = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6}, DType::f32);
  m["b"] = Tensor::from_vector({4}, {1, 0, 1, 1}, DType::boolean);
  m["c"] = Tensor::from_vector(Shape{}, {7}, DType::i64);
  const std::string good = serialize_safetensors(m, {{"epoch", "3"}});
  expect_parse_or_error(mutants(good, 3000, 1),
                        [](const std::string& s) { parse_safetensors(s, "mutant"); });
}

TEST(Mutation, EventReaderRejectsOrAccepts) {
  ScratchDir dir("mut_tb");
  std::string path;
  {
    EventWriter w(dir.path.string());
    w.add_scalar("loss", 0.25, 1);
    w.add_histogram("h", std::vector<double>{1, 2, 3, -4}, 2);
    const uint8_t px[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    w.add_image("im", px, 2, 2, 3, 3);
    path = w.path();
  }
  const std::string good = slurp(path);
  const std::string mpath = dir.file("mutant");
  expect_parse_or_error(mutants(good, 1500, 2), [&](const std::string& s) {
    spit(mpath, s);
    read_events(mpath);
  });
}

TEST(Mutation, PngDecoderRejectsOrAccepts) {
  std::vector<uint8_t> px(9 * 7 * 3);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 5);
  const std::vector<uint8_t> png = encode_png(px.data(), 9, 7, 3);
  expect_parse_or_error(mutants(std::string(png.begin(), png.end()), 1500, 3),
                        [](const std::string& s) { decode_png(s.data(), s.size(), "mutant"); });
}

}  // namespace
}  // namespace cutrain::io
