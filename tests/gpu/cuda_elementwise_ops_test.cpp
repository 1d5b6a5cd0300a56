// Elementwise ops on CUDA against the CPU reference (ops::call on both),
// typed over float and double.
#include "op_compare.h"

using namespace cutrain;
using cutrain::testing::compare_op;

CUTRAIN_BACKEND_TEST_SUITE(CudaElementwiseOps);

TYPED_TEST(CudaElementwiseOps, UnaryAndGradsMatchCpu) {
  const double rtol = this->tol(1e-5, 1e-12);
  for (int64_t n : {1, 33, 100003}) {
    const Tensor x = this->random({n}, 1, -3, 3), pos = this->random({n}, 2, 0.01, 3),
                 dy = this->random({n}, 3);
    for (const char* op : {"relu", "sigmoid", "tanh", "square", "exp", "neg"})
      compare_op(op, {x}, {}, 0, rtol);
    for (const char* op : {"log", "sqrt"}) compare_op(op, {pos}, {}, 0, rtol);
    compare_op("leaky_relu", {x}, {{"alpha", 0.2}}, 0, rtol);
    compare_op("scale", {x}, {{"alpha", -1.5}}, 0, rtol);
    compare_op("add_scalar", {x}, {{"alpha", 0.25}}, 0, rtol);
    for (const char* op : {"relu_grad", "sigmoid_grad", "tanh_grad"})
      compare_op(op, {dy, x}, {}, 0, rtol);
    compare_op("leaky_relu_grad", {dy, x}, {{"alpha", 0.2}}, 0, rtol);
  }
}

TYPED_TEST(CudaElementwiseOps, BroadcastBinarySumToAddNMatchCpu) {
  const double rtol = this->tol(1e-5, 1e-12), sum_rtol = this->tol(1e-4, 1e-12);
  const std::vector<std::pair<Shape, Shape>> shapes{{{1000}, {1000}},
                                                    {{8, 35, 35, 288}, {288}},
                                                    {{5, 1, 7}, {1, 6, 1}},
                                                    {{}, {3, 3}},
                                                    {{32, 1}, {32, 10}}};
  for (const auto& [sa, sb] : shapes) {
    const Tensor a = this->random(sa, 4), b = this->random(sb, 5, 0.5, 2);
    for (const char* op : {"add", "sub", "mul", "div"}) compare_op(op, {a, b}, {}, 0, rtol);
  }
  const Tensor big = this->random({8, 17, 17, 33}, 6);
  compare_op("sum_to", {big}, {{"shape", std::vector<int64_t>{33}}}, 1e-6, sum_rtol);
  compare_op("sum_to", {big}, {{"shape", std::vector<int64_t>{17, 1, 1}}}, 1e-6, sum_rtol);
  std::vector<Tensor> xs;
  for (int i = 0; i < 11; ++i) xs.push_back(this->random({4099}, 10 + static_cast<uint64_t>(i)));
  compare_op("add_n", xs, {}, 1e-6, rtol);
}
