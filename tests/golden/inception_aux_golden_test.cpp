// Inception V3's auxiliary head against torchvision's InceptionAux, at
// 299x299 (torchvision's aux head needs a 17x17 Mixed_6e), batch 2:
// nn::inception_v3 with torchvision's options and the weights converted by
// tools/convert_torchvision_inception.py including AuxLogits (conv0 ->
// Conv2d_1b_1x1, conv1 -> Conv2d_2a_5x5, both conv + batch norm; fc ->
// Conv2d_2b_1x1 as a 1x1 conv with biases). The heads are the same function:
// a 5x5 stride-3 VALID average pool, the 1x1 and 5x5 VALID convs with batch
// norm and ReLU, then the classifier (torchvision's adaptive average pool is
// over a 1x1 map here, the identity). One training step: the logits, the aux
// logits (batch statistics, dropout off) and the gradients of
// sum(logits * r) + sum(aux * r2) w.r.t. every batch-norm parameter, the first
// conv, the last Mixed_6e conv (where the heads' gradients meet) and every
// aux and main classifier weight. The eval forward and the moving statistics
// are the 107x107 test's (inception_golden_test.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/reduce.h"
#include "cutrain/nn/inception_v3.h"
#include "golden/golden_util.h"

using namespace cutrain;
using graph::Value;

