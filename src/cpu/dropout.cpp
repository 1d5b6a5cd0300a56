#include "cutrain/cpu/dropout.h"

#include "cutrain/cpu/dispatch.h"
#include "cutrain/cpu/kernel.h"

namespace cutrain::cpu {

void dropout(const std::string& op, const Tensor& x, double rate, bool training, uint64_t seed,
             uint64_t step, const Tensor& y, const Tensor& mask) {
  require_cpu_contiguous(op, {x, y, mask});
  const uint32_t threshold = dropout_keep_threshold(rate);
  dispatch_float(x.dtype(), op.c_str(), [&]<typename T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    uint8_t* pm = mask.data<uint8_t>();
    const int64_t n = x.numel();
    if (!training) {
      for (int64_t i = 0; i < n; ++i) {
        py[i] = px[i];
        pm[i] = 1;
      }
      return;
    }
    const T inv_keep = static_cast<T>(1.0 / (1.0 - rate));
#pragma omp parallel for if (n > (1 << 16))
    for (int64_t i = 0; i < n; ++i) {
      const bool kept = dropout_kept(seed, step, static_cast<uint64_t>(i), threshold);
      pm[i] = kept ? 1 : 0;
      py[i] = kept ? px[i] * inv_keep : T(0);
    }
  });
}

void dropout_grad(const std::string& op, const Tensor& dy, const Tensor& mask, double rate,
                  bool training, const Tensor& dx) {
  require_cpu_contiguous(op, {dy, mask, dx});
  dispatch_float(dy.dtype(), op.c_str(), [&]<typename T>() {
    const T* pg = dy.data<T>();
    const uint8_t* pm = mask.data<uint8_t>();
    T* pd = dx.data<T>();
    const T inv_keep = training ? static_cast<T>(1.0 / (1.0 - rate)) : T(1);
    for (int64_t i = 0, end = dy.numel(); i < end; ++i) pd[i] = pm[i] ? pg[i] * inv_keep : T(0);
  });
}

}  // namespace cutrain::cpu
