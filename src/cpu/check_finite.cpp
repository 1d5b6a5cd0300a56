#include "cutrain/cpu/check_finite.h"

#include <cstring>

#include "cutrain/core/error.h"

namespace cutrain::cpu {

namespace {

template <typename W>
int64_t scan(const void* data, int64_t n, W mask) {
  const char* p = static_cast<const char*>(data);
  for (int64_t i = 0; i < n; ++i) {
    W w;
    std::memcpy(&w, p + i * static_cast<int64_t>(sizeof(W)), sizeof(W));
    if ((w & mask) == mask) return i;
  }
  return -1;
}

}  // namespace

int64_t first_non_finite(const Tensor& x) {
  CUTRAIN_CHECK(x.defined() && x.device().is_cpu() && x.is_contiguous(),
                "first_non_finite: needs a contiguous CPU tensor");
  switch (x.dtype()) {
    case DType::f16: return scan<uint16_t>(x.raw_data(), x.numel(), 0x7C00u);
    case DType::bf16: return scan<uint16_t>(x.raw_data(), x.numel(), 0x7F80u);
    case DType::f32: return scan<uint32_t>(x.raw_data(), x.numel(), 0x7F800000u);
    case DType::f64: return scan<uint64_t>(x.raw_data(), x.numel(), 0x7FF0000000000000ull);
    default: return -1;
  }
}

}  // namespace cutrain::cpu
