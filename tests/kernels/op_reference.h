// Kernel tests compare with the CPU reference op run through ops::call on the
// same inputs: helpers to move host vectors in and out of CPU tensors.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "cutrain/ops/op.h"

namespace cutrain::testing {

template <typename T>
Tensor host_tensor(const Shape& s, const std::vector<T>& v) {
  return Tensor::from_data<T>(s, v);
}

template <typename T = float>
std::vector<T> host_values(const Tensor& t) {
  const Tensor c = t.is_contiguous() ? t : t.clone();
  const T* p = c.data<T>();
  return std::vector<T>(p, p + c.numel());
}

// Uniform values in [lo, hi), reproducible from the seed.
template <typename T = float>
std::vector<T> uniform_values(int64_t n, uint32_t seed, double lo = -2.0, double hi = 2.0) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<T> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = static_cast<T>(d(rng));
  return v;
}

// The CPU reference's output `index` of `op` on host inputs.
template <typename T>
std::vector<T> reference(const std::string& op, const std::vector<Tensor>& in, const ops::Attrs& attrs = {},
                         int index = 0) {
  return host_values<T>(ops::call(op, in, attrs)[static_cast<std::size_t>(index)]);
}

// fp32: rtol 1e-5 elementwise, 1e-4 reductions; fp64: 1e-12 both.
template <typename T>
constexpr double elementwise_rtol() {
  return sizeof(T) == 4 ? 1e-5 : 1e-12;
}
template <typename T>
constexpr double reduction_rtol() {
  return sizeof(T) == 4 ? 1e-4 : 1e-12;
}

}  // namespace cutrain::testing
