// Attrs: the named, typed attributes of an op node (kernel size, strides,
// epsilon, ...). Getters name the op and the attribute in their errors.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace cutrain::ops {

using AttrValue =
    std::variant<int64_t, double, bool, std::string, std::vector<int64_t>, std::vector<double>>;

class Attrs {
 public:
  Attrs() = default;
  Attrs(std::initializer_list<std::pair<const std::string, AttrValue>> init) : values_(init) {}

  Attrs& set(const std::string& name, AttrValue v) {
    values_[name] = std::move(v);
    return *this;
  }
  bool has(const std::string& name) const { return values_.count(name) != 0; }

  int64_t i(const std::string& name) const;
  int64_t i(const std::string& name, int64_t fallback) const;
  double f(const std::string& name) const;  // accepts an int64 value too
  double f(const std::string& name, double fallback) const;
  bool b(const std::string& name) const;
  bool b(const std::string& name, bool fallback) const;
  const std::string& s(const std::string& name) const;
  std::string s(const std::string& name, const std::string& fallback) const;
  const std::vector<int64_t>& ints(const std::string& name) const;
  std::vector<int64_t> ints(const std::string& name, std::vector<int64_t> fallback) const;
  const std::vector<double>& floats(const std::string& name) const;

  const std::map<std::string, AttrValue>& values() const { return values_; }
  std::string str() const;  // "{kernel=[3, 3], padding=SAME}"
  bool operator==(const Attrs&) const = default;

 private:
  template <typename T>
  const T& get(const std::string& name, const char* type) const;
  std::map<std::string, AttrValue> values_;
};

}  // namespace cutrain::ops
