#include "cutrain/graph/fusion.h"

#include <algorithm>
#include <map>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "cutrain/core/error.h"

namespace cutrain::graph {

namespace {

using Use = std::pair<int, int>;  // (reader node, input slot)
using Key = std::pair<int, int>;  // (node, output index)

std::map<Key, std::vector<Use>> readers_of(const Graph& g) {
  std::map<Key, std::vector<Use>> readers;
  for (const Node& n : g.nodes())
    for (size_t s = 0; s < n.inputs.size(); ++s)
      readers[{n.inputs[s].node, n.inputs[s].index}].emplace_back(n.id, static_cast<int>(s));
  return readers;
}

const std::vector<Use>& readers(const std::map<Key, std::vector<Use>>& all, Key k) {
  static const std::vector<Use> none;
  const auto it = all.find(k);
  return it == all.end() ? none : it->second;
}

bool is_op(const Graph& g, int node, const char* op) {
  const Node& n = g.node(node);
  return n.kind == NodeKind::op && n.op == op;
}

// One branch of a candidate concat: relu(batch_norm(x).y).
struct Branch {
  int bn = -1, relu = -1, relu_grad = -1;  // relu_grad: -1 in a graph without backward
};

// The branch feeding concat input `v`, or nothing when it does not match.
std::optional<Branch> match_branch(const Graph& g, const std::map<Key, std::vector<Use>>& all, int concat,
                                   const Value& v) {
  if (v.index != 0 || !is_op(g, v.node, "relu")) return std::nullopt;
  Branch b;
  b.relu = v.node;
  const Value y = g.node(b.relu).inputs[0];
  if (y.index != 0 || !is_op(g, y.node, "batch_norm")) return std::nullopt;
  b.bn = y.node;
  const Node& bn = g.node(b.bn);
  if (bn.inputs.size() != 4 || bn.attrs.b("stats_only", false)) return std::nullopt;  // gamma-free only
  if (bn.attrs.b("inference", false)) return std::nullopt;  // frozen: eval statistics, not fused
  const std::vector<Use>& y_readers = readers(all, {b.bn, 0});
  if (y_readers.size() != 1 || y_readers[0].first != b.relu) return std::nullopt;
  int concat_reads = 0;
  for (const Use& u : readers(all, {b.relu, 0})) {
    if (u.first == concat) {
      ++concat_reads;
    } else if (is_op(g, u.first, "relu_grad") && u.second == 1 && b.relu_grad < 0) {
      b.relu_grad = u.first;
    } else {
      return std::nullopt;
    }
  }
  if (concat_reads != 1) return std::nullopt;
  return b;
}

// The split of the concat's gradient feeding every branch's relu_grad as
// output b, each output read by that relu_grad only; -1 if there is none.
int match_backward_split(const Graph& g, const std::map<Key, std::vector<Use>>& all,
                         const std::vector<Branch>& branches, const std::vector<int64_t>& channels, int axis) {
  const Value first = g.node(branches[0].relu_grad).inputs[0];
  const int split = first.node;
  if (!is_op(g, split, "split")) return -1;
  const Node& s = g.node(split);
  if (s.outputs.size() != branches.size() || s.attrs.ints("sizes") != channels) return -1;
  if (s.outputs[0].shape.normalize_axis(static_cast<int>(s.attrs.i("axis"))) != axis) return -1;
  for (size_t b = 0; b < branches.size(); ++b) {
    const Value in = g.node(branches[b].relu_grad).inputs[0];
    if (in.node != split || in.index != static_cast<int>(b)) return -1;
    const std::vector<Use>& r = readers(all, {split, static_cast<int>(b)});
    if (r.size() != 1 || r[0].first != branches[b].relu_grad) return -1;
  }
  return split;
}

// Re-infers a rewritten node and checks its outputs kept their specs.
void check_specs(const Node& n, const std::vector<TensorSpec>& expected) {
  std::vector<TensorSpec> in;
  for (const Value& v : n.inputs) in.push_back(v.spec());
  const std::vector<TensorSpec> out = ops::OpRegistry::global().get(n.op).infer(n.attrs, in);
  CUTRAIN_CHECK(out == expected, "fusion: rewriting '", n.name, "' into ", n.op, " changed its outputs");
}

}  // namespace

std::string FusionReport::str() const {
  std::ostringstream os;
  os << concats << " Inception concats fused (" << branches << " batch-norm + ReLU branches, " << backward
     << " with their backward split)";
  return os.str();
}

FusionReport fuse_inception_concats(Graph& g) {
  FusionReport report;
  std::map<Key, std::vector<Use>> all = readers_of(g);
  const int original = g.size();
  for (int id = 0; id < original; ++id) {
    if (!is_op(g, id, "concat")) continue;
    const Node& c = g.node(id);
    const int k = static_cast<int>(c.inputs.size());
    const int rank = c.outputs[0].shape.rank();
    if (k < 2 || k > 4 || rank < 2 || c.outputs[0].shape.normalize_axis(static_cast<int>(c.attrs.i("axis"))) != rank - 1)
      continue;
    std::vector<Branch> branches;
    std::vector<int64_t> channels;
    for (const Value& v : c.inputs) {
      const std::optional<Branch> b = match_branch(g, all, id, v);
      if (!b) break;
      branches.push_back(*b);
      channels.push_back(v.shape()[-1]);
    }
    if (static_cast<int>(branches.size()) != k) continue;
    const int with_grad = static_cast<int>(
        std::count_if(branches.begin(), branches.end(), [](const Branch& b) { return b.relu_grad >= 0; }));
    int split = -1;
    if (with_grad > 0) {
      // A ReLU output read by an unfusable backward must stay computed.
      if (with_grad != k) continue;
      split = match_backward_split(g, all, branches, channels, rank - 1);
      if (split < 0) continue;
    }

    // Forward: statistics-only batch norms, and the centred affine concat.
    std::vector<Value> x, scale, shift, center;
    for (const Branch& b : branches) {
      Node& bn = g.mutable_node(b.bn);
      bn.attrs.set("stats_only", true);
      std::vector<TensorSpec> specs = bn.outputs;
      specs[0] = TensorSpec{Shape{0}, specs[0].dtype};
      check_specs(bn, specs);
      bn.outputs = specs;
      x.push_back(bn.inputs[0]);
      scale.push_back(Value{&g, b.bn, 2});
      shift.push_back(bn.inputs[1]);
      center.push_back(Value{&g, b.bn, 1});
    }
    Node& fused = g.mutable_node(id);
    fused.op = "inception_concat";
    fused.inputs = x;
    for (const auto* part : {&scale, &shift, &center}) fused.inputs.insert(fused.inputs.end(), part->begin(), part->end());
    fused.attrs = Attrs{{"relu", true}, {"affine", true}, {"center", true}};
    check_specs(fused, fused.outputs);
    ++report.concats;
    report.branches += k;

    if (split >= 0) {
      Node& s = g.mutable_node(split);
      s.op = "inception_concat_grad";
      s.inputs = {s.inputs[0], Value{&g, id, 0}};
      s.attrs = Attrs{{"channels", channels}, {"relu", true}, {"affine", false}};
      check_specs(s, s.outputs);
      for (int b = 0; b < k; ++b) {
        const int rg = branches[static_cast<size_t>(b)].relu_grad;
        for (const Use& u : readers(all, {rg, 0}))
          g.mutable_node(u.first).inputs[static_cast<size_t>(u.second)] = Value{&g, split, b};
      }
      ++report.backward;
    }
    all = readers_of(g);  // later blocks read this one's rewritten values
  }
  return report;
}

}  // namespace cutrain::graph
