#include "cutrain/cpu/softmax.h"

#include <algorithm>
#include <cmath>

#include "cutrain/cpu/dispatch.h"
#include "cutrain/cpu/kernel.h"

namespace cutrain::cpu {

namespace {
// Rows and row length of a tensor viewed as [rows, last axis].
std::pair<int64_t, int64_t> rows_cols(const Tensor& t) {
  const int64_t cols = t.rank() == 0 ? 1 : t.shape()[-1];
  return {cols == 0 ? 0 : t.numel() / cols, cols};
}
}  // namespace

void softmax(const std::string& op, bool log, const Tensor& x, const Tensor& y) {
  require_cpu_contiguous(op, {x, y});
  const auto [rows, cols] = rows_cols(x);
  dispatch_float(x.dtype(), op.c_str(), [&]<typename T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
#pragma omp parallel for if (rows * cols > (1 << 16))
    for (int64_t r = 0; r < rows; ++r) {
      const T* in = px + r * cols;
      T* out = py + r * cols;
      const T m = *std::max_element(in, in + cols);
      T z = T(0);
      for (int64_t c = 0; c < cols; ++c) z += std::exp(in[c] - m);
      if (log) {
        const T lz = std::log(z);
        for (int64_t c = 0; c < cols; ++c) out[c] = in[c] - m - lz;
      } else {
        for (int64_t c = 0; c < cols; ++c) out[c] = std::exp(in[c] - m) / z;
      }
    }
  });
}

void softmax_grad(const std::string& op, bool log, const Tensor& dy, const Tensor& y, const Tensor& dx) {
  require_cpu_contiguous(op, {dy, y, dx});
  const auto [rows, cols] = rows_cols(y);
  dispatch_float(y.dtype(), op.c_str(), [&]<typename T>() {
    const T* pg = dy.data<T>();
    const T* py = y.data<T>();
    T* pd = dx.data<T>();
#pragma omp parallel for if (rows * cols > (1 << 16))
    for (int64_t r = 0; r < rows; ++r) {
      const T* g = pg + r * cols;
      const T* s = py + r * cols;
      T* d = pd + r * cols;
      T acc = T(0);
      if (log) {
        for (int64_t c = 0; c < cols; ++c) acc += g[c];
        for (int64_t c = 0; c < cols; ++c) d[c] = g[c] - std::exp(s[c]) * acc;
      } else {
        for (int64_t c = 0; c < cols; ++c) acc += g[c] * s[c];
        for (int64_t c = 0; c < cols; ++c) d[c] = s[c] * (g[c] - acc);
      }
    }
  });
}

}  // namespace cutrain::cpu
