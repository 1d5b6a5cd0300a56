#include "cutrain/data/decode.h"

// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "cutrain/core/error.h"

namespace cutrain::data {

namespace {

// libjpeg reports errors through a callback that must not return; we leave
// with longjmp back into the decoding function. Functions that call setjmp
// hold only trivially destructible locals, so the jump skips no destructor.
struct JpegErrorManager {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_fail(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Level -1 is a warning about corrupt data (e.g. premature end of file): fatal here.
void jpeg_message(j_common_ptr cinfo, int level) {
  if (level < 0) jpeg_fail(cinfo);
}

// Returns false with `message` set on failure.
bool decode_jpeg_raw(const uint8_t* data, std::size_t size, uint64_t max_elements, Image* out,
                     char* message) {
  jpeg_decompress_struct cinfo;
  JpegErrorManager err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_fail;
  err.mgr.emit_message = jpeg_message;
  if (setjmp(err.jump)) {
    std::memcpy(message, err.message, JMSG_LENGTH_MAX);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = JCS_RGB;
  if (uint64_t{cinfo.image_width} * cinfo.image_height * 3 > max_elements) {
    std::snprintf(message, JMSG_LENGTH_MAX,
                  "%ux%ux3 is larger than the limit of %llu elements (corrupt header? "
                  "data::ImageLimits raises it)",
                  cinfo.image_width, cinfo.image_height,
                  static_cast<unsigned long long>(max_elements));
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_start_decompress(&cinfo);
  out->height = static_cast<int>(cinfo.output_height);
  out->width = static_cast<int>(cinfo.output_width);
  out->channels = 3;
  out->pixels.resize(static_cast<std::size_t>(out->height) * out->width * 3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row =
        out->pixels.data() + static_cast<std::size_t>(cinfo.output_scanline) * out->width * 3;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

bool encode_jpeg_raw(const Image* im, int quality, unsigned char** buf, unsigned long* size,
                     char* message) {
  jpeg_compress_struct cinfo;
  JpegErrorManager err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_fail;
  if (setjmp(err.jump)) {
    std::memcpy(message, err.message, JMSG_LENGTH_MAX);
    jpeg_destroy_compress(&cinfo);
    return false;
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, buf, size);
  cinfo.image_width = static_cast<JDIMENSION>(im->width);
  cinfo.image_height = static_cast<JDIMENSION>(im->height);
  cinfo.input_components = im->channels;
  cinfo.in_color_space = im->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(im->pixels.data()) +
                   static_cast<std::size_t>(cinfo.next_scanline) * im->width * im->channels;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return true;
}

struct PngImageFree {
  png_image* image;
  ~PngImageFree() { png_image_free(image); }
};

}  // namespace

Image decode_jpeg(const uint8_t* data, std::size_t size, const std::string& name,
                  const ImageLimits& limits) {
  Image out;
  char message[JMSG_LENGTH_MAX] = {};
  CUTRAIN_CHECK(decode_jpeg_raw(data, size, limits.max_elements, &out, message), name,
                ": corrupt JPEG: ", message);
  return out;
}

Image decode_png_rgb(const uint8_t* data, std::size_t size, const std::string& name,
                     const ImageLimits& limits) {
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  PngImageFree guard{&image};
  CUTRAIN_CHECK(png_image_begin_read_from_memory(&image, data, size), name,
                ": corrupt PNG: ", image.message);
  image.format = PNG_FORMAT_RGB;  // expands gray and palettes; composes alpha on black
  const uint64_t elements = uint64_t{image.height} * image.width * 3;
  CUTRAIN_CHECK(elements <= limits.max_elements, name, ": PNG of ", image.width, "x", image.height,
                "x3 is larger than the limit of ", limits.max_elements,
                " elements (corrupt header? data::ImageLimits raises it)");
  // Deflate expands at most ~1032:1 and every row holds a filter byte and at
  // least one bit per pixel: a file too small for that is cut short, found
  // here rather than after allocating the image.
  const uint64_t min_raw = uint64_t{image.height} * (1 + (uint64_t{image.width} + 7) / 8);
  CUTRAIN_CHECK(uint64_t{size} * 1032 >= min_raw, name, ": truncated PNG: ", size,
                " bytes cannot hold the data of ", image.width, "x", image.height, " pixels");
  Image out;
  out.height = static_cast<int>(image.height);
  out.width = static_cast<int>(image.width);
  out.channels = 3;
  out.pixels.resize(PNG_IMAGE_SIZE(image));
  CUTRAIN_CHECK(png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr), name,
                ": corrupt PNG: ", image.message);
  return out;
}

Image decode_image(const uint8_t* data, std::size_t size, const std::string& name,
                   const ImageLimits& limits) {
  static const uint8_t kPng[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (size >= 8 && std::memcmp(data, kPng, 8) == 0) return decode_png_rgb(data, size, name, limits);
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) {
    return decode_jpeg(data, size, name, limits);
  }
  CUTRAIN_THROW(name, ": not a JPEG or PNG image (", size, " bytes, unrecognised header)");
}

Image read_image_file(const std::string& path, const ImageLimits& limits) {
  std::ifstream in(path, std::ios::binary);
  CUTRAIN_CHECK(in, "cannot open image ", path, ": ", std::strerror(errno));
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  return decode_image(bytes.data(), bytes.size(), path, limits);
}

std::vector<uint8_t> encode_jpeg(const Image& image, int quality) {
  CUTRAIN_CHECK(image.channels == 1 || image.channels == 3, "encode_jpeg: 1 or 3 channels, got ",
                image.channels);
  CUTRAIN_CHECK(
      image.pixels.size() == static_cast<std::size_t>(image.height) * image.width * image.channels,
      "encode_jpeg: pixel buffer does not match ", image.height, "x", image.width, "x",
      image.channels);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  char message[JMSG_LENGTH_MAX] = {};
  const bool ok = encode_jpeg_raw(&image, quality, &buf, &size, message);
  std::vector<uint8_t> out;
  if (ok) out.assign(buf, buf + size);
  std::free(buf);
  CUTRAIN_CHECK(ok, "JPEG encoding failed: ", message);
  return out;
}

}  // namespace cutrain::data