namespace {

void check_training_step_with_aux(const golden::Case& c, DType dt) {
  const Tensor input = c.get("train/input", dt);
  nn::Model model = nn::inception_v3(golden::torchvision_inception_options(c, input, true, dt));
  ASSERT_TRUE(model.aux_logits.defined());
  graph::Graph& g = *model.graph;

  size_t converted = 0;
  for (const auto& [name, t] : c.tensors) converted += name.rfind(c.attr("prefix"), 0) == 0 ? 1 : 0;
  std::vector<Value> leaves = model.params;
  leaves.insert(leaves.end(), model.states.begin(), model.states.end());
  EXPECT_EQ(leaves.size(), converted);  // every converted tensor, AuxLogits included, is used
  for (const Value& v : leaves) {
    ASSERT_TRUE(c.has(v.name())) << "no converted tensor for " << v.name();
    const Tensor t = c.get(v.name(), dt);
    ASSERT_EQ(t.shape(), v.shape()) << v.name();
    g.mutable_node(v.node).tensor = t;
  }
  const std::string p = c.attr("prefix");
  for (const char* name : {"Conv2d_1a_3x3/weights", "AuxLogits/Conv2d_1b_1x1/weights",
                           "AuxLogits/Conv2d_2a_5x5/weights", "AuxLogits/Conv2d_2b_1x1/weights"})
    ASSERT_TRUE(c.has("grad/" + p + name)) << name;

  const Value loss = graph::add(graph::sum(graph::mul(model.logits, g.constant(c.get("train/r", dt)))),
                              graph::sum(graph::mul(model.aux_logits, g.constant(c.get("train/r2", dt)))));
  const std::vector<Value> grads = graph::gradients(g, loss, model.params);
  std::vector<Value> fetches{model.logits, model.aux_logits};
  std::vector<std::string> grad_names;
  for (size_t i = 0; i < model.params.size(); ++i)
    if (c.has("grad/" + model.params[i].name())) {
      fetches.push_back(grads[i]);
      grad_names.push_back(model.params[i].name());
    }
  // A gamma/beta pair per moving mean/variance pair, plus the chosen convs.
  EXPECT_EQ(grad_names.size(), model.states.size() + static_cast<size_t>(c.i("checked_convs")));
  graph::Executor exec(g, Device::cpu());
  const auto out = exec.run({{model.input, input}}, fetches, graph::kTraining);  // training mode: batch statistics

  // Float64: every tensor within kTolF64. Float32: relative to PyTorch's own
  // float32 error on the same step, measured by the script (its float32 aux
  // logits are off by ~1e-4 and its first-conv gradient by ~1e-2: the aux
  // head's second batch norm normalizes 2 values per channel and the deep
  // gradients pass ~95 training-mode batch norms). Each tensor of the aux
  // head, the logits and the named convs within max(1e-4, 16x PyTorch's
  // error); the main path's batch-norm gradients (the 107x107 test's per-
  // tensor float32 check, and within kTolF64 in float64 here) only through
  // the geometric mean of our error over PyTorch's over all tensors, at most
  // 2: one float32 sample of an error that is mostly cancellation is a noisy
  // per-tensor yardstick (PyTorch's own spans 6e-3 to 9e-2 over Mixed_7b's
  // betas) and over 190 such tensors one landed at 19x.
  const double tol = golden::tolerance(dt, /*conv=*/true);
  struct Worst {
    double err = -1, torch_err = 0;
    std::string name;
  };
  std::map<std::string, Worst> worst;  // batch-norm gradients, per kind
  double log_ratio_sum = 0;
  int ratios = 0;
  auto check = [&](const std::string& name, const Tensor& actual, const std::string& ref) {
    ASSERT_EQ(actual.shape(), c.get(ref).shape()) << name;
    const double err = golden::max_rel_error(actual, c.get(ref));
    const double torch_err = c.get("torch_f32_err/" + ref).item();
    const size_t bn = name.find("/BatchNorm/");
    const bool aux = name.find("/AuxLogits/") != std::string::npos;
    const double bound = dt == DType::f64 ? tol : std::max(tol, 16 * torch_err);
    log_ratio_sum += std::log(std::max(err, 1e-12) / std::max(torch_err, 1e-12));
    ++ratios;
    if (dt == DType::f64 || bn == std::string::npos || aux) {
      EXPECT_LE(err, bound) << name << " " << golden::dtype_label(dt) << " (PyTorch's float32 error "
                            << torch_err << ")";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3e (PyTorch f32: %.3e)", err, torch_err);
    if (bn == std::string::npos) {
      std::cout << "[ golden   ] " << c.name << " " << name << " " << golden::dtype_label(dt) << ": max rel err "
                << buf << " (bound " << bound << ")" << std::endl;
      ::testing::Test::RecordProperty(c.name + "." + name + "." + golden::dtype_label(dt), buf);
      return;
    }
    const std::string kind = "grad_" + name.substr(bn + 11) + (aux ? " (AuxLogits)" : "");
    Worst& w = worst[kind];
    if (err > w.err) w = {err, torch_err, name};
  };
  check("logits", out[0], "train/logits");
  check("aux_logits", out[1], "train/aux_logits");
  for (size_t i = 0; i < grad_names.size(); ++i)
    check("grad/" + grad_names[i], out[i + 2], "grad/" + grad_names[i]);
  for (const auto& [kind, w] : worst) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3e (PyTorch f32: %.3e)", w.err, w.torch_err);
    std::cout << "[ golden   ] " << c.name << " " << kind << " " << golden::dtype_label(dt) << ": max rel err "
              << buf << " worst " << w.name << std::endl;
    ::testing::Test::RecordProperty(c.name + "." + kind + "." + golden::dtype_label(dt), buf);
  }
  const double geo_ratio = std::exp(log_ratio_sum / ratios);
  std::cout << "[ golden   ] " << c.name << " " << golden::dtype_label(dt)
            << ": geometric mean of (our error / PyTorch float32 error) over " << ratios << " tensors " << geo_ratio
            << std::endl;
  ::testing::Test::RecordProperty(c.name + ".error_ratio_geomean." + golden::dtype_label(dt),
                                  std::to_string(geo_ratio));
  if (dt == DType::f32) {
    EXPECT_LE(geo_ratio, 2.0);
  }
}

}  // namespace

TEST(GoldenInceptionV3, AuxHeadAt299FromConvertedTorchvisionWeights) {
  GOLDEN_CASE(c, "inception_v3_aux");
  for (DType dt : {DType::f64, DType::f32}) check_training_step_with_aux(c, dt);
}
