// CPU reference kernel of random_normal, and the sampling rule every backend
// shares (the CUDA kernel reproduces it; kernels/random.cu).
//
// Element i (row-major flat index) of the run with (seed, step):
//   r  = philox4x32(counter_lo = i, counter_hi = step, key = seed)
//   u1 = philox_uniform_double(r.v[0], r.v[1])   in (0, 1]
//   u2 = philox_uniform_double(r.v[2], r.v[3])   in (0, 1]
//   z  = sqrt(-2 log u1) cos(2 pi u2)             (Box-Muller, in double)
//   out[i] = T(mean + stddev * z)
// One counter per element, so element i does not depend on the tensor's size,
// and the step in the high counter word gives every step fresh numbers
// (like dropout's mask, cpu/dropout.h).
#pragma once

#include <math.h>

#include <cstdint>
#include <string>

#include "cutrain/core/philox.h"
#include "cutrain/core/tensor.h"

namespace cutrain::cpu {

CUTRAIN_HD double random_normal_at(uint64_t seed, uint64_t step, uint64_t i) {
  const Philox4x32 r = philox4x32(i, step, seed);
  const double u1 = philox_uniform_double(r.v[0], r.v[1]);
  const double u2 = philox_uniform_double(r.v[2], r.v[3]);
  return ::sqrt(-2.0 * ::log(u1)) * ::cos(6.283185307179586476925 * u2);
}

// out (f32/f64, contiguous) = mean + stddev * N(0, 1) by the rule above.
void random_normal(const std::string& op, double mean, double stddev, uint64_t seed, uint64_t step,
                   const Tensor& out);

}  // namespace cutrain::cpu
