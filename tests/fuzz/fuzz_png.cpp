// PNG through both wrappers: data::decode_png_rgb (image folders) and
// io::decode_png (TensorBoard images, tests), and decode_image's sniffing.
#include "cutrain/data/decode.h"
#include "cutrain/io/png.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cutrain::data::ImageLimits limits;
  limits.max_elements = 1 << 22;
  cutrain::fuzz::expect_clean_rejection([&] { cutrain::data::decode_png_rgb(data, size, "fuzz.png", limits); });
  cutrain::fuzz::expect_clean_rejection([&] { cutrain::data::decode_image(data, size, "fuzz.png", limits); });
  cutrain::fuzz::expect_clean_rejection([&] { cutrain::io::decode_png(data, size, "fuzz.png"); });
  return 0;
}
