#include "cutrain/cpu/inception_concat.h"

#include "cutrain/cpu/dispatch.h"
#include "cutrain/cpu/kernel.h"

namespace cutrain::cpu {

void inception_concat(const std::string& op, const std::vector<Tensor>& x, const std::vector<Tensor>& scale,
                      const std::vector<Tensor>& shift, const std::vector<Tensor>& center, bool relu,
                      const Tensor& y) {
  require_cpu_contiguous(op, {y});
  for (const Tensor& t : x) require_cpu_contiguous(op, {t});
  for (size_t b = 0; b < scale.size(); ++b) require_cpu_contiguous(op, {scale[b], shift[b]});
  for (const Tensor& t : center) require_cpu_contiguous(op, {t});
  dispatch_float(y.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t total_c = y.dim(-1), rows = y.numel() / total_c;
    T* py = y.data<T>();
    int64_t off = 0;
    for (size_t b = 0; b < x.size(); ++b) {
      const int64_t c = x[b].dim(-1);
      const T* px = x[b].data<T>();
      const T* pa = scale.empty() ? nullptr : scale[b].data<T>();
      const T* pb = shift.empty() ? nullptr : shift[b].data<T>();
      const T* pm = center.empty() ? nullptr : center[b].data<T>();
#pragma omp parallel for schedule(static)
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < c; ++j) {
          T v = px[r * c + j];
          if (pm != nullptr) {
            v = (v - pm[j]) * pa[j] + pb[j];
          } else if (pa != nullptr) {
            v = pa[j] * v + pb[j];
          }
          py[r * total_c + off + j] = relu ? (v > T(0) ? v : T(0)) : v;
        }
      off += c;
    }
  });
}

void inception_concat_grad(const std::string& op, const Tensor& dy, const Tensor& y, bool relu,
                           const std::vector<Tensor>& scale, const std::vector<Tensor>& dx) {
  require_cpu_contiguous(op, {dy});
  if (relu) require_cpu_contiguous(op, {y});
  for (const Tensor& t : dx) require_cpu_contiguous(op, {t});
  for (const Tensor& t : scale) require_cpu_contiguous(op, {t});
  dispatch_float(dy.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t total_c = dy.dim(-1), rows = dy.numel() / total_c;
    const T* pdy = dy.data<T>();
    const T* py = relu ? y.data<T>() : nullptr;
    int64_t off = 0;
    for (size_t b = 0; b < dx.size(); ++b) {
      const int64_t c = dx[b].dim(-1);
      T* pdx = dx[b].data<T>();
      const T* pa = scale.empty() ? nullptr : scale[b].data<T>();
#pragma omp parallel for schedule(static)
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < c; ++j) {
          const int64_t i = r * total_c + off + j;
          const T g = py != nullptr && !(py[i] > T(0)) ? T(0) : pdy[i];
          pdx[r * c + j] = pa != nullptr ? pa[j] * g : g;
        }
      off += c;
    }
  });
}

}  // namespace cutrain::cpu
