// The gradient registry (graph/gradient_registry.h).
#include "cutrain/graph/gradient_registry.h"

#include <mutex>

#include "cutrain/core/error.h"
#include "cutrain/ops/op.h"

namespace cutrain::graph {

GradientRegistry& GradientRegistry::global() {
  static GradientRegistry* r = new GradientRegistry;  // never destroyed, as the op registry
  static std::once_flag once;
  std::call_once(once, [] { register_builtin_gradients(*r); });
  return *r;
}

void GradientRegistry::add(const std::string& op, GradFn grad) {
  CUTRAIN_CHECK(ops::OpRegistry::global().has(op), "register_gradient: unknown op '", op,
                "' (register the op before its gradient)");
  CUTRAIN_CHECK(static_cast<bool>(grad), "register_gradient: empty backward rule for op '", op, "'");
  const bool inserted = rules_.emplace(op, std::move(grad)).second;
  CUTRAIN_CHECK(inserted, "register_gradient: op '", op, "' already has a backward rule");
}

const GradFn* GradientRegistry::find(const std::string& op) const {
  auto it = rules_.find(op);
  return it == rules_.end() ? nullptr : &it->second;
}

std::vector<std::string> GradientRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, rule] : rules_) out.push_back(name);
  return out;
}

void register_gradient(const std::string& op, GradFn grad) { GradientRegistry::global().add(op, std::move(grad)); }

}  // namespace cutrain::graph
