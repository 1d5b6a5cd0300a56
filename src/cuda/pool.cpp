// CUDA kernels of the pooling family (cutrain/cuda/pool.h, kernels/pool.cu).
// The window is the one the op parsed (ops::pool_params), as on the CPU.
#include "cutrain/cuda/pool.h"

#include "glue.h"
#include "pool.cuh"

namespace cutrain::cuda {

using namespace glue;

namespace {

kernels::PoolGeometry geometry(const params::Pool2d& p) {
  const params::Window2d& w = p.window;
  kernels::PoolGeometry g;
  g.n = p.n, g.in_h = w.in_h, g.in_w = w.in_w, g.c = p.c;
  g.out_h = w.out_h, g.out_w = w.out_w;
  g.kh = w.kh, g.kw = w.kw, g.sh = w.sh, g.sw = w.sw;
  g.pad_top = w.pad_top, g.pad_bottom = w.pad_bottom, g.pad_left = w.pad_left, g.pad_right = w.pad_right;
  return g;
}

}  // namespace

void max_pool(const std::string& op, const params::Pool2d& p, const Tensor& x, const Tensor& y,
              cudaStream_t stream) {
  by_float_dtype(op, x.dtype(), [&]<typename T>(T) {
    kernels::cuda::max_pool_forward(geometry(p), in_ptr<T>(x), out_ptr<T>(y), stream);
  });
}

void max_pool_grad(const std::string& op, const params::Pool2d& p, const Tensor& dy, const Tensor& x,
                   const Tensor& dx, cudaStream_t stream) {
  by_float_dtype(op, x.dtype(), [&]<typename T>(T) {
    kernels::cuda::max_pool_backward(geometry(p), in_ptr<T>(dy), in_ptr<T>(x), out_ptr<T>(dx), stream);
  });
}

void avg_pool(const std::string& op, const params::Pool2d& p, const Tensor& x, const Tensor& y,
              cudaStream_t stream) {
  by_float_dtype(op, x.dtype(), [&]<typename T>(T) {
    kernels::cuda::avg_pool_forward(geometry(p), p.count_include_pad, in_ptr<T>(x), out_ptr<T>(y), stream);
  });
}

void avg_pool_grad(const std::string& op, const params::Pool2d& p, const Tensor& dy, const Tensor& dx,
                   cudaStream_t stream) {
  by_float_dtype(op, dy.dtype(), [&]<typename T>(T) {
    kernels::cuda::avg_pool_backward(geometry(p), p.count_include_pad, in_ptr<T>(dy), out_ptr<T>(dx), stream);
  });
}

void global_avg_pool(const std::string& op, const Tensor& x, const Tensor& y, cudaStream_t stream) {
  by_float_dtype(op, x.dtype(), [&]<typename T>(T) {
    const Shape& s = x.shape();
    kernels::cuda::global_avg_pool_forward(in_ptr<T>(x), s[0], s[1] * s[2], s[3], out_ptr<T>(y), stream);
  });
}

void global_avg_pool_grad(const std::string& op, const Tensor& dy, const Tensor& dx, cudaStream_t stream) {
  by_float_dtype(op, dy.dtype(), [&]<typename T>(T) {
    const Shape& s = dx.shape();
    kernels::cuda::global_avg_pool_backward(in_ptr<T>(dy), s[0], s[1] * s[2], s[3], out_ptr<T>(dx), stream);
  });
}

}  // namespace cutrain::cuda
