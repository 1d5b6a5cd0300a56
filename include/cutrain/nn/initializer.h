// Parameter initializers (TF-slim's set), seeded and deterministic.
//
//   zeros / ones / constant(v)
//   truncated_normal(stddev)       normal(0, stddev), values beyond 2 stddev redrawn
//   variance_scaling(factor = 2)   slim's variance_scaling_initializer (fan-in,
//                                  not uniform): truncated normal with stddev
//                                  sqrt(1.3 * factor / fan_in). The 1.3 undoes
//                                  most of the variance the truncation removes
//                                  (a normal cut at 2 stddev keeps ~0.88 of its stddev).
//
// Every element comes from Philox keyed by the seed with the element's index
// in the counter, so a tensor's values depend only on (seed, shape), never on
// thread count or creation order.
#pragma once

#include <cstdint>
#include <string>

#include "cutrain/core/tensor.h"

namespace cutrain::nn {

struct Initializer {
  enum class Kind { constant, truncated_normal, variance_scaling };
  Kind kind = Kind::constant;
  double value = 0.0;   // constant
  double stddev = 0.0;  // truncated_normal
  double factor = 2.0;  // variance_scaling

  static Initializer zeros() { return constant(0.0); }
  static Initializer ones() { return constant(1.0); }
  static Initializer constant(double v) { return {Kind::constant, v, 0.0, 0.0}; }
  static Initializer truncated_normal(double stddev) {
    return {Kind::truncated_normal, 0.0, stddev, 0.0};
  }
  static Initializer variance_scaling(double factor = 2.0) {
    return {Kind::variance_scaling, 0.0, 0.0, factor};
  }

  // The stddev of the normal drawn from before truncation (0 for constants).
  double normal_stddev(int64_t fan_in) const;
  Tensor make(const Shape& shape, DType dtype, uint64_t seed) const;
  std::string str() const;  // "variance_scaling(2)", "truncated_normal(0.01)", "constant(0)"
};

// Fan-in of a weight stored [out, ...] (OHWI conv, [out, in] dense): the
// product of every dim but the first.
int64_t fan_in(const Shape& weight_shape);

// Standard normal truncated at +-2: element i of the stream for `seed`.
double truncated_standard_normal(uint64_t seed, uint64_t i);

// The stddev of a standard normal truncated at +-2 (~0.8796).
double truncated_normal_stddev_factor();

// A seed for one named parameter: the model seed mixed with the name, so a
// parameter's values do not change when layers are added before it.
uint64_t parameter_seed(uint64_t model_seed, const std::string& name);

}  // namespace cutrain::nn
