// Optimizer update ops on CUDA against the CPU reference: the parameter and
// state tensors after one update; global norm and clipping; typed over float
// and double.
#include "op_compare.h"

using namespace cutrain;
using cutrain::testing::expect_close;

namespace {

// Runs an in-place update on both devices and compares the mutated inputs.
void compare_update(const std::string& op, const std::vector<Tensor>& in, const ops::Attrs& attrs,
                    double rtol) {
  std::vector<Tensor> cpu;
  for (const Tensor& t : in) cpu.push_back(t.clone());  // host inputs
  ops::call(op, cpu, attrs);
  const cutrain::testing::OpRun got = cutrain::testing::run_on_gpu(op, in, attrs);
  for (size_t i = 0; i < in.size(); ++i)
    expect_close(got.inputs[i], cpu[i], 1e-7, rtol, op + " input " + std::to_string(i));
  expect_close(got.outputs[0], Tensor::zeros({}, in[0].dtype()), 0, 0, op + " token");
}

}  // namespace

CUTRAIN_BACKEND_TEST_SUITE(CudaOptimizerOps);

TYPED_TEST(CudaOptimizerOps, UpdatesMatchCpu) {
  const double rtol = this->tol(1e-5, 1e-12);
  for (int64_t n : {1, 8193, 100003}) {
    const Tensor w = this->random({n}, 1), g = this->random({n}, 2),
                 s0 = this->random({n}, 3, 0, 1), s1 = this->random({n}, 4, 0, 1);
    compare_update("sgd_update", {w, g}, {{"lr", 0.1}, {"weight_decay", 1e-2}}, rtol);
    compare_update("sgd_update", {w, g, s0}, {{"lr", 0.1}, {"momentum", 0.9}, {"nesterov", true}},
                   rtol);
    compare_update("rmsprop_update", {w, g, s0, s1},
                   {{"lr", 0.01}, {"decay", 0.9}, {"momentum", 0.9}, {"epsilon", 1.0}}, rtol);
    for (bool decoupled : {false, true})
      compare_update(
          "adam_update", {w, g, s0, s1},
          {{"lr", 1e-2}, {"step", int64_t{5}}, {"weight_decay", 0.05}, {"decoupled", decoupled}},
          rtol);
  }
}

TYPED_TEST(CudaOptimizerOps, EmaUpdateMatchesCpu) {
  const double rtol = this->tol(1e-5, 1e-12);
  for (int64_t n : {1, 8193, 100003}) {
    const Tensor shadow = this->random({n}, 5), value = this->random({n}, 6);
    for (double decay : {0.0, 0.9999, 1.0})
      compare_update("ema_update", {shadow, value}, {{"decay", decay}}, rtol);
  }
}

TYPED_TEST(CudaOptimizerOps, GlobalNormAndClipMatchCpu) {
  std::vector<Tensor> gs;
  for (int64_t n : {1, 33, 8193, 300000}) gs.push_back(this->random({n}, static_cast<uint64_t>(n)));
  cutrain::testing::compare_op("global_norm", gs, {}, 0, this->tol(1e-4, 1e-12));
  std::vector<Tensor> in = gs;
  in.push_back(ops::call("global_norm", gs)[0]);
  cutrain::testing::compare_op("clip_by_global_norm", in, {{"clip_norm", 1.0}}, 0,
                               this->tol(1e-5, 1e-12));
}
