#include "cutrain/graph/executor.h"

#include "cutrain/core/error.h"
#include "cutrain/graph/numerics_check.h"
#include "node_error.h"

namespace cutrain::graph {

uint64_t node_seed(uint64_t graph_seed, int node_id) {
  // splitmix64 of (seed, id): distinct, well-mixed streams per node.
  uint64_t z = graph_seed + 0x9E3779B97F4A7C15ull * (static_cast<uint64_t>(node_id) + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

Executor::Executor(Graph& g, Device device, Stream stream)
    : g_(g), device_(device), stream_(stream.valid() ? stream : Stream::default_stream(device)) {
  sync_leaves_from_graph();
}

void Executor::sync_leaves_from_graph() {
  leaves_.clear();
  for (const Node& n : g_.nodes()) {
    if (!n.tensor.defined()) continue;
    leaves_[n.id] = n.tensor.device() == device_ && n.tensor.is_contiguous()
                        ? n.tensor
                        : n.tensor.to(device_, stream_);
  }
}

void Executor::set_check_numerics(bool on) {
  numerics_ = on ? std::make_shared<NumericsCheck>(g_, device_) : nullptr;
}

void Executor::sync_leaves_to_graph() {
  for (auto& [id, t] : leaves_) {
    Node& n = g_.mutable_node(id);
    if (n.kind == NodeKind::constant || t.same_storage(n.tensor)) continue;
    n.tensor.copy_from(t, stream_);
  }
  stream_.synchronize();
}

Tensor& Executor::leaf(Value v) {
  auto it = leaves_.find(v.node);
  if (it == leaves_.end()) {
    // Leaves created after construction (e.g. autodiff constants).
    const Node& n = g_.node(v.node);
    CUTRAIN_CHECK(n.tensor.defined(), "'", n.name, "' is not a parameter, state or constant");
    it = leaves_.emplace(v.node, n.tensor.device() == device_ ? n.tensor : n.tensor.to(device_, stream_)).first;
  }
  return it->second;
}

std::vector<Tensor> Executor::run(const std::vector<std::pair<Value, Tensor>>& feeds,
                                  const std::vector<Value>& fetches, const RunOptions& options) {
  std::map<int, Tensor> m;
  for (const auto& [v, t] : feeds) m[v.node] = t;
  return run(m, fetches, options);
}

std::vector<Tensor> Executor::run(const std::map<int, Tensor>& feeds, const std::vector<Value>& fetches,
                                  const RunOptions& options) {
  int last = -1;
  for (const Value& v : fetches) last = std::max(last, v.node);
  // Nodes needed by the fetches, plus every node that mutates state (so
  // running a loss in training also updates running statistics it depends on).
  std::vector<char> needed(static_cast<size_t>(last + 1), 0);
  for (const Value& v : fetches) needed[static_cast<size_t>(v.node)] = 1;
  for (int i = last; i >= 0; --i) {
    if (!needed[static_cast<size_t>(i)]) continue;
    for (const Value& in : g_.node(i).inputs) needed[static_cast<size_t>(in.node)] = 1;
  }

  std::vector<std::vector<Tensor>> values(static_cast<size_t>(last + 1));
  if (numerics_) numerics_->reset(stream_);
  for (int i = 0; i <= last; ++i) {
    if (!needed[static_cast<size_t>(i)]) continue;
    const Node& n = g_.node(i);
    switch (n.kind) {
      case NodeKind::input: {
        auto it = feeds.find(i);
        CUTRAIN_CHECK(it != feeds.end(), "input '", n.name, "' ", n.outputs[0].str(), " was not fed");
        const Tensor& t = it->second;
        CUTRAIN_CHECK(t.shape() == n.outputs[0].shape && t.dtype() == n.outputs[0].dtype, "input '",
                      n.name, "' expects ", n.outputs[0].str(), ", fed ", dtype_name(t.dtype()),
                      t.shape().str());
        values[static_cast<size_t>(i)] = {t.device() == device_ ? t : t.to(device_, stream_)};
        if (numerics_) numerics_->check_leaf(i, values[static_cast<size_t>(i)][0], stream_);
        break;
      }
      case NodeKind::parameter:
      case NodeKind::state:
      case NodeKind::constant:
        values[static_cast<size_t>(i)] = {leaf(Value{&g_, i, 0})};
        if (numerics_) numerics_->check_leaf(i, values[static_cast<size_t>(i)][0], stream_);
        break;
      case NodeKind::op: {
        std::vector<Tensor> inputs;
        for (const Value& in : n.inputs) inputs.push_back(values[static_cast<size_t>(in.node)][static_cast<size_t>(in.index)]);
        std::vector<Tensor> outputs;
        for (const TensorSpec& s : n.outputs) outputs.push_back(Tensor::empty(s.shape, s.dtype, device_, stream_));
        const ops::OpContext ctx{n.attrs, device_, stream_, options.training, node_seed(g_.seed(), i),
                                 step_, n.op};
        try {
          ops::run_kernel(n.op, ctx, inputs, outputs);
        } catch (const Error&) {
          detail::rethrow_in_node(n.name);
        }
        if (numerics_) numerics_->check_op(n, inputs, outputs, stream_);
        values[static_cast<size_t>(i)] = std::move(outputs);
        break;
      }
    }
  }
  ++step_;
  if (numerics_) numerics_->finish(stream_, step_ - 1);
  std::vector<Tensor> out;
  for (const Value& v : fetches) out.push_back(values[static_cast<size_t>(v.node)][static_cast<size_t>(v.index)]);
  return out;
}

}  // namespace cutrain::graph
