// Shape: the dimensions of a tensor (row-major, outermost first).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace cutrain {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) : dims_(dims) { validate(); }
  explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) { validate(); }

  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t numel() const;
  // Negative indices count from the end, as in Python. Throws when out of range.
  int64_t operator[](int i) const { return dims_[static_cast<size_t>(normalize_axis(i))]; }
  int64_t& at(int i) { return dims_[static_cast<size_t>(normalize_axis(i))]; }
  int normalize_axis(int axis) const;
  const std::vector<int64_t>& dims() const { return dims_; }

  // Contiguous (row-major) strides in elements.
  std::vector<int64_t> contiguous_strides() const;

  bool operator==(const Shape& o) const = default;
  std::string str() const;  // "[8, 299, 299, 3]"

 private:
  void validate() const;
  std::vector<int64_t> dims_;
};

}  // namespace cutrain
