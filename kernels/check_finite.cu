// NaN/Inf detection for the numerics check (see check_finite.cuh).
#include "check_finite.cuh"

namespace cutrain::kernels::CUTRAIN_KERNEL_NS {

namespace {

constexpr int kBlock = 256;
constexpr int64_t kMaxBlocks = 1024;

// Each thread scans its grid-stride share; one atomic per thread that saw a
// non-finite value (a NaN tensor costs n / stride atomics, a finite one none).
template <typename W>
__global__ void __launch_bounds__(kBlock) check_finite_kernel(const W* __restrict__ x, W mask, int64_t n,
                                                              int32_t id, int32_t* flag) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  bool bad = false;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    bad = bad || (x[i] & mask) == mask;
  if (bad) atomicMin(flag, id);
}

template <typename W>
void launch(const void* x, uint64_t mask, int64_t n, int32_t id, int32_t* flag, cudaStream_t stream) {
  CUTRAIN_LAUNCH(check_finite_kernel<W>, grid_stride_blocks(n, kBlock, kMaxBlocks), kBlock, 0, stream,
                 static_cast<const W*>(x), static_cast<W>(mask), n, id, flag);
}

}  // namespace

void check_finite(const void* x, int element_bytes, uint64_t exponent_mask, int64_t n, int32_t id, int32_t* flag,
                  cudaStream_t stream) {
  if (n <= 0) return;
  switch (element_bytes) {
    case 2: return launch<uint16_t>(x, exponent_mask, n, id, flag, stream);
    case 4: return launch<uint32_t>(x, exponent_mask, n, id, flag, stream);
    case 8: return launch<uint64_t>(x, exponent_mask, n, id, flag, stream);
    default: CUTRAIN_THROW("check_finite kernel: unsupported element size ", element_bytes);
  }
}

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS
