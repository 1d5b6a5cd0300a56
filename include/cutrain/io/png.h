// PNG encoding and decoding of 8-bit images (for TensorBoard image summaries,
// sample grids of generative models, and tests).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cutrain::io {

// An 8-bit image in HWC order: channels 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA).
struct Image {
  int height = 0;
  int width = 0;
  int channels = 0;
  std::vector<uint8_t> pixels;  // height * width * channels bytes
};

std::vector<uint8_t> encode_png(const uint8_t* hwc, int height, int width, int channels);
// Writes atomically (see atomic_file.h).
void write_png(const std::string& path, const uint8_t* hwc, int height, int width, int channels);
inline void write_png(const std::string& path, const Image& im) {
  write_png(path, im.pixels.data(), im.height, im.width, im.channels);
}

// Decodes keeping the file's channel layout (16-bit samples are reduced to 8 bits,
// palettes expanded). Errors name `name` and libpng's reason.
Image decode_png(const void* bytes, std::size_t size, const std::string& name);
Image read_png(const std::string& path);

// Tiles n images of height x width x channels (stored one after another, NHWC)
// into a grid with `cols` columns (0: ceil(sqrt(n))), `padding` pixels of
// `pad_value` between and around tiles.
Image tile_images(const uint8_t* nhwc, int n, int height, int width, int channels, int cols = 0,
                  int padding = 2, uint8_t pad_value = 0);

}  // namespace cutrain::io
