// Every registered op has a CUDA kernel in a CUDA build, and the training
// steps of the models (small CNN, Inception V3 with its auxiliary head, the
// SN-GAN's D and G steps) contain no op without one. These read the op
// registry only, so they run without a GPU; a CPU-only build skips them.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "cutrain/nn/inception_v3.h"
#include "cutrain/nn/small_cnn.h"
#include "cutrain/ops/op.h"
#include "cutrain/train/gan.h"
#include "cutrain/train/model.h"

namespace cutrain {
namespace {

#define CUTRAIN_REQUIRE_CUDA_BUILD() \
  if (!CUTRAIN_WITH_CUDA) GTEST_SKIP() << "CUDA backend not built (configure with -DCUTRAIN_CUDA=ON)"

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

bool has_cuda_kernel(const std::string& op) {
  return ops::OpRegistry::global().get(op).kernels.count(DeviceType::cuda) > 0;
}

TEST(CudaKernelCoverage, EveryRegisteredOpHasACudaKernel) {
  CUTRAIN_REQUIRE_CUDA_BUILD();
  std::vector<std::string> missing;
  const std::vector<std::string> names = ops::OpRegistry::global().names();
  ASSERT_GT(names.size(), 50u);
  for (const std::string& op : names)
    if (!has_cuda_kernel(op)) missing.push_back(op);
  EXPECT_TRUE(missing.empty()) << "ops without a CUDA kernel: " << joined(missing);
}

// Every optimizer, with weight decay, clipping, the parameter EMA, loss
// scaling and gradient accumulation: every op a training step can contain.
train::CompileOptions full_options(train::OptimizerKind kind) {
  train::CompileOptions co;
  co.optimizer = train::optimizer_by_name(train::optimizer_name(kind), train::constant_schedule(0.01));
  co.optimizer.momentum = 0.9;
  co.weight_decay = 4e-5;
  co.clip_global_norm = 5.0;
  co.ema_decay = 0.999;
  co.clip_value = 1.0;
  co.loss_scale.mode = train::LossScaleMode::dynamic;
  co.accumulate_steps = 2;
  co.metrics = {"accuracy", "top5"};
  return co;
}

constexpr train::OptimizerKind kKinds[] = {train::OptimizerKind::sgd, train::OptimizerKind::rmsprop,
                                           train::OptimizerKind::adam, train::OptimizerKind::adamw};

TEST(CudaKernelCoverage, SmallCnnStep) {
  CUTRAIN_REQUIRE_CUDA_BUILD();
  for (train::OptimizerKind kind : kKinds) {
    train::NetworkSpec spec;
    spec.batch_size = 4;
    spec.height = spec.width = 12;
    spec.channels = 1;
    train::Model m(nn::small_cnn_builder({{4, 8}}), spec);
    m.compile(full_options(kind));
    EXPECT_EQ(joined(m.ops_without_kernel(DeviceType::cuda)), "") << train::optimizer_name(kind);
  }
}

TEST(CudaKernelCoverage, InceptionV3StepWithAuxHead) {
  CUTRAIN_REQUIRE_CUDA_BUILD();
  train::GraphNetworkBuilder b = [](const train::NetworkSpec& s) {
    nn::InceptionV3Options o;
    o.num_classes = s.num_classes;
    o.image_size = s.height;
    o.channels = s.channels;
    o.batch_size = s.batch_size;
    o.depth_multiplier = 0.1;
    o.create_aux_logits = true;
    o.initialize = false;  // shapes only
    o.dtype = s.dtype;
    nn::Model m = nn::inception_v3(o);
    train::OwnedNetwork out;
    out.network.input = m.input;
    out.network.outputs = {m.logits, m.aux_logits};
    out.network.trainable = m.params;
    out.network.regularized = m.weight_decay_params;
    out.network.states = m.states;
    out.graph = std::move(m.graph);
    return out;
  };
  train::NetworkSpec spec;
  spec.batch_size = 2;
  spec.height = spec.width = static_cast<int>(nn::inception_v3_min_image_size(true));
  spec.channels = 3;
  spec.num_classes = 10;
  train::Model m(b, spec);
  train::CompileOptions co = full_options(train::OptimizerKind::rmsprop);
  co.losses = {train::LossSpec{"sparse_categorical_crossentropy", 1.0, 0.1},
               train::LossSpec{"sparse_categorical_crossentropy", 0.4, 0.1}};
  m.compile(co);
  EXPECT_EQ(joined(m.ops_without_kernel(DeviceType::cuda)), "");
}

TEST(CudaKernelCoverage, SnGanSteps) {
  CUTRAIN_REQUIRE_CUDA_BUILD();
  nn::SnGanConfig c;
  c.z_dim = 8;
  c.g_widths = {8, 6, 4};
  c.d_widths = {4, 6, 8};
  const train::GanGraph gan = train::build_gan_graph(c, 2, DType::f32, 1);
  std::set<std::string> missing;
  for (const graph::Node& n : gan.model.graph->nodes())
    if (n.kind == graph::NodeKind::op && !has_cuda_kernel(n.op)) missing.insert(n.op);
  EXPECT_EQ(joined({missing.begin(), missing.end()}), "");
}

}  // namespace
}  // namespace cutrain
