#include "cutrain/nn/initializer.h"

#include <array>
#include <cmath>
#include <numbers>
#include <sstream>

#include "cutrain/core/error.h"
#include "cutrain/core/philox.h"

namespace cutrain::nn {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::array<double, 2> box_muller(uint64_t seed, uint64_t pair, uint64_t attempt) {
  const Philox4x32 w = philox4x32(pair, attempt, seed);
  const double u1 = philox_uniform_double(w.v[0], w.v[1]);  // (0, 1]: log is finite
  const double u2 = philox_uniform_double(w.v[2], w.v[3]);
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * std::numbers::pi * u2;
  return {radius * std::cos(angle), radius * std::sin(angle)};
}

// Fills p[0, n) with stddev * truncated normals, computing each Box-Muller
// pair once when both of its elements accept on the first attempt.
template <typename T>
void fill_truncated(T* p, int64_t n, double stddev, uint64_t seed) {
  for (int64_t i = 0; i < n; i += 2) {
    const auto k = static_cast<uint64_t>(i);
    const std::array<double, 2> z = box_muller(seed, k >> 1, 0);
    for (int64_t j = 0; j < 2 && i + j < n; ++j) {
      const double v = std::abs(z[static_cast<size_t>(j)]) <= 2.0
                           ? z[static_cast<size_t>(j)]
                           : truncated_standard_normal(seed, k + static_cast<uint64_t>(j));
      p[i + j] = static_cast<T>(stddev * v);
    }
  }
}

}  // namespace

double truncated_standard_normal(uint64_t seed, uint64_t i) {
  // Elements 2k and 2k+1 share Philox counter (k, r) in attempt r: one
  // Box-Muller pair gives both their candidates (cos for the even element,
  // sin for the odd one), and each redraws on its own until inside +-2.
  // Acceptance is ~95% per attempt, so more than a few attempts essentially
  // never happen.
  for (uint64_t r = 0;; ++r) {
    const double z = box_muller(seed, i >> 1, r)[i & 1];
    if (std::abs(z) <= 2.0) return z;
  }
}

double truncated_normal_stddev_factor() {
  // Var of N(0,1) cut to [-a, a]: 1 - 2a·phi(a) / (2Phi(a) - 1).
  const double a = 2.0;
  const double phi = std::exp(-0.5 * a * a) / std::sqrt(2.0 * std::numbers::pi);
  const double mass = std::erf(a / std::numbers::sqrt2);
  return std::sqrt(1.0 - 2.0 * a * phi / mass);
}

uint64_t parameter_seed(uint64_t model_seed, const std::string& name) {
  uint64_t h = 0xCBF29CE484222325ull;  // FNV-1a: stable across platforms and runs
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001B3ull;
  }
  return splitmix64(splitmix64(model_seed) ^ h);
}

int64_t fan_in(const Shape& weight_shape) {
  CUTRAIN_CHECK(weight_shape.rank() >= 1, "fan_in of a scalar weight");
  int64_t n = 1;
  for (int i = 1; i < weight_shape.rank(); ++i) n *= weight_shape[i];
  return n;
}

double Initializer::normal_stddev(int64_t fan) const {
  switch (kind) {
    case Kind::constant:
      return 0.0;
    case Kind::truncated_normal:
      return stddev;
    case Kind::variance_scaling:
      CUTRAIN_CHECK(fan > 0, "variance_scaling needs a positive fan-in, got ", fan);
      return std::sqrt(1.3 * factor / static_cast<double>(fan));
  }
  return 0.0;
}

Tensor Initializer::make(const Shape& shape, DType dtype, uint64_t seed) const {
  CUTRAIN_CHECK(dtype == DType::f32 || dtype == DType::f64,
                "initializers fill f32 or f64 tensors, not ", dtype_name(dtype));
  if (kind == Kind::constant) return Tensor::full(shape, dtype, value);
  const double sd = normal_stddev(kind == Kind::variance_scaling ? fan_in(shape) : 1);
  CUTRAIN_CHECK(sd >= 0.0, "initializer stddev must be >= 0, got ", sd);
  Tensor t = Tensor::empty(shape, dtype);
  const int64_t n = t.numel();
  if (dtype == DType::f32) {
    fill_truncated(t.data<float>(), n, sd, seed);
  } else {
    fill_truncated(t.data<double>(), n, sd, seed);
  }
  return t;
}

std::string Initializer::str() const {
  std::ostringstream s;
  switch (kind) {
    case Kind::constant:
      s << "constant(" << value << ")";
      break;
    case Kind::truncated_normal:
      s << "truncated_normal(" << stddev << ")";
      break;
    case Kind::variance_scaling:
      s << "variance_scaling(" << factor << ")";
      break;
  }
  return s.str();
}

}  // namespace cutrain::nn
