// Reductions and broadcasting (see reduce.cuh).
#include "device_math.cuh"
#include "reduce.cuh"

namespace cutrain::kernels::CUTRAIN_KERNEL_NS {

namespace {

constexpr int kBlock = 256;  // a multiple of 32: every warp is full
constexpr int64_t kMaxBlocks = 1024;
__global__ void __launch_bounds__(kBlock) partial_sums_kernel(const float* __restrict__ x, int64_t n,
                                                              float* __restrict__ partial) {
  __shared__ float scratch[kBlock / 32];
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  float acc = 0.0f;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) acc += x[i];
  acc = dev::block_sum_to_thread0(acc, scratch);
  if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

__global__ void __launch_bounds__(kBlock) final_sum_kernel(const float* __restrict__ partial, int64_t m,
                                                           float* __restrict__ out) {
  __shared__ float scratch[kBlock / 32];
  float acc = 0.0f;
  for (int64_t i = threadIdx.x; i < m; i += blockDim.x) acc += partial[i];
  acc = dev::block_sum_to_thread0(acc, scratch);
  if (threadIdx.x == 0) out[0] = acc;
}

int64_t blocks_for(int64_t n) {
  const int64_t b = (n + kBlock - 1) / kBlock;
  return b < 1 ? 1 : (b > kMaxBlocks ? kMaxBlocks : b);
}


// Offset in x of kept index o / reduced index r: split the flat index into
// its multi-index over the (merged) axes, last fastest, dot the strides.
__device__ __forceinline__ int64_t offset_of(int64_t flat, int rank, const int64_t* dims, const int64_t* strides) {
  int64_t off = 0;
  for (int d = rank - 1; d >= 0; --d) {
    off += (flat % dims[d]) * strides[d];
    flat /= dims[d];
  }
  return off;
}

// One block per output: threads stride over the reduced elements (the
// innermost, stride-1 axis among them, so reads are coalesced), then a block
// reduction. out[o] = scale · Σ_r x[kept(o) + reduced(r)].
template <typename T>
__global__ void __launch_bounds__(kBlock) reduce_rows_kernel(const T* __restrict__ x, ReduceIndex idx, double scale,
                                                             T* __restrict__ out) {
  __shared__ double scratch[kBlock / 32];
  for (int64_t o = blockIdx.x; o < idx.outputs; o += gridDim.x) {
    const T* base = x + offset_of(o, idx.kept_rank, idx.kept_dims, idx.kept_strides);
    double acc = 0.0;
    for (int64_t r = threadIdx.x; r < idx.reduced; r += blockDim.x)
      acc += static_cast<double>(base[offset_of(r, idx.reduced_rank, idx.reduced_dims, idx.reduced_strides)]);
    acc = dev::block_sum(acc, scratch);
    if (threadIdx.x == 0) out[o] = static_cast<T>(scale * acc);
  }
}

// The innermost axis kept: threadIdx.x picks one of 32 consecutive outputs
// (neighbouring addresses), threadIdx.y one of kColumnSplit interleaved
// slices of the reduced elements; the slices are then added in order.
constexpr int kColumnSplit = 8;
template <typename T>
__global__ void __launch_bounds__(32 * kColumnSplit) reduce_columns_kernel(const T* __restrict__ x, ReduceIndex idx,
                                                                           double scale, T* __restrict__ out) {
  __shared__ double partial[kColumnSplit][32];
  for (int64_t first = static_cast<int64_t>(blockIdx.x) * 32; first < idx.outputs;
       first += static_cast<int64_t>(gridDim.x) * 32) {
    const int64_t o = first + threadIdx.x;
    double acc = 0.0;
    if (o < idx.outputs) {
      const T* base = x + offset_of(o, idx.kept_rank, idx.kept_dims, idx.kept_strides);
      for (int64_t r = threadIdx.y; r < idx.reduced; r += kColumnSplit)
        acc += static_cast<double>(base[offset_of(r, idx.reduced_rank, idx.reduced_dims, idx.reduced_strides)]);
    }
    partial[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && o < idx.outputs) {
      double total = 0.0;
      for (int k = 0; k < kColumnSplit; ++k) total += partial[k][threadIdx.x];
      out[o] = static_cast<T>(scale * total);
    }
    __syncthreads();
  }
}

// out[i] = x[offset of i's multi-index with x's broadcast strides].
template <typename T>
__global__ void __launch_bounds__(kBlock) broadcast_kernel(const T* __restrict__ x, BroadcastIndex idx, int64_t n,
                                                           T* __restrict__ out) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = x[idx.rank == 0 ? i : offset_of(i, idx.rank, idx.dims, idx.a_strides)];
}

constexpr int64_t kMaxReduceBlocks = 65535;

template <typename T>
void launch_reduce_axes(const T* x, const ReduceIndex& idx, double scale, T* out, cudaStream_t stream) {
  if (idx.outputs <= 0) return;
  if (idx.innermost_reduced) {
    const int64_t grid = idx.outputs < kMaxReduceBlocks ? idx.outputs : kMaxReduceBlocks;
    CUTRAIN_LAUNCH(reduce_rows_kernel<T>, static_cast<unsigned>(grid), kBlock, 0, stream, x, idx, scale, out);
  } else {
    const int64_t groups = (idx.outputs + 31) / 32;
    const int64_t grid = groups < kMaxReduceBlocks ? groups : kMaxReduceBlocks;
    CUTRAIN_LAUNCH(reduce_columns_kernel<T>, static_cast<unsigned>(grid), dim3(32, kColumnSplit), 0, stream, x, idx,
                   scale, out);
  }
}

template <typename T>
void launch_broadcast(const T* x, const BroadcastIndex& idx, int64_t n, T* out, cudaStream_t stream) {
  if (n <= 0) return;
  int64_t blocks = (n + kBlock - 1) / kBlock;
  if (blocks > 4096) blocks = 4096;
  CUTRAIN_LAUNCH(broadcast_kernel<T>, static_cast<unsigned>(blocks), kBlock, 0, stream, x, idx, n, out);
}

}  // namespace

int64_t reduce_sum_workspace(int64_t n) { return blocks_for(n); }

void reduce_sum(const float* x, int64_t n, float* workspace, float* out, cudaStream_t stream) {
  const int64_t blocks = blocks_for(n);
  CUTRAIN_LAUNCH(partial_sums_kernel, static_cast<unsigned>(blocks), kBlock, 0, stream, x, n, workspace);
  CUTRAIN_LAUNCH(final_sum_kernel, 1, kBlock, 0, stream, workspace, blocks, out);
}

void reduce_axes(const float* x, const ReduceIndex& index, double scale, float* out, cudaStream_t stream) {
  launch_reduce_axes(x, index, scale, out, stream);
}
void reduce_axes(const double* x, const ReduceIndex& index, double scale, double* out, cudaStream_t stream) {
  launch_reduce_axes(x, index, scale, out, stream);
}
void broadcast_to(const float* x, const BroadcastIndex& index, int64_t n, float* out, cudaStream_t stream) {
  launch_broadcast(x, index, n, out, stream);
}
void broadcast_to(const double* x, const BroadcastIndex& index, int64_t n, double* out, cudaStream_t stream) {
  launch_broadcast(x, index, n, out, stream);
}

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS
