// CUDA kernels of the spectral-norm family (kernels/spectral_norm.cu); IO
// order and the matrix view as src/ops/spectral_norm.cpp.
#include "glue.h"
#include "spectral_norm.cuh"

namespace cutrain::cuda {

using namespace glue;

namespace {

struct View {
  int64_t rows, cols, inner;
};
View view(const ops::Attrs& a, const Shape& s) {
  const int d = s.normalize_axis(static_cast<int>(a.i("dim", 0)));
  int64_t inner = 1;
  for (int k = d + 1; k < s.rank(); ++k) inner *= s[k];
  return {s[d], s.numel() / s[d], inner};
}

}  // namespace

void register_spectral_norm_kernels(ops::OpRegistry& r) {
  // (w, u, v) -> (w_sn, sigma); u, v updated in place in training.
  r.add_kernel("spectral_norm", DeviceType::cuda, [](const ops::OpContext& ctx, const Tensors& i, const Tensors& o) {
    by_dtype(ctx, i[0].dtype(), [&]<typename T>(T) {
      const View m = view(ctx.attrs, i[0].shape());
      const int64_t iterations = ctx.training ? ctx.attrs.i("n_power_iterations", 1) : 0;
      const Tensor ws = scratch(ctx, kernels::cuda::spectral_norm_workspace(m.rows, m.cols), DType::f64);
      kernels::cuda::spectral_norm_forward(in_ptr<T>(i[0]), m.rows, m.cols, m.inner, iterations,
                                           ctx.attrs.f("eps", 1e-12), out_ptr<T>(i[1]), out_ptr<T>(i[2]), out_ptr<T>(o[0]),
                                           out_ptr<T>(o[1]), out_ptr<double>(ws), native(ctx));
    });
  });
  // (G, w_sn, u, v, sigma [, dsigma]) -> dW
  r.add_kernel("spectral_norm_grad", DeviceType::cuda,
               [](const ops::OpContext& ctx, const Tensors& i, const Tensors& o) {
                 by_dtype(ctx, i[1].dtype(), [&]<typename T>(T) {
                   const View m = view(ctx.attrs, i[1].shape());
                   const Tensor ws =
                       scratch(ctx, kernels::cuda::spectral_norm_grad_workspace(i[1].numel()), DType::f64);
                   kernels::cuda::spectral_norm_backward(in_ptr<T>(i[0]), in_ptr<T>(i[1]), in_ptr<T>(i[2]), in_ptr<T>(i[3]),
                                                         in_ptr<T>(i[4]), i.size() > 5 ? in_ptr<T>(i[5]) : nullptr, m.rows,
                                                         m.cols, m.inner, out_ptr<T>(o[0]), out_ptr<double>(ws),
                                                         native(ctx));
                 });
               });
}

}  // namespace cutrain::cuda
