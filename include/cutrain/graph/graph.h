// Graph: values and nodes of a computation (a model, and after autodiff its
// backward pass and update). Nodes are appended in topological order: a node
// may only use values that already exist.
//
// Leaves are inputs (fed per run), parameters (trainable tensors owned by the
// graph), state (non-trainable tensors owned by the graph and updated in
// place: batch-norm running statistics, spectral-norm u and v, optimizer
// slots) and constants.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cutrain/core/tensor.h"
#include "cutrain/ops/attrs.h"
#include "cutrain/ops/op.h"

namespace cutrain::graph {

class Graph;
using ops::Attrs;
using ops::TensorSpec;

// One output of one node. Cheap to copy.
struct Value {
  Graph* graph = nullptr;
  int node = -1;
  int index = 0;

  bool defined() const { return graph != nullptr; }
  const TensorSpec& spec() const;
  const Shape& shape() const { return spec().shape; }
  DType dtype() const { return spec().dtype; }
  const std::string& name() const;  // the node's name (with ":i" for outputs i > 0 in str())
  std::string str() const;
  bool operator==(const Value& o) const {
    return graph == o.graph && node == o.node && index == o.index;
  }
};

enum class NodeKind { op, input, parameter, state, constant };

struct Node {
  int id = -1;
  NodeKind kind = NodeKind::op;
  std::string op;    // op name for kind == op; "input"/"parameter"/... otherwise
  std::string name;  // unique within the graph ("Mixed_5b/Branch_1/Conv2d_0a_1x1/conv")
  Attrs attrs;
  std::vector<Value> inputs;
  std::vector<TensorSpec> outputs;
  Tensor tensor;  // the value of a parameter, state or constant leaf

  const Value& input(int i) const { return inputs.at(static_cast<size_t>(i)); }
};

class Graph {
 public:
  explicit Graph(uint64_t seed = 0) : seed_(seed) {}
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  Value input(const std::string& name, const TensorSpec& spec);
  Value parameter(const std::string& name, Tensor init);
  Value state(const std::string& name, Tensor init);
  Value constant(Tensor value, const std::string& name = "");
  // Appends an op node; its outputs' specs come from the op's inference.
  std::vector<Value> apply(const std::string& op, const std::vector<Value>& inputs,
                           const Attrs& attrs = {}, const std::string& name = "");
  Value apply1(const std::string& op, const std::vector<Value>& inputs, const Attrs& attrs = {},
               const std::string& name = "") {
    return apply(op, inputs, attrs, name).at(0);
  }

  const Node& node(int id) const { return nodes_.at(static_cast<size_t>(id)); }
  // Counts as a change of the graph (version()): executors that recorded a
  // step (graph replay) record it again.
  Node& mutable_node(int id) {
    ++version_;
    return nodes_.at(static_cast<size_t>(id));
  }
  // Bumped by every mutable_node call.
  uint64_t version() const { return version_; }
  int size() const { return static_cast<int>(nodes_.size()); }
  const std::vector<Node>& nodes() const { return nodes_; }
  std::vector<Value> parameters() const;  // in creation order
  std::vector<Value> states() const;
  std::vector<Value> inputs() const;
  Value find(const std::string& name) const;  // throws if absent
  const Tensor& tensor_of(Value v) const;  // parameter/state/constant value

  // Name scopes: names created inside get the prefix "scope/".
  void push_scope(const std::string& scope);
  void pop_scope();
  std::string scoped(const std::string& name) const;
  uint64_t seed() const { return seed_; }

  // Per-step scalars (ops/step_scalars.h): values that change every step
  // (learning rate, Adam's step, the EMA decay) live in one f64 tensor the
  // executor writes before each step, so kernels read them at run time
  // instead of from attrs baked in when the step was enqueued or captured.
  // Slot 0 is the executor's step counter; step_scalar(name) returns the slot
  // of `name`, adding it on first use.
  int step_scalar(const std::string& name);
  // Slot names; index 0 is "step".
  const std::vector<std::string>& step_scalars() const { return step_scalars_; }

 private:
  Value add_leaf(NodeKind kind, const std::string& op, const std::string& name, Tensor t,
                 const TensorSpec& spec);
  std::string unique_name(const std::string& base);

  std::vector<Node> nodes_;
  std::vector<std::string> scopes_;
  std::map<std::string, int> names_;
  uint64_t seed_;
  std::vector<std::string> step_scalars_{"step"};
  uint64_t version_ = 0;
};

// RAII name scope: { NameScope s(g, "Mixed_5b"); ... }
class NameScope {
 public:
  NameScope(Graph& g, const std::string& scope) : g_(g) { g_.push_scope(scope); }
  ~NameScope() { g_.pop_scope(); }

 private:
  Graph& g_;
};

}  // namespace cutrain::graph
