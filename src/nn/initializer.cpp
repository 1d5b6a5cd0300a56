#include "cutrain/nn/initializer.h"

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

}  // namespace

double truncated_standard_normal(uint64_t seed, uint64_t i) {
  // Attempt r of element i uses counter (i, r): each attempt gives two
  // Box-Muller normals; the first inside +-2 wins. Acceptance is ~95% per
  // normal, so more than a few attempts essentially never happen.
  for (uint64_t r = 0;; ++r) {
    const Philox4x32 w = philox4x32(i, r, seed);
    const double u1 = philox_uniform_double(w.v[0], w.v[1]);  // (0, 1]: log is finite
    const double u2 = philox_uniform_double(w.v[2], w.v[3]);
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    const double z0 = radius * std::cos(angle);
    if (std::abs(z0) <= 2.0) return z0;
    const double z1 = radius * std::sin(angle);
    if (std::abs(z1) <= 2.0) return z1;
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
    case Kind::constant: return 0.0;
    case Kind::truncated_normal: return stddev;
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
    float* p = t.data<float>();
    for (int64_t i = 0; i < n; ++i)
      p[i] = static_cast<float>(sd * truncated_standard_normal(seed, static_cast<uint64_t>(i)));
  } else {
    double* p = t.data<double>();
    for (int64_t i = 0; i < n; ++i) p[i] = sd * truncated_standard_normal(seed, static_cast<uint64_t>(i));
  }
  return t;
}

std::string Initializer::str() const {
  std::ostringstream s;
  switch (kind) {
    case Kind::constant: s << "constant(" << value << ")"; break;
    case Kind::truncated_normal: s << "truncated_normal(" << stddev << ")"; break;
    case Kind::variance_scaling: s << "variance_scaling(" << factor << ")"; break;
  }
  return s.str();
}

}  // namespace cutrain::nn
