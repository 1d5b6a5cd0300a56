// Host images used by datasets and transforms: 8-bit (as decoded) and float
// (during augmentation), both HWC, row-major.
#pragma once

#include <cstdint>
#include <vector>

namespace cutrain::data {

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
