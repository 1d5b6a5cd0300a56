#include "cutrain/nn/summary.h"

#include <algorithm>
#include <map>
#include <sstream>

namespace cutrain::nn {

std::string group_thousands(int64_t n) {
  const bool neg = n < 0;
  std::string digits = std::to_string(neg ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return neg ? "-" + out : out;
}

namespace {

// The scope component right under the model's scope: "InceptionV3/Mixed_5b/..."
// -> "Mixed_5b". Parameters are charged to the endpoint of that name.
std::string owner_scope(const std::string& model_name, const std::string& param) {
  std::string rest = param;
  if (!model_name.empty() && rest.rfind(model_name + "/", 0) == 0)
    rest = rest.substr(model_name.size() + 1);
  return rest.substr(0, rest.find('/'));
}

std::string pad(const std::string& s, size_t w) {
  return s.size() >= w ? s + " " : s + std::string(w - s.size(), ' ');
}

}  // namespace

std::string summary(const Model& model) {
  std::map<std::string, int64_t> by_scope;
  for (const Value& p : model.params)
    by_scope[owner_scope(model.name, p.name())] += p.shape().numel();

  struct Row {
    std::string name, shape, params;
  };
  std::vector<Row> rows;
  if (model.input.defined())
    rows.push_back({model.input.name() + " (input)", model.input.shape().str(), "0"});
  for (const std::string& e : model.endpoint_order) {
    auto it = by_scope.find(e);
    const int64_t n = it == by_scope.end() ? 0 : it->second;
    if (it != by_scope.end()) by_scope.erase(it);
    rows.push_back({e, model.endpoints.at(e).shape().str(), group_thousands(n)});
  }
  // Scopes that are no endpoint (layers of models without endpoints).
  for (const auto& [scope, n] : by_scope) {
    rows.push_back({scope, "", group_thousands(n)});
  }

  size_t w0 = 24, w1 = 22, w2 = 12;
  for (const Row& r : rows) {
    w0 = std::max(w0, r.name.size() + 2);
    w1 = std::max(w1, r.shape.size() + 2);
    w2 = std::max(w2, r.params.size());
  }
  const size_t width = w0 + w1 + w2;
  std::ostringstream s;
  s << "Model: \"" << model.name << "\"\n" << std::string(width, '_') << "\n";
  s << pad("Layer (endpoint)", w0) << pad("Output Shape", w1) << "Param #\n"
    << std::string(width, '=') << "\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    s << pad(rows[i].name, w0) << pad(rows[i].shape, w1) << rows[i].params << "\n";
    s << std::string(width, i + 1 == rows.size() ? '=' : '_') << "\n";
  }
  const int64_t trainable = model.trainable_parameter_count();
  const int64_t states = model.state_element_count();
  s << "Total params: " << group_thousands(trainable + states) << "\n";
  s << "Trainable params: " << group_thousands(trainable) << "\n";
  s << "Non-trainable params: " << group_thousands(states)
    << " (batch-norm moving mean and variance of "
    << group_thousands(model.bn_state_element_count() / 2) << " channels)\n";
  s << std::string(width, '_') << "\n";
  return s.str();
}

}  // namespace cutrain::nn
