// Helpers for kernel tests that compare a kernel with the CPU reference op
// (ops::call) on the same inputs: host vectors <-> CPU tensors.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "cutrain/core/tensor.h"
#include "cutrain/ops/op.h"

namespace cutrain::testing {

template <typename T = float>
std::vector<T> uniform(int64_t n, uint32_t seed, double lo = -1.0, double hi = 1.0) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<T> v(static_cast<std::size_t>(n));
  for (T& x : v) x = static_cast<T>(d(rng));
  return v;
}

template <typename T>
Tensor tensor(const Shape& s, const std::vector<T>& v) {
  return Tensor::from_data<T>(s, v);
}

template <typename T = float>
std::vector<T> values(const Tensor& t) {
  const Tensor c = t.is_contiguous() ? t : t.clone();
  const T* p = c.data<T>();
  return std::vector<T>(p, p + c.numel());
}

}  // namespace cutrain::testing
