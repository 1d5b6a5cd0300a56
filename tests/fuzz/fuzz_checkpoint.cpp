// The checkpoint loader: safetensors plus the training state in
// __metadata__ (integers, the checksum JSON, value checks).
#include "cutrain/train/checkpoint.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = cutrain::fuzz::write_scratch("ckpt", data, size);
  cutrain::fuzz::expect_clean_rejection([&] { cutrain::train::load_checkpoint(path, true); });
  cutrain::fuzz::expect_clean_rejection([&] { cutrain::train::load_checkpoint(path, false); });
  return 0;
}
