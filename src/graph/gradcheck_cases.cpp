#include "cutrain/graph/gradcheck_cases.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace cutrain::graph {

namespace {

struct Maker {
  uint64_t seed;
  uint64_t n = 0;
  Tensor uniform(const Shape& s, double lo = -1.5, double hi = 1.5) {
    Tensor t = Tensor::empty(s, DType::f64);
    t.uniform(lo, hi, seed * 7919 + ++n);
    return t;
  }
  Tensor positive(const Shape& s) { return uniform(s, 0.5, 2.0); }
  Tensor labels(int64_t n_samples, int64_t classes) {
    Tensor t = Tensor::empty({n_samples}, DType::i64);
    Tensor u = uniform({n_samples}, 0, static_cast<double>(classes));
    for (int64_t i = 0; i < n_samples; ++i) t.set_flat(i, std::min<double>(std::floor(u.flat(i)), classes - 1));
    return t;
  }
  Tensor mask(const Shape& s) {
    Tensor t = Tensor::empty(s, DType::u8);
    Tensor u = uniform(s, 0, 1);
    for (int64_t i = 0; i < t.numel(); ++i) t.set_flat(i, u.flat(i) < 0.7 ? 1 : 0);
    return t;
  }
};

using ops::Attrs;
using V = std::vector<int64_t>;

}  // namespace

