#include "cutrain/graph/numerics_check.h"

#include <limits>
#include <sstream>

#include "cutrain/core/error.h"
#include "cutrain/ops/check_finite.h"
#include "cutrain/ops/op.h"

namespace cutrain::graph {

namespace {

constexpr int32_t kNone = std::numeric_limits<int32_t>::max();
// Slots of a node's checks: outputs 0..31, mutated inputs 32 + index.
constexpr int kSlots = 64;
constexpr int kMutatedSlot = 32;

const char* leaf_kind(NodeKind k) {
  switch (k) {
    case NodeKind::input: return "fed input";
    case NodeKind::parameter: return "parameter";
    case NodeKind::state: return "state";
    case NodeKind::constant: return "constant";
    case NodeKind::op: break;
  }
  return "value";
}

}  // namespace

const char* node_phase(const Node& n) {
  if (n.name.rfind("grad/", 0) == 0 || n.name.find("/grad/") != std::string::npos) return "backward";
  if (n.op.size() > 7 && n.op.compare(n.op.size() - 7, 7, "_update") == 0) return "optimizer update";
  return "forward";
}

NumericsCheck::NumericsCheck(const Graph& g, Device device)
    : g_(g),
      device_(device),
      flag_(Tensor::full(Shape({1}), DType::i32, kNone, device, Stream::default_stream(device))),
      none_host_(Tensor::full(Shape({1}), DType::i32, kNone)),
      flag_host_(Tensor::full(Shape({1}), DType::i32, kNone)) {
  CUTRAIN_CHECK(g.size() < kNone / kSlots, "check_numerics: graph of ", g.size(), " nodes is too large");
}

void NumericsCheck::reset(const Stream& stream) { flag_.copy_from(none_host_, stream); }

void NumericsCheck::check(const Tensor& t, int node, int slot, const Stream& stream) {
  if (!t.defined() || !is_floating(t.dtype()) || t.numel() == 0) return;
  const ops::Attrs attrs{{"id", static_cast<int64_t>(node) * kSlots + slot}};
  const std::string& name = g_.node(node).name;
  const ops::OpContext ctx{attrs, device_, stream, false, 0, 0, name};
  ops::run_kernel(ops::kCheckFiniteOp, ctx, {t, flag_}, {});
}

void NumericsCheck::check_leaf(int node, const Tensor& value, const Stream& stream) {
  check(value, node, 0, stream);
}

void NumericsCheck::check_op(const Node& n, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                             const Stream& stream) {
  for (size_t k = 0; k < outputs.size() && k < kMutatedSlot; ++k) check(outputs[k], n.id, static_cast<int>(k), stream);
  for (int m : ops::OpRegistry::global().get(n.op).mutated_inputs)
    if (m < static_cast<int>(inputs.size()) && m < kSlots - kMutatedSlot)
      check(inputs[static_cast<size_t>(m)], n.id, kMutatedSlot + m, stream);
}

void NumericsCheck::finish(const Stream& stream, uint64_t step) {
  flag_host_.copy_from(flag_, stream);
  stream.synchronize();
  const int32_t id = flag_host_.data<int32_t>()[0];
  if (id == kNone) return;
  throw NonFiniteValueError(describe(id, step));
}

std::string NumericsCheck::describe(int32_t id, uint64_t step) const {
  const int node = id / kSlots, slot = id % kSlots;
  const Node& n = g_.node(node);
  std::ostringstream m;
  m << "check_numerics: step " << step << ": ";
  if (n.kind != NodeKind::op) {
    m << leaf_kind(n.kind) << " '" << n.name << "' " << n.outputs.at(0).str()
      << " was already non-finite (NaN or Inf) at the start of the step";
    for (const Node& user : g_.nodes()) {
      if (user.kind != NodeKind::op) continue;
      for (size_t k = 0; k < user.inputs.size(); ++k) {
        if (user.inputs[k].node != node) continue;
        m << "; it is input " << k << " of op '" << user.op << "' node '" << user.name << "' (" << node_phase(user)
          << ")";
        return m.str();
      }
    }
    return m.str();
  }
  m << "op '" << n.op << "' node '" << n.name << "' (" << node_phase(n) << ") ";
  if (slot < kMutatedSlot) {
    m << "produced a non-finite value (NaN or Inf) in output " << slot << " " << n.outputs.at(slot).str();
  } else {
    const Value& in = n.inputs.at(static_cast<size_t>(slot - kMutatedSlot));
    m << "updated input " << slot - kMutatedSlot << " '" << g_.node(in.node).name << "' " << in.spec().str()
      << " in place to a non-finite value (NaN or Inf)";
  }
  m << "; its inputs were finite";
  std::string list;
  for (const Value& in : n.inputs) list += (list.empty() ? "" : ", ") + g_.node(in.node).name;
  if (!list.empty()) m << " (" << list << ")";
  return m.str();
}

}  // namespace cutrain::graph
