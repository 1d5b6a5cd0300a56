// CIFAR-10 binary batches (records of 1 label byte + 3072 pixel bytes).
#include "cutrain/data/cifar10.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = cutrain::fuzz::write_scratch("cifar", data, size);
  cutrain::fuzz::expect_clean_rejection([&] { cutrain::data::load_cifar10_batches({path}); });
  return 0;
}
