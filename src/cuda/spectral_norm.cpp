// CUDA kernels of the spectral-norm family (cutrain/cuda/spectral_norm.h,
// kernels/spectral_norm.cu); the matrix view as src/ops/spectral_norm.cpp.
#include "cutrain/cuda/spectral_norm.h"

#include "glue.h"
#include "spectral_norm.cuh"

namespace cutrain::cuda {

using namespace glue;

namespace {

struct View {
  int64_t rows, cols, inner;
};
View view(int d, const Shape& s) {
  int64_t inner = 1;
  for (int k = d + 1; k < s.rank(); ++k) inner *= s[k];
  return {s[d], s.numel() / s[d], inner};
}

}  // namespace

void spectral_norm(const std::string& op, const params::SpectralNorm& p, const Tensor& w, const Tensor& u,
                   const Tensor& v, const Tensor& w_sn, const Tensor& sigma, const Stream& stream) {
  by_dtype(op, w.dtype(), [&]<typename T>(T) {
    const View m = view(p.dim, w.shape());
    const int64_t iterations = p.training ? p.n_power_iterations : 0;
    const Tensor ws = scratch(w.device(), stream, kernels::cuda::spectral_norm_workspace(m.rows, m.cols), DType::f64);
    kernels::cuda::spectral_norm_forward(in_ptr<T>(w), m.rows, m.cols, m.inner, iterations, p.eps, out_ptr<T>(u),
                                         out_ptr<T>(v), out_ptr<T>(w_sn), out_ptr<T>(sigma), out_ptr<double>(ws),
                                         native(stream));
  });
}

void spectral_norm_grad(const std::string& op, int dim, const Tensor& g, const Tensor& w_sn, const Tensor& u,
                        const Tensor& v, const Tensor& sigma, const Tensor& dsigma, const Tensor& dw,
                        const Stream& stream) {
  by_dtype(op, w_sn.dtype(), [&]<typename T>(T) {
    const View m = view(dim, w_sn.shape());
    const Tensor ws = scratch(w_sn.device(), stream, kernels::cuda::spectral_norm_grad_workspace(w_sn.numel()),
                              DType::f64);
    kernels::cuda::spectral_norm_backward(in_ptr<T>(g), in_ptr<T>(w_sn), in_ptr<T>(u), in_ptr<T>(v), in_ptr<T>(sigma),
                                          in_ptr<T>(dsigma), m.rows, m.cols, m.inner, out_ptr<T>(dw),
                                          out_ptr<double>(ws), native(stream));
  });
}

}  // namespace cutrain::cuda
