// CUDA kernels of the shape family (cutrain/cuda/shape_ops.h): view-like ops
// are one device-to-device copy; transpose, concat and split use
// kernels/copy.cu. Any dtype.
#include "cutrain/cuda/shape_ops.h"

#include <utility>

#include "copy.cuh"
#include "cutrain/cuda/check.h"
#include "glue.h"

namespace cutrain::cuda {

using namespace glue;

namespace {

int element_bytes(const Tensor& t) { return static_cast<int>(dtype_size(t.dtype())); }

// Rows (product of dims before axis) and elements per row from axis on.
std::pair<int64_t, int64_t> rows_of(const Tensor& t, int axis) {
  int64_t outer = 1, row = 1;
  for (int d = 0; d < t.rank(); ++d) (d < axis ? outer : row) *= t.dim(d);
  return {outer, row};
}

}  // namespace

void copy_elements(const std::string&, const Tensor& x, const Tensor& y, cudaStream_t stream) {
  const size_t bytes = static_cast<size_t>(x.numel()) * dtype_size(x.dtype());
  if (bytes > 0) CUDA_CHECK(cudaMemcpyAsync(y.raw_data(), x.raw_data(), bytes, cudaMemcpyDeviceToDevice, stream));
}

void transpose(const std::string&, const Tensor& x, const std::vector<int64_t>& perm, const Tensor& y,
               cudaStream_t stream) {
  const kernels::TransposeIndex idx = kernels::make_transpose_index(dims(x), perm);
  kernels::cuda::transpose(x.raw_data(), y.raw_data(), element_bytes(x), x.numel(), idx, stream);
}

void concat(const std::string&, const std::vector<Tensor>& xs, int axis, const Tensor& out, cudaStream_t stream) {
  const int eb = element_bytes(out);
  const int64_t out_row = rows_of(out, axis).second;
  int64_t offset = 0;
  for (const Tensor& x : xs) {
    const auto [rows, row] = rows_of(x, axis);
    kernels::cuda::strided_copy(x.raw_data(), row, static_cast<char*>(out.raw_data()) + offset * eb, out_row, rows,
                                row, eb, stream);
    offset += row;
  }
}

void split(const std::string&, const Tensor& x, int axis, const std::vector<Tensor>& outs, cudaStream_t stream) {
  const int eb = element_bytes(x);
  const int64_t in_row = rows_of(x, axis).second;
  int64_t offset = 0;
  for (const Tensor& y : outs) {
    const auto [rows, row] = rows_of(y, axis);
    kernels::cuda::strided_copy(static_cast<const char*>(x.raw_data()) + offset * eb, in_row, y.raw_data(), row,
                                rows, row, eb, stream);
    offset += row;
  }
}

}  // namespace cutrain::cuda
