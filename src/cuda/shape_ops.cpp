// CUDA kernels of the shape family: view-like ops are one device-to-device
// copy; transpose, concat and split use kernels/copy.cu. Any dtype.
#include "copy.cuh"
#include "cutrain/cuda/check.h"
#include "glue.h"

namespace cutrain::cuda {

namespace {

using namespace glue;

int element_bytes(const Tensor& t) { return static_cast<int>(dtype_size(t.dtype())); }

// Rows (product of dims before axis) and elements per row from axis on.
std::pair<int64_t, int64_t> rows_of(const Tensor& t, int axis) {
  int64_t outer = 1, row = 1;
  for (int d = 0; d < t.rank(); ++d) (d < axis ? outer : row) *= t.dim(d);
  return {outer, row};
}

// The transpose permutation: attr perm (negative axes allowed), reversed axes when absent.
std::vector<int64_t> perm_of(const ops::Attrs& a, int rank) {
  std::vector<int64_t> perm = a.ints("perm", {});
  if (perm.empty())
    for (int d = rank - 1; d >= 0; --d) perm.push_back(d);
  for (int64_t& p : perm) p = p < 0 ? p + rank : p;
  return perm;
}

}  // namespace

void register_shape_kernels(ops::OpRegistry& r) {
  for (const char* name : {"reshape", "flatten", "squeeze", "expand_dims"})
    r.add_kernel(name, DeviceType::cuda, [](const ops::OpContext& c, const Tensors& in, const Tensors& out) {
      const size_t bytes = static_cast<size_t>(in[0].numel()) * dtype_size(in[0].dtype());
      if (bytes > 0)
        CUDA_CHECK(cudaMemcpyAsync(out[0].raw_data(), in[0].raw_data(), bytes, cudaMemcpyDeviceToDevice, native(c)));
    });
  r.add_kernel("transpose", DeviceType::cuda, [](const ops::OpContext& c, const Tensors& in, const Tensors& out) {
    const kernels::TransposeIndex idx = kernels::make_transpose_index(dims(in[0]), perm_of(c.attrs, in[0].rank()));
    kernels::cuda::transpose(in[0].raw_data(), out[0].raw_data(), element_bytes(in[0]), in[0].numel(), idx,
                             native(c));
  });
  // Input k fills columns [offset_k, offset_k + row_k) of out's rows.
  r.add_kernel("concat", DeviceType::cuda, [](const ops::OpContext& c, const Tensors& in, const Tensors& out) {
    const int axis = out[0].shape().normalize_axis(static_cast<int>(c.attrs.i("axis")));
    const int eb = element_bytes(out[0]);
    const int64_t out_row = rows_of(out[0], axis).second;
    int64_t offset = 0;
    for (const Tensor& x : in) {
      const auto [rows, row] = rows_of(x, axis);
      kernels::cuda::strided_copy(x.raw_data(), row, static_cast<char*>(out[0].raw_data()) + offset * eb, out_row,
                                  rows, row, eb, native(c));
      offset += row;
    }
  });
  r.add_kernel("split", DeviceType::cuda, [](const ops::OpContext& c, const Tensors& in, const Tensors& out) {
    const int axis = in[0].shape().normalize_axis(static_cast<int>(c.attrs.i("axis")));
    const int eb = element_bytes(in[0]);
    const int64_t in_row = rows_of(in[0], axis).second;
    int64_t offset = 0;
    for (const Tensor& y : out) {
      const auto [rows, row] = rows_of(y, axis);
      kernels::cuda::strided_copy(static_cast<const char*>(in[0].raw_data()) + offset * eb, in_row, y.raw_data(), row,
                                  rows, row, eb, native(c));
      offset += row;
    }
  });
}

}  // namespace cutrain::cuda
