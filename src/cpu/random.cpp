#include "cutrain/cpu/random.h"

#include "cutrain/cpu/dispatch.h"
#include "cutrain/cpu/kernel.h"

namespace cutrain::cpu {

void random_normal(const std::string& op, double mean, double stddev, uint64_t seed, uint64_t step,
                   const Tensor& out) {
  require_cpu_contiguous(op, {out});
  dispatch_float(out.dtype(), op.c_str(), [&]<typename T>() {
    T* p = out.data<T>();
    const int64_t n = out.numel();
#pragma omp parallel for if (n > (1 << 15))
    for (int64_t i = 0; i < n; ++i)
      p[i] = static_cast<T>(mean + stddev * random_normal_at(seed, step, static_cast<uint64_t>(i)));
  });
}

}  // namespace cutrain::cpu
