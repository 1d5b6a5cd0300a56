#include "cutrain/core/shape.h"

#include "cutrain/core/error.h"

namespace cutrain {

void Shape::validate() const {
  for (int64_t d : dims_) CUTRAIN_CHECK(d >= 0, "negative dimension in shape ", str());
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int64_t d : dims_) n *= d;
  return n;
}

int Shape::normalize_axis(int axis) const {
  const int r = rank();
  const int a = axis < 0 ? axis + r : axis;
  CUTRAIN_CHECK(a >= 0 && a < r, "axis ", axis, " out of range for shape ", str());
  return a;
}

std::vector<int64_t> Shape::contiguous_strides() const {
  std::vector<int64_t> s(dims_.size());
  int64_t acc = 1;
  for (size_t i = dims_.size(); i-- > 0;) {
    s[i] = acc;
    acc *= dims_[i];
  }
  return s;
}

std::string Shape::str() const {
  std::string s = "[";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(dims_[i]);
  }
  return s + "]";
}

}  // namespace cutrain
