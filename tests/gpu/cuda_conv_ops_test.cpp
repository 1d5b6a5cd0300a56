// conv2d, conv2d_backward_input, conv2d_backward_filter and reduce_nhw_sum on
// CUDA (cuDNN + kernels/bias.cu) against the CPU reference through ops::call:
// symmetric and asymmetric (TF SAME, stride 2, even input) padding, explicit
// pads, dilation, bias; typed over float and double.
#include "cutrain/ops/op.h"
#include "op_compare.h"

using namespace cutrain;
using namespace cutrain::testing;

namespace {

struct Conv {
  Shape x, w;
  int64_t stride;
  std::string padding;
  std::vector<int64_t> pads;
  int64_t dilation = 1;
  ops::Attrs attrs() const {
    ops::Attrs a{{"strides", std::vector<int64_t>{stride, stride}},
                 {"padding", padding},
                 {"dilations", std::vector<int64_t>{dilation, dilation}}};
    if (!pads.empty()) a.set("pads", pads);
    return a;
  }
};

}  // namespace

CUTRAIN_BACKEND_TEST_SUITE(CudaConvOps);

TYPED_TEST(CudaConvOps, ForwardAndBackwardMatchCpu) {
  const std::vector<Conv> convs = {
      {{4, 35, 35, 64}, {96, 3, 3, 64}, 1, "SAME", {}},  // symmetric
      {{4, 17, 17, 33}, {31, 1, 7, 33}, 1, "SAME", {}},  // 1x7
      {{2, 16, 16, 8}, {16, 3, 3, 8}, 2, "SAME", {}},    // asymmetric: pad 0 / 1
      {{2, 35, 35, 16}, {8, 3, 3, 16}, 2, "VALID", {}},
      {{2, 9, 10, 5}, {7, 3, 3, 5}, 1, "EXPLICIT", {2, 0, 1, 1}},
      {{2, 12, 12, 4}, {6, 3, 3, 4}, 1, "SAME", {}, 2},  // dilated
  };
  const double atol = this->tol(1e-4, 1e-10), rtol = this->tol(1e-4, 1e-10);
  for (const Conv& c : convs) {
    SCOPED_TRACE(c.x.str() + " * " + c.w.str() + " " + c.padding);
    const Tensor x = this->random(c.x, 1), w = this->random(c.w, 2);
    const Tensor b = this->random({c.w[0]}, 3);
    expect_op_matches_cpu("conv2d", {x, w}, c.attrs(), atol, rtol);
    expect_op_matches_cpu("conv2d", {x, w, b}, c.attrs(), atol, rtol);
    const Tensor y = ops::call("conv2d", {x, w}, c.attrs())[0];
    const Tensor dy = this->random(y.shape(), 4);
    ops::Attrs bi = c.attrs();
    bi.set("input_shape", c.x.dims());
    expect_op_matches_cpu("conv2d_backward_input", {dy, w}, bi, atol, rtol);
    ops::Attrs bf = c.attrs();
    bf.set("filter_shape", c.w.dims());
    // Sums over N*OH*OW terms of size ~1: absolute slack, one rounding per term, for values near
    // zero.
    const double terms = static_cast<double>(y.numel() / c.w[0]);
    const double atol_sum = this->tol(1e-6, 1e-14) * terms;
    expect_op_matches_cpu("conv2d_backward_filter", {dy, x}, bf, atol_sum, rtol);
    expect_op_matches_cpu("reduce_nhw_sum", {dy}, {}, atol_sum, rtol);
  }
}
