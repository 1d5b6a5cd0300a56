#include "cutrain/data/transforms.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "cutrain/core/error.h"

namespace cutrain::data {

// ---- random numbers ---------------------------------------------------------------

uint32_t SampleRng::next_u32() {
  if (used_ == 4) {
    block_ = philox4x32(index_, (epoch_ << 32) | draw_++, seed_);
    used_ = 0;
  }
  return block_.v[used_++];
}

float SampleRng::uniform() {
  return philox_uniform(next_u32());
}

float SampleRng::uniform(float low, float high) {
  return low + (high - low) * uniform();
}

int SampleRng::uniform_int(int low, int high) {
  CUTRAIN_CHECK(low <= high, "uniform_int: empty range [", low, ", ", high, "]");
  const uint64_t range = static_cast<uint64_t>(static_cast<int64_t>(high) - low + 1);
  return low + static_cast<int>((static_cast<uint64_t>(next_u32()) * range) >> 32);
}

// ---- crops ------------------------------------------------------------------------

Crop central_crop(int height, int width, double fraction) {
  CUTRAIN_CHECK(fraction > 0.0 && fraction <= 1.0, "central_crop: fraction ", fraction,
                " must be in (0, 1]");
  // As tf.image.central_crop: the offset is truncated, the size is what remains.
  const int y = static_cast<int>((height - height * fraction) / 2.0);
  const int x = static_cast<int>((width - width * fraction) / 2.0);
  return Crop{y, x, height - 2 * y, width - 2 * x};
}

Crop random_crop(int height, int width, SampleRng& rng, const RandomCropOptions& o) {
  const double area = static_cast<double>(height) * width;
  for (int attempt = 0; attempt < o.max_attempts; ++attempt) {
    const double target =
        area * rng.uniform(static_cast<float>(o.min_area), static_cast<float>(o.max_area));
    const double aspect =
        rng.uniform(static_cast<float>(o.min_aspect), static_cast<float>(o.max_aspect));
    const int cw = static_cast<int>(std::lround(std::sqrt(target * aspect)));
    const int ch = static_cast<int>(std::lround(std::sqrt(target / aspect)));
    if (cw < 1 || ch < 1 || cw > width || ch > height) continue;
    const int y = rng.uniform_int(0, height - ch);
    const int x = rng.uniform_int(0, width - cw);
    return Crop{y, x, ch, cw};
  }
  return central_crop(height, width, o.fallback_central_fraction);
}

// ---- resampling -------------------------------------------------------------------

namespace {

struct Taps {
  std::vector<int> lo, hi;
  std::vector<float> w;
};

// Source positions of `out` samples over a window [start, start + in) with
// half-pixel centers; `flip` mirrors the output order.
Taps make_taps(int start, int in, int out, bool flip) {
  Taps t;
  t.lo.resize(out);
  t.hi.resize(out);
  t.w.resize(out);
  const double scale = static_cast<double>(in) / out;
  for (int o = 0; o < out; ++o) {
    const int oo = flip ? out - 1 - o : o;
    double s = (oo + 0.5) * scale - 0.5;
    s = std::clamp(s, 0.0, static_cast<double>(in - 1));
    const int lo = static_cast<int>(s);
    t.lo[o] = start + lo;
    t.hi[o] = start + std::min(lo + 1, in - 1);
    t.w[o] = static_cast<float>(s - lo);
  }
  return t;
}

// Interpolates as a + (b - a) * w so that a constant input stays exactly constant.
template <typename T>
void resample(const T* src, int src_width, int channels, const Crop& c, int oh, int ow, bool flip,
              float scale, float* dst) {
  CUTRAIN_CHECK(oh > 0 && ow > 0 && c.height > 0 && c.width > 0, "resize: bad sizes: window ",
                c.height, "x", c.width, " to ", oh, "x", ow);
  const Taps ty = make_taps(c.y, c.height, oh, false);
  const Taps tx = make_taps(c.x, c.width, ow, flip);
  const std::size_t row = static_cast<std::size_t>(src_width) * channels;
  for (int y = 0; y < oh; ++y) {
    const T* r0 = src + ty.lo[y] * row;
    const T* r1 = src + ty.hi[y] * row;
    const float wy = ty.w[y];
    float* out = dst + static_cast<std::size_t>(y) * ow * channels;
    for (int x = 0; x < ow; ++x) {
      const std::size_t a = static_cast<std::size_t>(tx.lo[x]) * channels;
      const std::size_t b = static_cast<std::size_t>(tx.hi[x]) * channels;
      const float wx = tx.w[x];
      for (int ch = 0; ch < channels; ++ch) {
        const float p00 = static_cast<float>(r0[a + ch]), p01 = static_cast<float>(r0[b + ch]);
        const float p10 = static_cast<float>(r1[a + ch]), p11 = static_cast<float>(r1[b + ch]);
        const float top = p00 + (p01 - p00) * wx;
        const float bot = p10 + (p11 - p10) * wx;
        out[x * channels + ch] = (top + (bot - top) * wy) * scale;
      }
    }
  }
}

void check_image(const Image& im, const char* what) {
  CUTRAIN_CHECK(
      im.height > 0 && im.width > 0 && im.channels > 0 &&
          im.pixels.size() == static_cast<std::size_t>(im.height) * im.width * im.channels,
      what, ": malformed image ", im.height, "x", im.width, "x", im.channels, " with ",
      im.pixels.size(), " bytes");
}

void check_crop(const Crop& c, int h, int w) {
  CUTRAIN_CHECK(c.y >= 0 && c.x >= 0 && c.height > 0 && c.width > 0 && c.y + c.height <= h &&
                    c.x + c.width <= w,
                "crop window (y ", c.y, ", x ", c.x, ", ", c.height, "x", c.width,
                ") is outside the ", h, "x", w, " image");
}

}  // namespace

FloatImage crop_resize_to_float(const Image& src, const Crop& c, int height, int width, bool flip) {
  check_image(src, "crop_resize_to_float");
  check_crop(c, src.height, src.width);
  FloatImage out{height, width, src.channels, {}};
  out.pixels.resize(static_cast<std::size_t>(height) * width * src.channels);
  resample(src.pixels.data(), src.width, src.channels, c, height, width, flip, 1.0f / 255.0f,
           out.pixels.data());
  return out;
}

Image resize_bilinear(const Image& src, int height, int width) {
  check_image(src, "resize_bilinear");
  std::vector<float> tmp(static_cast<std::size_t>(height) * width * src.channels);
  resample(src.pixels.data(), src.width, src.channels, Crop{0, 0, src.height, src.width}, height,
           width, false, 1.0f, tmp.data());
  Image out{height, width, src.channels, std::vector<uint8_t>(tmp.size())};
  for (std::size_t i = 0; i < tmp.size(); ++i) {
    out.pixels[i] = static_cast<uint8_t>(std::clamp(tmp[i] + 0.5f, 0.0f, 255.0f));
  }
  return out;
}

FloatImage resize_bilinear(const FloatImage& src, int height, int width) {
  FloatImage out{height, width, src.channels, {}};
  out.pixels.resize(static_cast<std::size_t>(height) * width * src.channels);
  resample(src.pixels.data(), src.width, src.channels, Crop{0, 0, src.height, src.width}, height,
           width, false, 1.0f, out.pixels.data());
  return out;
}

// ---- geometric and color ------------------------------------------------------------

Image crop(const Image& src, const Crop& c) {
  check_image(src, "crop");
  check_crop(c, src.height, src.width);
  Image out{c.height, c.width, src.channels, {}};
  const std::size_t row = static_cast<std::size_t>(c.width) * src.channels;
  out.pixels.resize(row * c.height);
  for (int y = 0; y < c.height; ++y) {
    const uint8_t* s =
        src.pixels.data() + (static_cast<std::size_t>(c.y + y) * src.width + c.x) * src.channels;
    std::copy(s, s + row, out.pixels.begin() + static_cast<std::ptrdiff_t>(y * row));
  }
  return out;
}

namespace {
template <typename T>
void flip_rows(T* p, int height, int width, int channels) {
  for (int y = 0; y < height; ++y) {
    T* row = p + static_cast<std::size_t>(y) * width * channels;
    for (int a = 0, b = width - 1; a < b; ++a, --b) {
      for (int c = 0; c < channels; ++c) std::swap(row[a * channels + c], row[b * channels + c]);
    }
  }
}
}  // namespace

Image flip_horizontal(const Image& src) {
  Image out = src;
  flip_rows(out.pixels.data(), out.height, out.width, out.channels);
  return out;
}

void flip_horizontal(FloatImage& im) {
  flip_rows(im.pixels.data(), im.height, im.width, im.channels);
}

FloatImage to_float(const Image& src) {
  FloatImage out{src.height, src.width, src.channels, std::vector<float>(src.pixels.size())};
  for (std::size_t i = 0; i < src.pixels.size(); ++i) out.pixels[i] = src.pixels[i] / 255.0f;
  return out;
}

namespace {
template <typename Im>
Im gray_to_rgb_impl(const Im& src) {
  CUTRAIN_CHECK(src.channels == 1 || src.channels == 3, "gray_to_rgb: ", src.channels,
                " channels (expected 1 or 3)");
  if (src.channels == 3) return src;
  Im out{src.height, src.width, 3, {}};
  out.pixels.resize(src.pixels.size() * 3);
  for (std::size_t i = 0; i < src.pixels.size(); ++i) {
    out.pixels[3 * i] = out.pixels[3 * i + 1] = out.pixels[3 * i + 2] = src.pixels[i];
  }
  return out;
}
}  // namespace

Image gray_to_rgb(const Image& src) {
  return gray_to_rgb_impl(src);
}
FloatImage gray_to_rgb(const FloatImage& src) {
  return gray_to_rgb_impl(src);
}

void adjust_brightness(FloatImage& im, float delta) {
  for (float& v : im.pixels) v += delta;
}

void adjust_saturation(FloatImage& im, float factor) {
  if (im.channels != 3) return;
  // In HSV each channel is v - v*s*k(hue); scaling s scales every channel's
  // distance from v by the same ratio, so no explicit HSV round trip is needed.
  for (std::size_t p = 0; p < im.pixels.size(); p += 3) {
    float* c = &im.pixels[p];
    const float v = std::max({c[0], c[1], c[2]});
    const float mn = std::min({c[0], c[1], c[2]});
    if (v <= 0.0f || v == mn) continue;  // TF: saturation 0 for v <= 0 and for grays
    const float s = (v - mn) / v;
    const float ratio = std::clamp(s * factor, 0.0f, 1.0f) / s;
    for (int k = 0; k < 3; ++k) c[k] = v - (v - c[k]) * ratio;
  }
}

void scale_to_symmetric(FloatImage& im) {
  for (float& v : im.pixels) v = std::clamp(v, 0.0f, 1.0f) * 2.0f - 1.0f;
}

// ---- pipelines ----------------------------------------------------------------------

namespace {

// One pass over the resized image: brightness delta, saturation factor (RGB
// only), clip, scale to [-1, 1], and write `channels` output channels
// (replicating gray). Same arithmetic as adjust_brightness, adjust_saturation
// and scale_to_symmetric applied in turn, without three extra passes.
void emit(const FloatImage& f, float delta, float factor, int channels, float* out) {
  const std::size_t n = static_cast<std::size_t>(f.height) * f.width;
  auto finish = [](float v) { return std::clamp(v, 0.0f, 1.0f) * 2.0f - 1.0f; };
  if (f.channels == 3 && channels == 3) {
    for (std::size_t i = 0; i < n; ++i) {
      float c[3] = {f.pixels[3 * i] + delta, f.pixels[3 * i + 1] + delta,
                    f.pixels[3 * i + 2] + delta};
      if (factor != 1.0f) {
        const float v = std::max({c[0], c[1], c[2]});
        const float mn = std::min({c[0], c[1], c[2]});
        if (v > 0.0f && v != mn) {
          const float s = (v - mn) / v;
          const float ratio = std::clamp(s * factor, 0.0f, 1.0f) / s;
          for (int k = 0; k < 3; ++k) c[k] = v - (v - c[k]) * ratio;
        }
      }
      for (int k = 0; k < 3; ++k) out[3 * i + k] = finish(c[k]);
    }
    return;
  }
  CUTRAIN_CHECK(f.channels == 1, "transform: cannot make ", channels, " channels from ",
                f.channels);
  for (std::size_t i = 0; i < n; ++i) {
    const float v = finish(f.pixels[i] + delta);
    for (int c = 0; c < channels; ++c) out[i * channels + c] = v;
  }
}

void check_channels(int channels) {
  CUTRAIN_CHECK(channels == 1 || channels == 3, "transform: output channels must be 1 or 3, got ",
                channels);
}

}  // namespace

Transform inception_train_transform(int size, int channels, InceptionTrainOptions o) {
  CUTRAIN_CHECK(size > 0, "inception_train_transform: size ", size);
  check_channels(channels);
  Transform t{size, size, channels, {}};
  t.apply = [size, channels, o](const Image& src, SampleRng& rng, float* out) {
    const Crop c = random_crop(src.height, src.width, rng, o.crop);
    const bool flip = o.flip && rng.bernoulli(0.5f);
    FloatImage f = crop_resize_to_float(src, c, size, size, flip);
    if (o.color) {
      // Slim fast mode, ordering 0: brightness, then saturation; clip at the end.
      const float delta = rng.uniform(-o.max_brightness_delta, o.max_brightness_delta);
      const float factor = rng.uniform(o.min_saturation, o.max_saturation);
      emit(f, delta, factor, channels, out);
    } else {
      emit(f, 0.0f, 1.0f, channels, out);
    }
  };
  return t;
}

Transform inception_eval_transform(int size, int channels, double central_fraction) {
  CUTRAIN_CHECK(size > 0, "inception_eval_transform: size ", size);
  check_channels(channels);
  Transform t{size, size, channels, {}};
  t.apply = [size, channels, central_fraction](const Image& src, SampleRng&, float* out) {
    const Crop c = central_crop(src.height, src.width, central_fraction);
    emit(crop_resize_to_float(src, c, size, size), 0.0f, 1.0f, channels, out);
  };
  return t;
}

}  // namespace cutrain::data
