// CPU reference kernels for dropout, and the mask rule every backend shares.
//
// The mask rule (the CUDA kernel must reproduce it bit for bit):
//   threshold = dropout_keep_threshold(rate) = ceil((1 - rate) * 2^24),
//               computed in double on the host;
//   element i (row-major flat index) of the run with (seed, step):
//     w    = philox4x32(counter_lo = i / 4, counter_hi = step, key = seed).v[i % 4]
//     kept = (w >> 8) < threshold
// i.e. kept iff the 24-bit uniform philox_uniform(w) is below 1 - rate. The
// step sits in the high counter word, so every step draws from its own
// 2^64-counter stream and no two steps (or elements) ever share numbers.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "cutrain/core/philox.h"
#include "cutrain/core/tensor.h"

namespace cutrain::cpu {

inline uint32_t dropout_keep_threshold(double rate) {
  return static_cast<uint32_t>(std::ceil((1.0 - rate) * 16777216.0));
}

CUTRAIN_HD bool dropout_kept(uint64_t seed, uint64_t step, uint64_t i, uint32_t threshold) {
  const Philox4x32 r = philox4x32(i / 4, step, seed);
  return (r.v[i % 4] >> 8) < threshold;
}

// Training: mask[i] = dropout_kept(...), y = x * mask / (1 - rate).
// Eval: y = x, mask = 1.
void dropout(const std::string& op, const Tensor& x, double rate, bool training, uint64_t seed,
             uint64_t step, const Tensor& y, const Tensor& mask);

// Training: dx = dy * mask / (1 - rate). Eval: dx = dy.
void dropout_grad(const std::string& op, const Tensor& dy, const Tensor& mask, double rate,
                  bool training, const Tensor& dx);

}  // namespace cutrain::cpu
