// The planned executor (memory plan, several streams with jittered CPU
// thread orders) computes the same Inception V3 training step as the
// reference executor: bitwise in double, within 1e-6 relative in float; and
// its planned activation memory is at most 60 % of the naive plan. The same
// holds with the fusion pass (graph/fusion.h) rewriting the planned step's
// graph, compared with the unfused graph built from the same seed. The full
// topology at a size CI can afford (75x75, depth multiplier 0.25).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/fusion.h"
#include "cutrain/graph/ops/losses.h"
#include "cutrain/graph/planned_executor.h"
#include "cutrain/nn/inception_v3.h"

using namespace cutrain;
using graph::Value;

namespace {

struct Step {
  nn::Model model;
  Value labels;
  std::vector<Value> fetches;  // loss, then every parameter's gradient
};

Step build(DType dtype) {
  nn::InceptionV3Options o;
  o.num_classes = 10;
  o.image_size = 75;
  o.batch_size = 2;
  o.depth_multiplier = 0.25;
  o.create_aux_logits = false;
  o.dtype = dtype;
  o.seed = 5;
  Step s{nn::inception_v3(o), {}, {}};
  graph::Graph& g = *s.model.graph;
  s.labels = g.input("labels", {Shape{2}, DType::i32});
  const Value loss = graph::weighted_loss_reduce(graph::softmax_cross_entropy(s.model.logits, s.labels, 0.1));
  s.fetches = graph::gradients(g, loss, s.model.params);
  s.fetches.insert(s.fetches.begin(), loss);
  return s;
}

void compare(DType dtype, bool fuse) {
  Step ref = build(dtype);
  Tensor images = Tensor::empty({2, 75, 75, 3}, dtype);
  images.uniform(-1, 1, 9);
  const Tensor labels = Tensor::from_vector({2}, {3, 7}, DType::i32);
  graph::Executor reference(*ref.model.graph, Device::cpu());
  const auto want = reference.run({{ref.model.input, images}, {ref.labels, labels}}, ref.fetches, graph::kTraining);

  Step s = build(dtype);
  if (fuse) {
    const graph::FusionReport f = graph::fuse_inception_concats(*s.model.graph);
    // Mixed_5b-5d and 6b-6e (4 branches each), and the inner 1x3/3x1 pairs
    // of 7b and 7c; 6a and 7a have a max-pool branch, 7b/7c's outer concat
    // reads the inner concats.
    EXPECT_EQ(f.concats, 11) << f.str();
    EXPECT_EQ(f.branches, 36) << f.str();
    EXPECT_EQ(f.backward, 11) << f.str();
  }
  const std::vector<std::pair<Value, Tensor>> feeds = {{s.model.input, images}, {s.labels, labels}};
  for (uint64_t jitter : {0u, 17u}) {
    graph::PlannedExecutorOptions po;
    po.cpu_jitter_seed = jitter;
    graph::PlannedExecutor planned(*s.model.graph, Device::cpu(), po);
    const auto got = planned.run(feeds, s.fetches, graph::kTraining);
    const graph::PlanReport& r = planned.plan(s.fetches).report;
    EXPECT_GE(r.streams_used, 2);
    EXPECT_LE(static_cast<double>(r.planned_bytes), 0.6 * static_cast<double>(r.naive_bytes)) << r.str();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got[i].shape(), want[i].shape());
      if (dtype == DType::f64) {
        ASSERT_EQ(std::memcmp(got[i].raw_data(), want[i].raw_data(), want[i].nbytes()), 0)
            << "fetch " << i << " differs (jitter " << jitter << ")";
      } else {
        double num = 0, den = 0;
        for (int64_t e = 0; e < want[i].numel(); ++e) {
          num = std::max(num, std::fabs(got[i].flat(e) - want[i].flat(e)));
          den = std::max(den, std::fabs(want[i].flat(e)));
        }
        EXPECT_LE(num, 1e-6 * den) << "fetch " << i;
      }
    }
  }
}

}  // namespace

TEST(InceptionStepPlan, PlannedEqualsReferenceBitwiseInDouble) { compare(DType::f64, false); }
TEST(InceptionStepPlan, PlannedEqualsReferenceInFloat) { compare(DType::f32, false); }
TEST(InceptionStepPlan, FusedPlannedEqualsReferenceBitwiseInDouble) { compare(DType::f64, true); }
TEST(InceptionStepPlan, FusedPlannedEqualsReferenceInFloat) { compare(DType::f32, true); }
