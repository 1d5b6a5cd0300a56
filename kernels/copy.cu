// Transpose and strided row copies (see copy.cuh), templated on the element
// word type so every dtype moves with one load and one store per element.
#include "copy.cuh"

namespace cutrain::kernels::CUTRAIN_KERNEL_NS {

namespace {

constexpr int kBlock = 256;
constexpr int64_t kMaxBlocks = 4096;

unsigned grid_for(int64_t work) { return grid_stride_blocks(work, kBlock, kMaxBlocks); }

// y's flat index j -> its multi-index (last axis fastest) -> x's offset.
template <typename W>
__global__ void __launch_bounds__(kBlock) transpose_kernel(const W* __restrict__ x, W* __restrict__ y, int64_t n,
                                                           TransposeIndex idx) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < n; j += stride) {
    int64_t rest = j, off = 0;
    for (int d = idx.rank - 1; d >= 0; --d) {
      off += (rest % idx.out_dims[d]) * idx.in_strides[d];
      rest /= idx.out_dims[d];
    }
    y[j] = x[off];
  }
}

template <typename W>
__global__ void __launch_bounds__(kBlock) strided_copy_kernel(const W* __restrict__ src, int64_t src_row,
                                                              W* __restrict__ dst, int64_t dst_row, int64_t rows,
                                                              int64_t cols) {
  const int64_t n = rows * cols;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const int64_t r = i / cols, c = i % cols;
    dst[r * dst_row + c] = src[r * src_row + c];
  }
}

template <typename W>
void launch_transpose(const void* x, void* y, int64_t n, const TransposeIndex& idx, cudaStream_t stream) {
  CUTRAIN_LAUNCH(transpose_kernel<W>, grid_for(n), kBlock, 0, stream, static_cast<const W*>(x), static_cast<W*>(y), n,
                 idx);
}

template <typename W>
void launch_strided(const void* src, int64_t src_row, void* dst, int64_t dst_row, int64_t rows, int64_t cols,
                    cudaStream_t stream) {
  CUTRAIN_LAUNCH(strided_copy_kernel<W>, grid_for(rows * cols), kBlock, 0, stream, static_cast<const W*>(src),
                 src_row, static_cast<W*>(dst), dst_row, rows, cols);
}

}  // namespace

void transpose(const void* x, void* y, int element_bytes, int64_t n, const TransposeIndex& index,
               cudaStream_t stream) {
  if (n <= 0) return;
  switch (element_bytes) {
    case 1: return launch_transpose<uint8_t>(x, y, n, index, stream);
    case 2: return launch_transpose<uint16_t>(x, y, n, index, stream);
    case 4: return launch_transpose<uint32_t>(x, y, n, index, stream);
    case 8: return launch_transpose<uint64_t>(x, y, n, index, stream);
    default: CUTRAIN_THROW("transpose kernel: unsupported element size ", element_bytes);
  }
}

void strided_copy(const void* src, int64_t src_row, void* dst, int64_t dst_row, int64_t rows, int64_t cols,
                  int element_bytes, cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return;
  switch (element_bytes) {
    case 1: return launch_strided<uint8_t>(src, src_row, dst, dst_row, rows, cols, stream);
    case 2: return launch_strided<uint16_t>(src, src_row, dst, dst_row, rows, cols, stream);
    case 4: return launch_strided<uint32_t>(src, src_row, dst, dst_row, rows, cols, stream);
    case 8: return launch_strided<uint64_t>(src, src_row, dst, dst_row, rows, cols, stream);
    default: CUTRAIN_THROW("strided_copy kernel: unsupported element size ", element_bytes);
  }
}

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS
