// Philox4x32-10, the counter-based generator (Salmon et al., SC'11) that
// cuRAND and PyTorch use. The same (seed, offset) gives the same numbers on
// the CPU, in emulated kernels and on the GPU, so dropout masks and random
// initialisations agree across backends. Header-only; host and device.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define CUTRAIN_HD __host__ __device__ __forceinline__
#else
#define CUTRAIN_HD inline
#endif

namespace cutrain {

struct Philox4x32 {
  uint32_t v[4];
};

CUTRAIN_HD uint32_t philox_mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  const uint64_t p = static_cast<uint64_t>(a) * b;
  *hi = static_cast<uint32_t>(p >> 32);
  return static_cast<uint32_t>(p);
}

// Ten rounds over the 128-bit counter (c0..c3) with the 64-bit key (seed).
CUTRAIN_HD Philox4x32 philox4x32(uint64_t counter_lo, uint64_t counter_hi, uint64_t seed) {
  uint32_t c0 = static_cast<uint32_t>(counter_lo), c1 = static_cast<uint32_t>(counter_lo >> 32);
  uint32_t c2 = static_cast<uint32_t>(counter_hi), c3 = static_cast<uint32_t>(counter_hi >> 32);
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    uint32_t hi0, hi1;
    const uint32_t lo0 = philox_mulhilo(0xD2511F53u, c0, &hi0);
    const uint32_t lo1 = philox_mulhilo(0xCD9E8D57u, c2, &hi1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return Philox4x32{{c0, c1, c2, c3}};
}

// Uniform in [0, 1) with 24 random bits, exactly representable in float.
CUTRAIN_HD float philox_uniform(uint32_t x) { return static_cast<float>(x >> 8) * (1.0f / 16777216.0f); }

// Uniform in (0, 1] with 53 bits from two words, for the double path and Box-Muller.
CUTRAIN_HD double philox_uniform_double(uint32_t a, uint32_t b) {
  const uint64_t bits = (static_cast<uint64_t>(a) << 21) ^ static_cast<uint64_t>(b >> 11);
  return (static_cast<double>(bits & ((1ull << 53) - 1)) + 1.0) * (1.0 / 9007199254740992.0);
}

// Element i of the uniform stream for (seed, offset): each counter value gives
// four words, so element i uses word i % 4 of counter (offset + i / 4).
CUTRAIN_HD float philox_uniform_at(uint64_t seed, uint64_t offset, uint64_t i) {
  const Philox4x32 r = philox4x32(offset + i / 4, 0, seed);
  return philox_uniform(r.v[i % 4]);
}

}  // namespace cutrain
