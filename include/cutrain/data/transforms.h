// Image transforms and the Inception (TF-slim) preprocessing pipelines.
//
// Float images hold values in [0, 1] until the last step scales them to
// [-1, 1]. Randomness comes from a SampleRng keyed by (seed, epoch, sample
// index): a sample's augmentation never depends on which thread made it or
// in which order, so a run is reproducible for any worker count.
#pragma once

#include <cstdint>
#include <functional>

#include "cutrain/core/philox.h"
#include "cutrain/data/image.h"

namespace cutrain::data {

// Counter-based stream (Philox4x32-10): key = seed, counter = (index, epoch, draw).
class SampleRng {
 public:
  SampleRng(uint64_t seed, uint64_t epoch, uint64_t index)
      : seed_(seed), epoch_(epoch), index_(index) {}
  uint32_t next_u32();
  float uniform();                       // [0, 1)
  float uniform(float low, float high);  // [low, high)
  bool bernoulli(float p) { return uniform() < p; }
  int uniform_int(int low, int high);  // inclusive

 private:
  uint64_t seed_, epoch_, index_;
  uint32_t draw_ = 0;
  Philox4x32 block_{};
  int used_ = 4;
};

// A window of an image.
struct Crop {
  int y = 0, x = 0, height = 0, width = 0;
  bool operator==(const Crop&) const = default;
};

// tf.image.central_crop's window (TF 2): offset int((h - h * fraction) / 2) on each
// side, the size is what remains. fraction 1 is the whole image.
Crop central_crop(int height, int width, double fraction);

struct RandomCropOptions {
  double min_area = 0.05, max_area = 1.0;       // fraction of the image area
  double min_aspect = 0.75, max_aspect = 1.33;  // width / height
  int max_attempts = 10;
  double fallback_central_fraction = 0.875;  // used when every attempt fails
};

// Slim's distorted bounding box crop, approximated by rejection sampling:
// draw area and aspect uniformly, keep the first window that fits.
Crop random_crop(int height, int width, SampleRng& rng, const RandomCropOptions& options = {});

// Bilinear resize with half-pixel centers (TF2 tf.image.resize, PyTorch
// align_corners=False), edge samples clamped. The 8-bit version rounds.
Image resize_bilinear(const Image& src, int height, int width);
FloatImage resize_bilinear(const FloatImage& src, int height, int width);
// Resizes the window `crop` of an 8-bit image straight into float [0, 1]
// (no intermediate copy), optionally mirrored left-right.
FloatImage crop_resize_to_float(const Image& src, const Crop& crop, int height, int width,
                                bool flip = false);

Image crop(const Image& src, const Crop& c);
Image flip_horizontal(const Image& src);
void flip_horizontal(FloatImage& im);
FloatImage to_float(const Image& src);  // / 255
Image gray_to_rgb(const Image& src);
FloatImage gray_to_rgb(const FloatImage& src);

// tf.image.adjust_brightness: adds delta.
void adjust_brightness(FloatImage& im, float delta);
// tf.image.adjust_saturation: scales HSV saturation by factor (clipped to [0, 1]),
// keeping hue and value. No-op for one channel.
void adjust_saturation(FloatImage& im, float factor);
// Clips to [0, 1], then maps to [-1, 1].
void scale_to_symmetric(FloatImage& im);

// A per-sample transform for the loader: writes height*width*channels floats.
struct Transform {
  int height = 0, width = 0, channels = 0;
  std::function<void(const Image& src, SampleRng& rng, float* out)> apply;
};

struct InceptionTrainOptions {
  RandomCropOptions crop;
  bool flip = true;
  bool color = true;
  float max_brightness_delta = 32.0f / 255.0f;
  float min_saturation = 0.5f, max_saturation = 1.5f;
};

// Slim train preprocessing (fast mode): random crop, resize to size x size,
// random flip, brightness then saturation, clip, scale to [-1, 1]; output has
// `channels` (3: gray sources are replicated; 1 only for gray sources).
Transform inception_train_transform(int size, int channels = 3, InceptionTrainOptions options = {});
// Slim eval preprocessing: central crop, bilinear resize, scale to [-1, 1].
Transform inception_eval_transform(int size, int channels = 3, double central_fraction = 0.875);

}  // namespace cutrain::data
