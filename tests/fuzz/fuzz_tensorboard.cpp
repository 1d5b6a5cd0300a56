// The TensorBoard event reader (TFRecord framing, CRC-32C, protobuf).
#include "cutrain/io/tensorboard.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = cutrain::fuzz::write_scratch("tb", data, size);
  cutrain::fuzz::expect_clean_rejection([&] { cutrain::io::read_events(path); });
  return 0;
}
