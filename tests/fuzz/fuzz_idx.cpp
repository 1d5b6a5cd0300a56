// IDX reader (plain and gzip) and the images/labels pair loader. The first
// byte picks the container: odd = gzip the rest before writing it, so the
// fuzzer explores IDX headers inside a valid gzip stream as well as damaged
// gzip data (even: the rest is written as is, gzip or not).
#include <zlib.h>

#include <string>

#include "cutrain/data/idx.h"
#include "fuzz_util.h"

namespace {
std::string gzip(const uint8_t* data, size_t size) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::string out(deflateBound(&z, size) + 32, '\0');
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string path;
  if (data[0] & 1) {
    const std::string gz = gzip(data + 1, size - 1);
    path = cutrain::fuzz::write_scratch("idx", reinterpret_cast<const uint8_t*>(gz.data()), gz.size());
  } else {
    path = cutrain::fuzz::write_scratch("idx", data + 1, size - 1);
  }
  cutrain::data::ImageLimits limits;
  limits.max_elements = 1 << 20;  // keep each input's memory small
  cutrain::fuzz::expect_clean_rejection([&] { cutrain::data::read_idx(path, limits); });
  cutrain::fuzz::expect_clean_rejection([&] { cutrain::data::load_idx_pair(path, path, 10); });
  return 0;
}
