// Copies for the shape ops (any dtype: elements are moved as 1-, 2-, 4- or
// 8-byte words): the launchers of copy.cu.
//   transpose:      y[j] = x[Σ_d j_d · x_stride[perm[d]]] for y's multi-index j
//                   (numpy.transpose), rank <= kMaxIndexRank
//   strided_copy:   dst[r · dst_row + c] = src[r · src_row + c] for r < rows,
//                   c < cols (element units): one concat input or split output
//                   seen as [outer, axis·inner] rows.
#pragma once

#include <cstdint>

#include "indexing.cuh"
#include "launch.cuh"

namespace cutrain::kernels {

struct TransposeIndex {
  int rank = 0;
  int64_t out_dims[kMaxIndexRank] = {};
  int64_t in_strides[kMaxIndexRank] = {};  // x's stride along the axis that becomes y's axis d
};

inline TransposeIndex make_transpose_index(const std::vector<int64_t>& x, const std::vector<int64_t>& perm) {
  CUTRAIN_CHECK(x.size() == perm.size() && x.size() <= static_cast<size_t>(kMaxIndexRank),
                "transpose kernel takes rank <= ", kMaxIndexRank, " with a full permutation");
  TransposeIndex t;
  t.rank = static_cast<int>(x.size());
  std::vector<int64_t> st(x.size(), 1);
  for (int d = static_cast<int>(x.size()) - 2; d >= 0; --d)
    st[static_cast<size_t>(d)] = st[static_cast<size_t>(d) + 1] * x[static_cast<size_t>(d) + 1];
  for (size_t d = 0; d < x.size(); ++d) {
    t.out_dims[d] = x[static_cast<size_t>(perm[d])];
    t.in_strides[d] = st[static_cast<size_t>(perm[d])];
  }
  return t;
}

CUTRAIN_KERNEL_LAUNCHERS(
    void transpose(const void* x, void* y, int element_bytes, int64_t n, const TransposeIndex& index,
                   cudaStream_t stream);
    void strided_copy(const void* src, int64_t src_row, void* dst, int64_t dst_row, int64_t rows, int64_t cols,
                      int element_bytes, cudaStream_t stream);)

}  // namespace cutrain::kernels
