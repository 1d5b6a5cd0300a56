// The autocast pass (graph/autocast.h).
#include "cutrain/graph/autocast.h"

#include <algorithm>
#include <mutex>
#include <tuple>

#include "cutrain/core/error.h"
#include "cutrain/ops/cast.h"
#include "cutrain/ops/low_precision.h"
#include "cutrain/ops/op.h"

namespace cutrain::graph {

namespace {

struct AutocastTable {
  std::mutex mu;
  std::map<std::string, AutocastRule> rules;
  AutocastTable() {
    for (const char* op : {"conv2d", "conv2d_backward_input", "conv2d_backward_filter", "matmul"})
      rules[op] = AutocastRule::low;
    for (const char* op : {"batch_norm", "batch_norm_grad", "batch_norm_stats_grad", "inception_concat",
                           "inception_concat_grad"})
      rules[op] = AutocastRule::keep;
    for (const char* op :
         {"softmax", "softmax_grad", "log_softmax", "log_softmax_grad", "softmax_cross_entropy",
          "softmax_cross_entropy_grad", "sigmoid_binary_cross_entropy", "sigmoid_binary_cross_entropy_grad",
          "mean_squared_error", "mean_squared_error_grad", "gaussian_kl", "gaussian_kl_grad",
          "weighted_loss_reduce", "weighted_loss_reduce_grad", "l2_loss", "l2_loss_grad", "sum", "mean",
          "reduce_nhw_sum", "sum_to", "global_norm", "clip_by_global_norm", "adam_update", "rmsprop_update",
          "sgd_update", "ema_update", "spectral_norm", "spectral_norm_grad", "exp", "log"})
      rules[op] = AutocastRule::fp32;
  }
};
AutocastTable& autocast_table() {
  static AutocastTable t;
  return t;
}

bool autocast_float(DType t) { return t == DType::f32 || ops::is_16_bit_float(t); }

std::string_view autocast_device_word(DeviceType d) { return d == DeviceType::cpu ? "cpu" : "cuda"; }

class AutocastCopier {
 public:
  AutocastCopier(const Graph& src, DType low, DeviceType device, AutocastResult& out)
      : src_(src), low_(low), device_(device), out_(out), g_(*out.graph) {}

  void run() {
    for (const Node& n : src_.nodes()) {
      if (n.kind != NodeKind::op) {
        copy_leaf(n);
        continue;
      }
      std::vector<Value> in;
      for (const Value& v : n.inputs) in.push_back(out_.map(v));
      place(n, in);
      const std::vector<Value> outs = g_.apply(n.op, in, n.attrs, n.name);
      for (size_t k = 0; k < outs.size(); ++k) out_.values[{n.id, static_cast<int>(k)}] = outs[k];
    }
  }

  // v in dtype `to`: once per (value, dtype), named after its source.
  Value cast_to(const Value& v, DType to) {
    if (v.spec().dtype == to) return v;
    const auto key = std::make_tuple(v.node, v.index, to);
    if (auto it = casts_.find(key); it != casts_.end()) return it->second;
    const Node& s = g_.node(v.node);
    const std::string name = s.name + (v.index ? ":" + std::to_string(v.index) : "") + "/autocast_" +
                             std::string(dtype_name(to));
    const Value c = g_.apply1(ops::kCastOp, {v}, ops::cast_attrs(to), name);
    ++out_.report.casts;
    if (s.kind == NodeKind::parameter) ++out_.report.parameter_casts;
    casts_[key] = c;
    return c;
  }

 private:
  void copy_leaf(const Node& n) {
    Value v;
    switch (n.kind) {
      case NodeKind::input: v = g_.input(n.name, n.outputs[0]); break;
      case NodeKind::parameter: v = g_.parameter(n.name, n.tensor); break;
      case NodeKind::state: v = g_.state(n.name, n.tensor); break;
      case NodeKind::constant: v = g_.constant(n.tensor, n.name); break;
      default: CUTRAIN_THROW("autocast: node '", n.name, "' has an unknown kind");
    }
    out_.values[{n.id, 0}] = v;
  }

  bool is_leaf(const Value& v) const { return g_.node(v.node).kind != NodeKind::op; }