std::vector<GradCheckCase> builtin_gradcheck_cases(uint64_t seed) {
  Maker m{seed};
  std::vector<GradCheckCase> c;
  auto add = [&](std::string op, std::string label, std::vector<Tensor> in, Attrs attrs = {},
                 GradCheckOptions o = {}) {
    o.seed = seed;
    // Inputs that are trainable parameters in models, reported separately.
    static const std::map<std::string, std::vector<int>> params = {
        {"conv2d", {1, 2}}, {"batch_norm", {1, 4}}, {"matmul", {1}}, {"spectral_norm", {0}}, {"l2_loss", {0}}};
    if (auto it = params.find(op); it != params.end()) o.param_inputs = it->second;
    c.push_back({std::move(op), std::move(label), std::move(in), std::move(attrs), o});
  };
  const Shape s357{3, 5, 7};
  // Elementwise.
  for (const char* op : {"relu", "sigmoid", "tanh", "square", "exp", "neg"}) add(op, "", {m.uniform(s357)});
  add("leaky_relu", "", {m.uniform(s357)}, {{"alpha", 0.2}});
  add("scale", "", {m.uniform(s357)}, {{"alpha", -1.7}});
  add("add_scalar", "", {m.uniform(s357)}, {{"alpha", 0.3}});
  add("log", "", {m.positive(s357)});
  add("sqrt", "", {m.positive(s357)});
  for (const char* op : {"add", "sub", "mul"}) add(op, "broadcast", {m.uniform({3, 5}), m.uniform({5})});
  add("div", "broadcast", {m.uniform({3, 5}), m.positive({3, 1})});
  add("sum_to", "", {m.uniform({4, 3, 5})}, {{"shape", V{3, 1}}});
  add("add_n", "", {m.uniform({3, 5}), m.uniform({3, 5}), m.uniform({3, 5})});
  // Reductions, softmax, products, shapes.
  add("sum", "axes 0,2", {m.uniform(s357)}, {{"axes", V{0, 2}}, {"keepdims", false}});
  add("mean", "axis 1 keepdims", {m.uniform(s357)}, {{"axes", V{1}}, {"keepdims", true}});
  add("broadcast_to", "", {m.uniform({3, 1})}, {{"shape", V{2, 3, 5}}});
  add("softmax", "", {m.uniform({3, 7})});
  add("log_softmax", "", {m.uniform({3, 7})});
  add("softmax_grad", "", {m.uniform({3, 7}), m.positive({3, 7})});
  add("log_softmax_grad", "", {m.uniform({3, 7}), m.uniform({3, 7}, -3, -0.5)});
  add("matmul", "", {m.uniform({5, 7}), m.uniform({7, 3})});
  add("matmul", "transposed", {m.uniform({7, 5}), m.uniform({3, 7})}, {{"transpose_a", true}, {"transpose_b", true}});
  add("reshape", "", {m.uniform(s357)}, {{"shape", V{5, -1}}});
  add("flatten", "", {m.uniform(s357)});
  add("squeeze", "", {m.uniform({3, 1, 5})}, {{"axes", V{1}}});
  add("expand_dims", "", {m.uniform({3, 5})}, {{"axis", int64_t{1}}});
  add("transpose", "", {m.uniform(s357)}, {{"perm", V{2, 0, 1}}});
  add("concat", "axis 1", {m.uniform({3, 2}), m.uniform({3, 5}), m.uniform({3, 1})}, {{"axis", int64_t{1}}});
  add("split", "axis 0", {m.uniform({6, 5})}, {{"axis", int64_t{0}}, {"sizes", V{1, 2, 3}}});
  add("dropout", "rate 0.3", {m.uniform({4, 9})}, {{"rate", 0.3}});
  add("dropout_grad", "", {m.uniform({4, 9}), m.mask({4, 9})}, {{"rate", 0.3}});
  // Convolutions and pools (NHWC, OHWI).
  add("conv2d", "3x3 SAME bias", {m.uniform({2, 7, 5, 3}), m.uniform({4, 3, 3, 3}), m.uniform({4})},
      {{"strides", V{1, 1}}, {"padding", std::string("SAME")}});
  add("conv2d", "3x3 /2 VALID", {m.uniform({2, 7, 8, 3}), m.uniform({4, 3, 3, 3})},
      {{"strides", V{2, 2}}, {"padding", std::string("VALID")}});
  add("conv2d", "1x7 SAME", {m.uniform({1, 5, 9, 2}), m.uniform({3, 1, 7, 2})},
      {{"strides", V{1, 1}}, {"padding", std::string("SAME")}});
  add("conv2d_backward_input", "", {m.uniform({2, 7, 5, 4}), m.uniform({4, 3, 3, 3})},
      {{"strides", V{1, 1}}, {"padding", std::string("SAME")}, {"input_shape", V{2, 7, 5, 3}}});
  add("conv2d_backward_filter", "", {m.uniform({2, 7, 5, 4}), m.uniform({2, 7, 5, 3})},
      {{"strides", V{1, 1}}, {"padding", std::string("SAME")}, {"filter_shape", V{4, 3, 3, 3}}});
  add("reduce_nhw_sum", "", {m.uniform({2, 3, 5, 4})});
  add("max_pool", "3x3 /2 VALID", {m.uniform({2, 7, 7, 3})},
      {{"window", V{3, 3}}, {"strides", V{2, 2}}, {"padding", std::string("VALID")}});
  add("avg_pool", "3x3 SAME", {m.uniform({2, 5, 6, 3})},
      {{"window", V{3, 3}}, {"strides", V{1, 1}}, {"padding", std::string("SAME")}});
  add("avg_pool", "3x3 SAME include pad", {m.uniform({2, 5, 6, 3})},
      {{"window", V{3, 3}}, {"strides", V{1, 1}}, {"padding", std::string("SAME")}, {"count_include_pad", true}});
  add("global_avg_pool", "", {m.uniform({2, 3, 5, 4})});
  add("inception_concat", "3 branches", {m.uniform({1, 2, 1, 3}), m.uniform({1, 2, 1, 2}), m.uniform({1, 2, 1, 4})});
  add("inception_concat", "affine relu",
      {m.uniform({1, 2, 1, 3}), m.uniform({1, 2, 1, 2}), m.uniform({3}), m.uniform({2}), m.uniform({3}), m.uniform({2})},
      {{"relu", true}, {"affine", true}});
  add("inception_concat", "centred affine relu",
      {m.uniform({2, 2, 1, 3}), m.uniform({2, 2, 1, 2}), m.uniform({3}), m.uniform({2}), m.uniform({3}), m.uniform({2}),
       m.uniform({3}), m.uniform({2})},
      {{"relu", true}, {"affine", true}, {"center", true}});
  add("avg_pool_grad", "", {m.uniform({2, 5, 6, 3})},
      {{"window", V{3, 3}}, {"strides", V{1, 1}}, {"padding", std::string("SAME")}, {"input_shape", V{2, 5, 6, 3}}});
  add("global_avg_pool_grad", "", {m.uniform({2, 4})}, {{"input_shape", V{2, 3, 5, 4}}});
  // Batch norm: training (batch statistics) with and without gamma, and eval.
  add("batch_norm", "train beta only", {m.uniform({4, 3, 5, 3}), m.uniform({3}), m.uniform({3}), m.positive({3})},
      {{"epsilon", 0.001}, {"decay", 0.9}});
  add("batch_norm", "train gamma",
      {m.uniform({4, 3, 5, 3}), m.uniform({3}), m.uniform({3}), m.positive({3}), m.positive({3})},
      {{"epsilon", 0.001}, {"decay", 0.9}, {"has_gamma", true}});
  {
    GradCheckOptions eval;
    eval.training = false;
    add("batch_norm", "eval", {m.uniform({4, 3}), m.uniform({3}), m.uniform({3}), m.positive({3}), m.positive({3})},
        {{"epsilon", 0.001}, {"has_gamma", true}}, eval);
  }
  // Losses and reductions of losses.
  add("softmax_cross_entropy", "int labels, smoothing 0.1", {m.uniform({5, 7}), m.labels(5, 7)},
      {{"label_smoothing", 0.1}});
  add("softmax_cross_entropy", "prob labels", {m.uniform({5, 7}), m.positive({5, 7})});
  add("sigmoid_binary_cross_entropy", "", {m.uniform({4, 6}), m.uniform({4, 6}, 0, 1)});
  add("mean_squared_error", "", {m.uniform({4, 6}), m.uniform({4, 6})});
  add("gaussian_kl", "", {m.uniform({4, 6}), m.uniform({4, 6})});
  add("weighted_loss_reduce", "sum over batch size", {m.uniform({6}), m.positive({6})},
      {{"mode", std::string("sum_over_batch_size")}});
  add("weighted_loss_reduce", "mean weighted", {m.uniform({6}), m.positive({6})},
      {{"mode", std::string("mean_weighted")}});
  add("l2_loss", "", {m.uniform({3, 3, 2, 4})}, {{"weight_decay", 4e-5}});
  // In double a cast to f64 is exact: the rule (dy cast back) is checked without rounding noise.
  add("cast", "f64 to f64", {m.uniform(s357)}, {{"to", std::string("f64")}});
  {
    // The backward rule holds u, v constant: exact in eval mode.
    GradCheckOptions eval;
    eval.training = false;
    Tensor u = m.uniform({4}), v = m.uniform({6});
    add("spectral_norm", "eval", {m.uniform({4, 6}), u, v}, {{"n_power_iterations", int64_t{1}}}, eval);
  }
  return c;
}

}  // namespace cutrain::graph
