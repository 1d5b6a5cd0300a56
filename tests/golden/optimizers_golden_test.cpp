// Optimizer updates over three steps with fixed gradients, two parameters.
// SGD (plain, momentum with weight decay, Nesterov), Adam (plain, L2) and
// AdamW are compared with torch.optim directly, slots included. RMSProp
// follows TensorFlow (epsilon inside the root, caller-chosen ms start), which
// torch.optim.RMSprop does not (sqrt(v) + eps, v from 0): its reference is
// TF's ApplyRMSProp written out in torch ops by the script.
#include <gtest/gtest.h>

#include <map>

#include "cutrain/ops/op.h"
#include "cutrain/ops/optimizers.h"
#include "golden/golden_util.h"

using namespace cutrain;

namespace {

constexpr int kParams = 2;  // OPT_SHAPES in the script

// Runs the case's optimizer for its steps with the stored gradients and
// compares the parameters after each step and the slots `slot_names` (their
// keys in the fixture) after each step.
void check_optimizer(const std::string& name) {
  GOLDEN_CASE(c, name);
  const std::string opt = c.attr("opt");
  for (DType dt : {DType::f64, DType::f32}) {
    std::vector<Tensor> p, s1, s2;
    std::vector<std::string> slots;
    for (int i = 0; i < kParams; ++i) {
      p.push_back(c.get("p" + std::to_string(i) + "_0", dt));
      const Shape& sh = p.back().shape();
      if (opt == "rmsprop") {
        s1.push_back(Tensor::full(sh, dt, c.f("ms_init")));
        s2.push_back(Tensor::zeros(sh, dt));
        slots = {"ms", "mom"};
      } else if (opt == "adam") {
        s1.push_back(Tensor::zeros(sh, dt));
        s2.push_back(Tensor::zeros(sh, dt));
        slots = {"m", "v"};
      } else if (c.f("momentum") != 0) {
        s1.push_back(Tensor::zeros(sh, dt));
        slots = {"buf"};
      }
    }
    const double tol = golden::tolerance(dt);
    for (int k = 1; c.has("g0_" + std::to_string(k)); ++k) {
      for (int i = 0; i < kParams; ++i) {
        const Tensor grad = c.get("g" + std::to_string(i) + "_" + std::to_string(k), dt);
        std::vector<Tensor> in{p[i], grad};
        ops::Attrs attrs;
        std::string op;
        if (opt == "sgd") {
          op = "sgd_update";
          attrs = ops::sgd_attrs({c.f("lr"), c.f("momentum"), c.i("nesterov") != 0, c.f("weight_decay")});
          if (!s1.empty()) in.push_back(s1[i]);
        } else if (opt == "adam") {
          op = "adam_update";
          attrs = ops::adam_attrs({c.f("lr"), c.f("beta1"), c.f("beta2"), c.f("epsilon"), k, c.f("weight_decay"),
                                   c.i("decoupled") != 0});
          in.insert(in.end(), {s1[i], s2[i]});
        } else {
          op = "rmsprop_update";
          attrs = ops::rmsprop_attrs({c.f("lr"), c.f("decay"), c.f("momentum"), c.f("epsilon")});
          in.insert(in.end(), {s1[i], s2[i]});
        }
        const auto token = ops::call(op, in, attrs);
        ASSERT_EQ(token.size(), 1u);
        const std::string suffix = std::to_string(i) + "_" + std::to_string(k);
        golden::expect_close(c, "p" + suffix, dt, p[i], "p" + suffix, tol);
        const std::vector<Tensor*> state{s1.empty() ? nullptr : &s1[i], s2.empty() ? nullptr : &s2[i]};
        for (size_t j = 0; j < slots.size(); ++j)
          golden::expect_close(c, slots[j] + suffix, dt, *state[j], slots[j] + suffix, tol);
      }
    }
  }
}

}  // namespace

TEST(GoldenOptimizers, Sgd) { check_optimizer("sgd_plain"); }
TEST(GoldenOptimizers, SgdMomentumWeightDecay) { check_optimizer("sgd_momentum"); }
TEST(GoldenOptimizers, SgdNesterov) { check_optimizer("sgd_nesterov"); }
TEST(GoldenOptimizers, Adam) { check_optimizer("adam"); }
TEST(GoldenOptimizers, AdamL2) { check_optimizer("adam_l2"); }
TEST(GoldenOptimizers, AdamW) { check_optimizer("adamw"); }
// TF1 RMSPropOptimizer as in slim's Inception recipe: ms starts at 1, eps 1.
TEST(GoldenOptimizers, RmsPropTf1Slim) { check_optimizer("rmsprop_tf1_slim"); }
TEST(GoldenOptimizers, RmsPropKeras) { check_optimizer("rmsprop_keras"); }