  // Casts the inputs of node n (already mapped into the new graph) by its rule.
  void place(const Node& n, std::vector<Value>& in) {
    const AutocastRule rule = autocast_rule(n.op);
    const auto each_float = [&](auto&& f) {
      for (Value& v : in)
        if (autocast_float(v.spec().dtype)) f(v);
    };
    const auto has = [&](DType t) {
      return std::any_of(in.begin(), in.end(), [&](const Value& v) { return v.spec().dtype == t; });
    };
    switch (rule) {
      case AutocastRule::low: each_float([&](Value& v) { v = cast_to(v, low_); }); break;
      case AutocastRule::fp32: each_float([&](Value& v) { v = cast_to(v, DType::f32); }); break;
      case AutocastRule::keep: break;
      case AutocastRule::promote:
        if (has(low_) && has(DType::f32)) {
          each_float([&](Value& v) {
            if (v.spec().dtype == DType::f32 && is_leaf(v)) v = cast_to(v, low_);
          });
          if (has(DType::f32)) each_float([&](Value& v) { v = cast_to(v, DType::f32); });
        }
        break;
    }
    if (!has(low_) || ops::has_low_precision_kernel(n.op, device_, low_)) return;
    CUTRAIN_CHECK(rule != AutocastRule::low, "autocast: op '", n.op, "' (node '", n.name, "') has no ",
                  dtype_name(low_), " kernel on ", autocast_device_word(device_), " and must run in ", dtype_name(low_),
                  " under this precision");
    each_float([&](Value& v) { v = cast_to(v, DType::f32); });
    out_.report.fallbacks.push_back("node '" + n.name + "' (op '" + n.op + "'): no " +
                                    std::string(dtype_name(low_)) + " kernel on " + std::string(autocast_device_word(device_)) +
                                    ", runs in f32");
  }

  const Graph& src_;
  DType low_;
  DeviceType device_;
  AutocastResult& out_;
  Graph& g_;
  std::map<std::tuple<int, int, DType>, Value> casts_;
};

}  // namespace

std::string_view precision_name(Precision p) {
  switch (p) {
    case Precision::fp32: return "fp32";
    case Precision::tf32: return "tf32";
    case Precision::bf16: return "bf16";
    case Precision::fp16: return "fp16";
  }
  CUTRAIN_THROW("invalid precision value ", static_cast<int>(p));
}

Precision precision_from_name(std::string_view name) {
  for (Precision p : {Precision::fp32, Precision::tf32, Precision::bf16, Precision::fp16})
    if (precision_name(p) == name) return p;
  CUTRAIN_THROW("unknown precision '", name, "' (expected fp32, tf32, bf16 or fp16)");
}

DType precision_dtype(Precision p) {
  return p == Precision::bf16 ? DType::bf16 : p == Precision::fp16 ? DType::f16 : DType::f32;
}

AutocastRule autocast_rule(const std::string& op) {
  AutocastTable& t = autocast_table();
  std::lock_guard<std::mutex> lock(t.mu);
  auto it = t.rules.find(op);
  return it == t.rules.end() ? AutocastRule::promote : it->second;
}

void set_autocast_rule(const std::string& op, AutocastRule rule) {
  AutocastTable& t = autocast_table();
  std::lock_guard<std::mutex> lock(t.mu);
  t.rules[op] = rule;
}

Value AutocastResult::map(const Value& v) const {
  auto it = values.find({v.node, v.index});
  CUTRAIN_CHECK(it != values.end(), "autocast: value ", v.str(), " is not in the source graph");
  return it->second;
}

AutocastResult autocast(const Graph& g, DType low, DeviceType device, const std::vector<Value>& outputs) {
  CUTRAIN_CHECK(ops::is_16_bit_float(low), "autocast: the low dtype must be f16 or bf16, got ", dtype_name(low));
  AutocastResult r;
  r.report.low = low;
  r.graph = std::make_unique<Graph>(g.seed());
  for (const std::string& s : g.step_scalars()) r.graph->step_scalar(s);
  AutocastCopier copier(g, low, device, r);
  copier.run();
  for (const Value& v : outputs) {
    const Value m = r.map(v);
    if (autocast_float(m.spec().dtype)) r.values[{v.node, v.index}] = copier.cast_to(m, DType::f32);
  }
  return r;
}

void check_low_precision_kernels(const Graph& g, DeviceType device) {
  for (const Node& n : g.nodes()) {
    if (n.kind != NodeKind::op) continue;
    for (const Value& v : n.inputs) {
      const DType t = v.spec().dtype;
      if (!ops::is_16_bit_float(t) || ops::has_low_precision_kernel(n.op, device, t)) continue;
      CUTRAIN_THROW("op '", n.op, "' (node '", n.name, "') has no ", dtype_name(t), " kernel on ",
                    autocast_device_word(device), ": its ", dtype_name(t), " input ", v.str(),
                    " needs one (use --precision fp32, or a device with the kernel)");
    }
  }
}

int allow_tf32(Graph& g) {
  int count = 0;
  for (int i = 0; i < g.size(); ++i) {
    const Node& n = g.node(i);
    if (n.kind != NodeKind::op) continue;
    if (n.op == "conv2d" || n.op == "conv2d_backward_input" || n.op == "conv2d_backward_filter" || n.op == "matmul") {
      g.mutable_node(i).attrs.set("allow_tf32", true);
      ++count;
    }
  }
  return count;
}

}  // namespace cutrain::graph
