// Host images used by datasets and transforms: 8-bit (as decoded) and float
// (during augmentation), both HWC, row-major.
#pragma once

#include <cstdint>
#include <vector>

namespace cutrain::data {

// Bounds on what a file's header may make a decoder allocate, checked before
// allocating: a corrupt or crafted header must not exhaust memory. The
// default, 2^27 elements (128 MiB of 8-bit samples), holds a 6,500 x 6,500 RGB
// photograph; raise it for larger images.
inline constexpr uint64_t kDefaultMaxImageElements = uint64_t{1} << 27;
struct ImageLimits {
  uint64_t max_elements = kDefaultMaxImageElements;  // height x width x channels of one image
};

struct Image {
  int height = 0;
  int width = 0;
  int channels = 0;             // 1 (gray) or 3 (RGB)
  std::vector<uint8_t> pixels;  // height * width * channels

  uint8_t at(int y, int x, int c) const {
    return pixels[(static_cast<std::size_t>(y) * width + x) * channels + c];
  }
};

struct FloatImage {
  int height = 0;
  int width = 0;
  int channels = 0;
  std::vector<float> pixels;

  float at(int y, int x, int c) const {
    return pixels[(static_cast<std::size_t>(y) * width + x) * channels + c];
  }
};

}  // namespace cutrain::data
