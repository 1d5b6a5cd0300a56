// CUDA kernels of the fused Inception concat (kernels/inception_concat.cu);
// IO order as src/ops/inception_concat.cpp.
#include "glue.h"
#include "inception_concat.cuh"

namespace cutrain::cuda {

using namespace glue;

void register_inception_concat_kernels(ops::OpRegistry& r) {
  // (x_0..x_{k-1} [, a_0..a_{k-1}, b_0..b_{k-1} [, m_0..m_{k-1}]]) -> y
  r.add_kernel("inception_concat", DeviceType::cuda,
               [](const ops::OpContext& ctx, const Tensors& i, const Tensors& o) {
                 by_dtype(ctx, i[0].dtype(), [&]<typename T>(T) {
                   const bool affine = ctx.attrs.b("affine", false), center = ctx.attrs.b("center", false);
                   const int k = static_cast<int>(i.size() / (center ? 4 : affine ? 3 : 1));
                   const T* x[kernels::kMaxConcatBranches] = {};
                   const T* a[kernels::kMaxConcatBranches] = {};
                   const T* b[kernels::kMaxConcatBranches] = {};
                   const T* m[kernels::kMaxConcatBranches] = {};
                   int64_t channels[kernels::kMaxConcatBranches] = {};
                   for (int j = 0; j < k; ++j) {
                     x[j] = in_ptr<T>(i[static_cast<size_t>(j)]);
                     channels[j] = i[static_cast<size_t>(j)].dim(-1);
                     if (affine) a[j] = in_ptr<T>(i[static_cast<size_t>(k + j)]), b[j] = in_ptr<T>(i[static_cast<size_t>(2 * k + j)]);
                     if (center) m[j] = in_ptr<T>(i[static_cast<size_t>(3 * k + j)]);
                   }
                   const int64_t rows = o[0].numel() / o[0].dim(-1);
                   kernels::cuda::inception_concat_forward<T>(k, x, channels, affine ? a : nullptr,
                                                              affine ? b : nullptr, center ? m : nullptr, rows,
                                                              ctx.attrs.b("relu", false),
                                                              out_ptr<T>(o[0]), native(ctx));
                 });
               });
  // (dy, [y], [a_0..a_{k-1}]) -> dx_0..dx_{k-1}
  r.add_kernel("inception_concat_grad", DeviceType::cuda,
               [](const ops::OpContext& ctx, const Tensors& i, const Tensors& o) {
                 by_dtype(ctx, i[0].dtype(), [&]<typename T>(T) {
                   const bool relu = ctx.attrs.b("relu", false), affine = ctx.attrs.b("affine", false);
                   const int k = static_cast<int>(o.size());
                   const size_t first_scale = relu ? 2 : 1;
                   const T* a[kernels::kMaxConcatBranches] = {};
                   T* dx[kernels::kMaxConcatBranches] = {};
                   int64_t channels[kernels::kMaxConcatBranches] = {};
                   for (int j = 0; j < k; ++j) {
                     dx[j] = out_ptr<T>(o[static_cast<size_t>(j)]);
                     channels[j] = o[static_cast<size_t>(j)].dim(-1);
                     if (affine) a[j] = in_ptr<T>(i[first_scale + static_cast<size_t>(j)]);
                   }
                   const int64_t rows = i[0].numel() / i[0].dim(-1);
                   kernels::cuda::inception_concat_backward<T>(k, channels, in_ptr<T>(i[0]), relu ? in_ptr<T>(i[1]) : nullptr,
                                                               relu, affine ? a : nullptr, rows, dx, native(ctx));
                 });
               });
}

}  // namespace cutrain::cuda
