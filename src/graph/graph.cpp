#include "cutrain/graph/graph.h"

#include "cutrain/core/error.h"

namespace cutrain::graph {

const TensorSpec& Value::spec() const {
  CUTRAIN_CHECK(defined(), "spec() of an undefined value");
  return graph->node(node).outputs.at(static_cast<size_t>(index));
}

const std::string& Value::name() const {
  CUTRAIN_CHECK(defined(), "name() of an undefined value");
  return graph->node(node).name;
}

std::string Value::str() const {
  if (!defined()) return "<undefined>";
  std::string s = name();
  if (index > 0) s += ":" + std::to_string(index);
  return s + " " + spec().str();
}

std::string Graph::scoped(const std::string& name) const {
  std::string s;
  for (const std::string& sc : scopes_) s += sc + "/";
  return s + name;
}

void Graph::push_scope(const std::string& scope) { scopes_.push_back(scope); }
void Graph::pop_scope() {
  CUTRAIN_CHECK(!scopes_.empty(), "pop_scope without a scope");
  scopes_.pop_back();
}

int Graph::step_scalar(const std::string& name) {
  for (size_t i = 0; i < step_scalars_.size(); ++i)
    if (step_scalars_[i] == name) return static_cast<int>(i);
  step_scalars_.push_back(name);
  return static_cast<int>(step_scalars_.size() - 1);
}

std::string Graph::unique_name(const std::string& base) {
  const std::string full = scoped(base);
  if (!names_.count(full)) return full;
  for (int i = 1;; ++i) {
    const std::string n = full + "_" + std::to_string(i);
    if (!names_.count(n)) return n;
  }
}

Value Graph::add_leaf(NodeKind kind, const std::string& op, const std::string& name, Tensor t,
                      const TensorSpec& spec) {
  Node n;
  n.id = size();
  n.kind = kind;
  n.op = op;
  n.name = unique_name(name.empty() ? op : name);
  n.outputs = {spec};
  n.tensor = std::move(t);
  names_[n.name] = n.id;
  nodes_.push_back(std::move(n));
  return Value{this, size() - 1, 0};
}

Value Graph::input(const std::string& name, const TensorSpec& spec) {
  return add_leaf(NodeKind::input, "input", name, {}, spec);
}

Value Graph::parameter(const std::string& name, Tensor init) {
  CUTRAIN_CHECK(init.defined(), "parameter '", name, "' needs an initial value");
  const TensorSpec spec{init.shape(), init.dtype()};
  return add_leaf(NodeKind::parameter, "parameter", name, std::move(init), spec);
}

Value Graph::state(const std::string& name, Tensor init) {
  CUTRAIN_CHECK(init.defined(), "state '", name, "' needs an initial value");
  const TensorSpec spec{init.shape(), init.dtype()};
  return add_leaf(NodeKind::state, "state", name, std::move(init), spec);
}

Value Graph::constant(Tensor value, const std::string& name) {
  const TensorSpec spec{value.shape(), value.dtype()};
  return add_leaf(NodeKind::constant, "constant", name, std::move(value), spec);
}

std::vector<Value> Graph::apply(const std::string& op, const std::vector<Value>& inputs,
                                const Attrs& attrs, const std::string& name) {
  std::vector<TensorSpec> specs;
  for (const Value& v : inputs) {
    CUTRAIN_CHECK(v.defined(), "op '", op, "' (", scoped(name.empty() ? op : name),
                  "): an input is undefined");
    CUTRAIN_CHECK(v.graph == this, "op '", op, "': input ", v.name(), " belongs to another graph");
    specs.push_back(v.spec());
  }
  Node n;
  n.outputs = ops::infer(op, attrs, specs);
  n.id = size();
  n.kind = NodeKind::op;
  n.op = op;
  n.name = unique_name(name.empty() ? op : name);
  n.attrs = attrs;
  n.inputs = inputs;
  names_[n.name] = n.id;
  const int count = static_cast<int>(n.outputs.size());
  nodes_.push_back(std::move(n));
  std::vector<Value> out;
  for (int i = 0; i < count; ++i) out.push_back(Value{this, size() - 1, i});
  return out;
}

namespace {
std::vector<Value> leaves_of(const Graph& g, NodeKind kind) {
  std::vector<Value> out;
  for (const Node& n : g.nodes())
    if (n.kind == kind) out.push_back(Value{const_cast<Graph*>(&g), n.id, 0});
  return out;
}
}  // namespace

std::vector<Value> Graph::parameters() const { return leaves_of(*this, NodeKind::parameter); }
std::vector<Value> Graph::states() const { return leaves_of(*this, NodeKind::state); }
std::vector<Value> Graph::inputs() const { return leaves_of(*this, NodeKind::input); }

Value Graph::find(const std::string& name) const {
  auto it = names_.find(name);
  CUTRAIN_CHECK(it != names_.end(), "no value named '", name, "' in the graph");
  return Value{const_cast<Graph*>(this), it->second, 0};
}

const Tensor& Graph::tensor_of(Value v) const {
  const Node& n = node(v.node);
  CUTRAIN_CHECK(n.tensor.defined(), "'", n.name, "' is not a parameter, state or constant");
  return n.tensor;
}

}  // namespace cutrain::graph
