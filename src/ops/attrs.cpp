#include "cutrain/ops/attrs.h"

#include <sstream>

#include "cutrain/core/error.h"

namespace cutrain::ops {

template <typename T>
const T& Attrs::get(const std::string& name, const char* type) const {
  auto it = values_.find(name);
  CUTRAIN_CHECK(it != values_.end(), "missing attribute '", name, "' (have ", str(), ")");
  const T* v = std::get_if<T>(&it->second);
  CUTRAIN_CHECK(v != nullptr, "attribute '", name, "' is not of type ", type, " (have ", str(), ")");
  return *v;
}

int64_t Attrs::i(const std::string& name) const { return get<int64_t>(name, "int"); }
int64_t Attrs::i(const std::string& name, int64_t fallback) const {
  return has(name) ? i(name) : fallback;
}
double Attrs::f(const std::string& name) const {
  auto it = values_.find(name);
  if (it != values_.end())
    if (const int64_t* v = std::get_if<int64_t>(&it->second)) return static_cast<double>(*v);
  return get<double>(name, "float");
}
double Attrs::f(const std::string& name, double fallback) const {
  return has(name) ? f(name) : fallback;
}
bool Attrs::b(const std::string& name) const { return get<bool>(name, "bool"); }
bool Attrs::b(const std::string& name, bool fallback) const { return has(name) ? b(name) : fallback; }
const std::string& Attrs::s(const std::string& name) const { return get<std::string>(name, "string"); }
std::string Attrs::s(const std::string& name, const std::string& fallback) const {
  return has(name) ? s(name) : fallback;
}
const std::vector<int64_t>& Attrs::ints(const std::string& name) const {
  return get<std::vector<int64_t>>(name, "int list");
}
std::vector<int64_t> Attrs::ints(const std::string& name, std::vector<int64_t> fallback) const {
  return has(name) ? ints(name) : fallback;
}
const std::vector<double>& Attrs::floats(const std::string& name) const {
  return get<std::vector<double>>(name, "float list");
}

std::string Attrs::str() const {
  std::ostringstream os;
  os << "{";
  bool first = true;
  for (const auto& [k, v] : values_) {
    os << (first ? "" : ", ") << k << "=";
    first = false;
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::vector<int64_t>> || std::is_same_v<T, std::vector<double>>) {
            os << "[";
            for (size_t i = 0; i < x.size(); ++i) os << (i ? ", " : "") << x[i];
            os << "]";
          } else if constexpr (std::is_same_v<T, bool>) {
            os << (x ? "true" : "false");
          } else {
            os << x;
          }
        },
        v);
  }
  os << "}";
  return os.str();
}

}  // namespace cutrain::ops
