#include "cutrain/data/transforms.h"

#include <gtest/gtest.h>

#include <cmath>

#include "cutrain/core/error.h"

namespace cutrain::data {
namespace {

Image random_image(int h, int w, int c, uint64_t seed) {
  Image im{h, w, c, std::vector<uint8_t>(static_cast<std::size_t>(h) * w * c)};
  SampleRng rng(seed, 0, 0);
  for (auto& p : im.pixels) p = static_cast<uint8_t>(rng.next_u32() & 0xFF);
  return im;
}

TEST(Transforms, ResizeOfAConstantImageStaysConstant) {
  for (auto [h, w, oh, ow] : {std::tuple{28, 28, 75, 75}, std::tuple{28, 28, 299, 299},
                              std::tuple{31, 17, 5, 9}, std::tuple{7, 3, 7, 3}}) {
    Image im{h, w, 3, {}};
    for (int i = 0; i < h * w; ++i) im.pixels.insert(im.pixels.end(), {13, 200, 255});
    const Image r = resize_bilinear(im, oh, ow);
    ASSERT_EQ(r.pixels.size(), static_cast<std::size_t>(oh) * ow * 3);
    for (int i = 0; i < oh * ow; ++i) {
      ASSERT_EQ(r.pixels[3 * i], 13);
      ASSERT_EQ(r.pixels[3 * i + 1], 200);
      ASSERT_EQ(r.pixels[3 * i + 2], 255);
    }
    FloatImage f{h, w, 1, std::vector<float>(static_cast<std::size_t>(h) * w, 0.3f)};
    const FloatImage rf = resize_bilinear(f, oh, ow);
    for (float v : rf.pixels) ASSERT_EQ(v, 0.3f);
  }
}

TEST(Transforms, ResizeUsesHalfPixelCenters) {
  // Two pixels [0, 100] to four: source positions -0.25, 0.25, 0.75, 1.25,
  // clamped to [0, 1]: values 0, 25, 75, 100.
  Image im{1, 2, 1, {0, 100}};
  const Image r = resize_bilinear(im, 1, 4);
  EXPECT_EQ(r.pixels, (std::vector<uint8_t>{0, 25, 75, 100}));
  // Same size: identity.
  const Image src = random_image(9, 11, 3, 5);
  EXPECT_EQ(resize_bilinear(src, 9, 11).pixels, src.pixels);
  // Halving averages 2x2 blocks (positions land between pixel pairs).
  Image four{2, 2, 1, {10, 20, 30, 40}};
  EXPECT_EQ(resize_bilinear(four, 1, 1).pixels[0], 25);
}

TEST(Transforms, FlipTwiceIsIdentity) {
  const Image im = random_image(5, 7, 3, 1);
  const Image once = flip_horizontal(im);
  EXPECT_NE(once.pixels, im.pixels);
  EXPECT_EQ(once.at(2, 0, 1), im.at(2, 6, 1));
  EXPECT_EQ(flip_horizontal(once).pixels, im.pixels);
  FloatImage f = to_float(im);
  const std::vector<float> before = f.pixels;
  flip_horizontal(f);
  flip_horizontal(f);
  EXPECT_EQ(f.pixels, before);
  // Flipping inside the resize equals flipping after it.
  FloatImage a = crop_resize_to_float(im, Crop{1, 2, 4, 5}, 6, 8, true);
  FloatImage b = crop_resize_to_float(im, Crop{1, 2, 4, 5}, 6, 8, false);
  flip_horizontal(b);
  EXPECT_EQ(a.pixels, b.pixels);
}

TEST(Transforms, CentralCropSizes) {
  EXPECT_EQ(central_crop(28, 28, 0.875), (Crop{1, 1, 26, 26}));
  EXPECT_EQ(central_crop(299, 299, 0.875), (Crop{18, 18, 263, 263}));
  EXPECT_EQ(central_crop(32, 40, 0.5), (Crop{8, 10, 16, 20}));
  EXPECT_EQ(central_crop(10, 10, 1.0), (Crop{0, 0, 10, 10}));
  EXPECT_THROW(central_crop(10, 10, 0.0), Error);
  const Image im = random_image(28, 28, 1, 2);
  const Image c = crop(im, central_crop(28, 28, 0.875));
  EXPECT_EQ(c.height, 26);
  EXPECT_EQ(c.at(0, 0, 0), im.at(1, 1, 0));
  EXPECT_EQ(c.at(25, 25, 0), im.at(26, 26, 0));
}

TEST(Transforms, RandomCropStaysInsideWithinRanges) {
  RandomCropOptions o;
  int fallbacks = 0;
  for (uint64_t i = 0; i < 2000; ++i) {
    SampleRng rng(7, 0, i);
    const Crop c = random_crop(28, 28, rng, o);
    ASSERT_GE(c.y, 0);
    ASSERT_GE(c.x, 0);
    ASSERT_LE(c.y + c.height, 28);
    ASSERT_LE(c.x + c.width, 28);
    if (c == central_crop(28, 28, 0.875)) ++fallbacks;
    const double area = c.height * c.width / (28.0 * 28.0);
    // Rounding each side to whole pixels moves the area by at most about one row and column.
    EXPECT_GE(area, 0.05 - 2.0 / 28) << i;
    const double aspect = static_cast<double>(c.width) / c.height;
    EXPECT_LE(aspect, 1.33 * (c.height + 0.5) / (c.height - 0.5) + 1e-9);
    EXPECT_GE(aspect, 0.75 * (c.height - 0.5) / (c.height + 0.5) - 1e-9);
  }
  EXPECT_LT(fallbacks, 100);
  // Same stream, same crop.
  SampleRng a(3, 4, 5), b(3, 4, 5), other(3, 5, 5);
  const Crop ca = random_crop(100, 80, a), cb = random_crop(100, 80, b);
  EXPECT_EQ(ca, cb);
  // Impossible ranges fall back to the central crop.
  RandomCropOptions impossible;
  impossible.min_area = 2.0;
  impossible.max_area = 3.0;
  SampleRng r(1, 1, 1);
  EXPECT_EQ(random_crop(28, 28, r, impossible), central_crop(28, 28, 0.875));
}

TEST(Transforms, ColorAdjustmentsFollowTensorFlow) {
  FloatImage f{1, 2, 3, {0.2f, 0.4f, 0.8f, 0.5f, 0.5f, 0.5f}};
  FloatImage g = f;
  adjust_saturation(g, 0.0f);  // saturation 0: every channel becomes the value (max)
  for (int c = 0; c < 3; ++c) EXPECT_FLOAT_EQ(g.at(0, 0, c), 0.8f);
  for (int c = 0; c < 3; ++c) EXPECT_FLOAT_EQ(g.at(0, 1, c), 0.5f);
  g = f;
  adjust_saturation(g, 1.0f);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(g.pixels[i], f.pixels[i]);
  g = f;
  adjust_saturation(g, 1.5f);  // s = 0.75 -> 1 (clipped): min channel goes to 0, hue kept
  // (The scaled-distance form rounds differently from an HSV round trip: a few ulps.)
  EXPECT_NEAR(g.at(0, 0, 0), 0.0f, 1e-6f);
  EXPECT_NEAR(g.at(0, 0, 1), 0.8f - 0.4f / 0.75f, 1e-6f);
  EXPECT_NEAR(g.at(0, 0, 2), 0.8f, 1e-6f);
  // Hue kept: (g - min) / (max - min) is 1/3 before and after.
  EXPECT_NEAR((g.at(0, 0, 1) - g.at(0, 0, 0)) / (g.at(0, 0, 2) - g.at(0, 0, 0)), 1.0f / 3.0f,
              1e-6f);
  g = f;
  adjust_brightness(g, 0.1f);
  EXPECT_FLOAT_EQ(g.at(0, 0, 0), 0.3f);
  scale_to_symmetric(g);
  EXPECT_FLOAT_EQ(g.at(0, 0, 0), -0.4f);
  EXPECT_FLOAT_EQ(g.at(0, 1, 0), 0.2f);
}

TEST(Transforms, PipelinesProduceValuesInRangeAndAreDeterministic) {
  const Image gray = random_image(28, 28, 1, 3);
  const Image rgb = random_image(40, 30, 3, 4);
  for (const Transform& t : {inception_train_transform(75), inception_eval_transform(75)}) {
    EXPECT_EQ(t.height, 75);
    EXPECT_EQ(t.channels, 3);
    for (const Image* im : {&gray, &rgb}) {
      std::vector<float> out(75 * 75 * 3), again(75 * 75 * 3);
      SampleRng r1(9, 2, 11), r2(9, 2, 11);
      t.apply(*im, r1, out.data());
      t.apply(*im, r2, again.data());
      EXPECT_EQ(out, again);
      float lo = 1, hi = -1;
      for (float v : out) lo = std::min(lo, v), hi = std::max(hi, v);
      EXPECT_GE(lo, -1.0f);
      EXPECT_LE(hi, 1.0f);
      EXPECT_LT(lo, -0.5f);  // random content spans most of the range
      EXPECT_GT(hi, 0.5f);
      if (im == &gray) {  // gray replicated to three equal channels
        for (int p = 0; p < 75 * 75; ++p) {
          ASSERT_EQ(out[3 * p], out[3 * p + 1]);
          ASSERT_EQ(out[3 * p], out[3 * p + 2]);
        }
      }
    }
  }
  // Eval of a full-size image with fraction 1 is exactly x / 127.5 - 1.
  const Transform id = inception_eval_transform(28, 1, 1.0);
  std::vector<float> out(28 * 28);
  SampleRng r(0, 0, 0);
  id.apply(gray, r, out.data());
  for (int i = 0; i < 28 * 28; ++i) EXPECT_NEAR(out[i], gray.pixels[i] / 127.5f - 1.0f, 1e-6f);
  // Different epochs give different augmentations.
  const Transform train = inception_train_transform(32);
  std::vector<float> e0(32 * 32 * 3), e1(32 * 32 * 3);
  SampleRng a(1, 0, 5), b(1, 1, 5);
  train.apply(rgb, a, e0.data());
  train.apply(rgb, b, e1.data());
  EXPECT_NE(e0, e1);
}

// The train pipeline is slim's order of the public steps: crop, resize, flip,
// brightness, saturation, clip and scale (drawn from the sample's stream in that order).
TEST(Transforms, TrainPipelineEqualsTheComposedSteps) {
  for (const Image& im : {random_image(40, 30, 3, 4), random_image(28, 28, 1, 6)}) {
    for (uint64_t index = 0; index < 20; ++index) {
      const Transform t = inception_train_transform(33);
      std::vector<float> out(33 * 33 * 3);
      SampleRng r1(9, 2, index), r2(9, 2, index);
      t.apply(im, r1, out.data());

      const Crop c = random_crop(im.height, im.width, r2, RandomCropOptions{});
      const bool flip = r2.bernoulli(0.5f);
      FloatImage f = crop_resize_to_float(im, c, 33, 33, false);
      if (flip) flip_horizontal(f);
      const float delta = r2.uniform(-32.0f / 255.0f, 32.0f / 255.0f);
      const float factor = r2.uniform(0.5f, 1.5f);
      adjust_brightness(f, delta);
      adjust_saturation(f, factor);
      scale_to_symmetric(f);
      const FloatImage rgb = gray_to_rgb(f);
      ASSERT_EQ(rgb.pixels.size(), out.size());
      for (std::size_t i = 0; i < out.size(); ++i) {
        ASSERT_NEAR(out[i], rgb.pixels[i], 1e-6f) << "sample " << index << " element " << i;
      }
    }
  }
}

TEST(Transforms, SampleRngIsKeyedBySeedEpochAndIndex) {
  auto draw = [](uint64_t s, uint64_t e, uint64_t i) {
    SampleRng r(s, e, i);
    std::vector<uint32_t> v;
    for (int k = 0; k < 9; ++k) v.push_back(r.next_u32());
    return v;
  };
  EXPECT_EQ(draw(1, 2, 3), draw(1, 2, 3));
  EXPECT_NE(draw(1, 2, 3), draw(2, 2, 3));
  EXPECT_NE(draw(1, 2, 3), draw(1, 3, 3));
  EXPECT_NE(draw(1, 2, 3), draw(1, 2, 4));
  SampleRng r(5, 0, 0);
  int hist[4] = {};
  for (int k = 0; k < 4000; ++k) {
    const int v = r.uniform_int(0, 3);
    ASSERT_GE(v, 0);
    ASSERT_LE(v, 3);
    ++hist[v];
  }
  for (int h : hist) EXPECT_NEAR(h, 1000, 150);
}

}  // namespace
}  // namespace cutrain::data
