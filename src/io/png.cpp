#include "cutrain/io/png.h"

#include <png.h>

#include <cmath>
#include <cstring>

#include "cutrain/core/error.h"
#include "cutrain/io/atomic_file.h"

namespace cutrain::io {

namespace {

constexpr uint64_t kMaxPixels = uint64_t{1} << 28;

png_uint_32 format_for_channels(int channels) {
  switch (channels) {
    case 1:
      return PNG_FORMAT_GRAY;
    case 2:
      return PNG_FORMAT_GA;
    case 3:
      return PNG_FORMAT_RGB;
    case 4:
      return PNG_FORMAT_RGBA;
    default:
      CUTRAIN_THROW("PNG images have 1, 2, 3 or 4 channels, got ", channels);
  }
}

// Frees libpng's state on every exit path (png_image_free is idempotent).
struct ImageGuard {
  png_image* image;
  ~ImageGuard() { png_image_free(image); }
};

}  // namespace

std::vector<uint8_t> encode_png(const uint8_t* hwc, int height, int width, int channels) {
  CUTRAIN_CHECK(height > 0 && width > 0, "cannot encode a PNG of size ", height, "x", width);
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = format_for_channels(channels);
  ImageGuard guard{&image};
  png_alloc_size_t size = 0;
  CUTRAIN_CHECK(png_image_write_to_memory(&image, nullptr, &size, 0, hwc, 0, nullptr),
                "PNG encoding failed: ", image.message);
  std::vector<uint8_t> out(size);
  CUTRAIN_CHECK(png_image_write_to_memory(&image, out.data(), &size, 0, hwc, 0, nullptr),
                "PNG encoding failed: ", image.message);
  out.resize(size);
  return out;
}

void write_png(const std::string& path, const uint8_t* hwc, int height, int width, int channels) {
  const std::vector<uint8_t> bytes = encode_png(hwc, height, width, channels);
  write_file_atomic(path, [&](FileSink& sink) { sink.write(bytes.data(), bytes.size()); });
}

namespace {

Image finish_read(png_image& image, const std::string& name) {
  ImageGuard guard{&image};
  Image out;
  const bool color = image.format & PNG_FORMAT_FLAG_COLOR;
  const bool alpha = image.format & PNG_FORMAT_FLAG_ALPHA;
  out.channels = (color ? 3 : 1) + (alpha ? 1 : 0);
  image.format = format_for_channels(out.channels);
  // A corrupt header can claim up to 2^31 x 2^31 pixels: refuse before allocating.
  CUTRAIN_CHECK(uint64_t{image.height} * image.width <= kMaxPixels, name, ": PNG of ", image.width,
                "x", image.height, " pixels is larger than the limit of ", kMaxPixels,
                " pixels (corrupt header?)");
  out.height = static_cast<int>(image.height);
  out.width = static_cast<int>(image.width);
  out.pixels.resize(PNG_IMAGE_SIZE(image));
  CUTRAIN_CHECK(png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr), name,
                ": corrupt PNG: ", image.message);
  return out;
}

}  // namespace

Image decode_png(const void* bytes, std::size_t size, const std::string& name) {
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  CUTRAIN_CHECK(png_image_begin_read_from_memory(&image, bytes, size), name,
                ": not a valid PNG: ", image.message);
  return finish_read(image, name);
}

Image read_png(const std::string& path) {
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  CUTRAIN_CHECK(png_image_begin_read_from_file(&image, path.c_str()), path,
                ": cannot read PNG: ", image.message);
  return finish_read(image, path);
}

Image tile_images(const uint8_t* nhwc, int n, int height, int width, int channels, int cols,
                  int padding, uint8_t pad_value) {
  CUTRAIN_CHECK(n > 0 && height > 0 && width > 0 && channels > 0 && padding >= 0,
                "tile_images: bad arguments n=", n, " size ", height, "x", width, "x", channels,
                " padding ", padding);
  if (cols <= 0) cols = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
  const int rows = (n + cols - 1) / cols;
  Image out;
  out.channels = channels;
  out.height = rows * height + (rows + 1) * padding;
  out.width = cols * width + (cols + 1) * padding;
  out.pixels.assign(static_cast<std::size_t>(out.height) * out.width * channels, pad_value);
  const std::size_t row_bytes = static_cast<std::size_t>(width) * channels;
  for (int i = 0; i < n; ++i) {
    const int r = i / cols, c = i % cols;
    const uint8_t* src = nhwc + static_cast<std::size_t>(i) * height * row_bytes;
    for (int y = 0; y < height; ++y) {
      const std::size_t oy = static_cast<std::size_t>(padding + r * (height + padding) + y);
      const std::size_t ox = static_cast<std::size_t>(padding + c * (width + padding));
      std::memcpy(&out.pixels[(oy * out.width + ox) * channels], src + y * row_bytes, row_bytes);
    }
  }
  return out;
}

}  // namespace cutrain::io
