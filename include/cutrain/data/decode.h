// JPEG (libjpeg-turbo) and PNG (libpng) decoding to 8-bit RGB, for image
// folder datasets. Grayscale is expanded to three channels, alpha dropped.
// Corrupt or truncated data is an error (libjpeg's "premature end of data"
// warning included: a silently gray-filled image would poison training).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cutrain/data/image.h"

namespace cutrain::data {

// `name` (usually the file path) appears in every error message. An image
// whose decoded size would pass `limits` is refused before allocating.
Image decode_jpeg(const uint8_t* data, std::size_t size, const std::string& name,
                  const ImageLimits& limits = {});
Image decode_png_rgb(const uint8_t* data, std::size_t size, const std::string& name,
                     const ImageLimits& limits = {});
// Picks the decoder from the leading bytes.
Image decode_image(const uint8_t* data, std::size_t size, const std::string& name,
                   const ImageLimits& limits = {});
Image read_image_file(const std::string& path, const ImageLimits& limits = {});

// Baseline JPEG of an 8-bit gray or RGB image (for tests and fixtures).
std::vector<uint8_t> encode_jpeg(const Image& image, int quality = 95);

}  // namespace cutrain::data
