// JPEG through data::decode_jpeg (libjpeg-turbo behind our error manager).
#include "cutrain/data/decode.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cutrain::data::ImageLimits limits;
  limits.max_elements = 1 << 22;
  cutrain::fuzz::expect_clean_rejection([&] { cutrain::data::decode_jpeg(data, size, "fuzz.jpg", limits); });
  return 0;
}
