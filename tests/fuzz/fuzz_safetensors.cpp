// The safetensors reader, from memory and from a file (the two paths read
// the data buffer differently).
#include "cutrain/io/safetensors.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  cutrain::fuzz::expect_clean_rejection([&] { cutrain::io::parse_safetensors(bytes, "fuzz.safetensors"); });
  const std::string path = cutrain::fuzz::write_scratch("st", data, size);
  cutrain::fuzz::expect_clean_rejection([&] { cutrain::io::load_safetensors(path); });
  return 0;
}
