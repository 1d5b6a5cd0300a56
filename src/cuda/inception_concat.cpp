// CUDA kernels of the fused Inception concat (cutrain/cuda/inception_concat.h,
// kernels/inception_concat.cu).
#include "cutrain/cuda/inception_concat.h"

#include <type_traits>

#include "glue.h"
#include "inception_concat.cuh"

namespace cutrain::cuda {

using namespace glue;

void inception_concat(const std::string& op, const std::vector<Tensor>& xs, const std::vector<Tensor>& scale,
                      const std::vector<Tensor>& shift, const std::vector<Tensor>& center, bool relu,
                      const Tensor& y, cudaStream_t stream) {
  by_float_dtype(op, xs[0].dtype(), [&]<typename T>(T) {
    using P = std::conditional_t<sizeof(T) == 2, float, T>;  // 16-bit activations: fp32 parameters
    const bool affine = !scale.empty(), centred = !center.empty();
    const int k = static_cast<int>(xs.size());
    const T* x[kernels::kMaxConcatBranches] = {};
    const P* a[kernels::kMaxConcatBranches] = {};
    const P* b[kernels::kMaxConcatBranches] = {};
    const P* m[kernels::kMaxConcatBranches] = {};
    int64_t channels[kernels::kMaxConcatBranches] = {};
    for (int j = 0; j < k; ++j) {
      const size_t u = static_cast<size_t>(j);
      x[j] = in_ptr<T>(xs[u]);
      channels[j] = xs[u].dim(-1);
      if (affine) a[j] = in_ptr<P>(scale[u]), b[j] = in_ptr<P>(shift[u]);
      if (centred) m[j] = in_ptr<P>(center[u]);
    }
    const int64_t rows = y.numel() / y.dim(-1);
    kernels::cuda::inception_concat_forward(k, x, channels, affine ? a : nullptr, affine ? b : nullptr,
                                               centred ? m : nullptr, rows, relu, out_ptr<T>(y), stream);
  });
}

void inception_concat_grad(const std::string& op, const Tensor& dy, const Tensor& y, bool relu,
                           const std::vector<Tensor>& scale, const std::vector<Tensor>& dx, cudaStream_t stream) {
  by_float_dtype(op, dy.dtype(), [&]<typename T>(T) {
    using P = std::conditional_t<sizeof(T) == 2, float, T>;
    const bool affine = !scale.empty();
    const int k = static_cast<int>(dx.size());
    const P* a[kernels::kMaxConcatBranches] = {};
    T* dxs[kernels::kMaxConcatBranches] = {};
    int64_t channels[kernels::kMaxConcatBranches] = {};
    for (int j = 0; j < k; ++j) {
      const size_t u = static_cast<size_t>(j);
      dxs[j] = out_ptr<T>(dx[u]);
      channels[j] = dx[u].dim(-1);
      if (affine) a[j] = in_ptr<P>(scale[u]);
    }
    const int64_t rows = dy.numel() / dy.dim(-1);
    kernels::cuda::inception_concat_backward(k, channels, in_ptr<T>(dy), relu ? in_ptr<T>(y) : nullptr, relu,
                                                affine ? a : nullptr, rows, dxs, stream);
  });
}

}  // namespace cutrain::cuda
