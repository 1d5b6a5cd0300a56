// softmax / log_softmax forward and backward in f16 and bf16 against the CPU
// ops run in fp32 on the rounded inputs, outputs rounded once: within 1 ulp of
// the output type, or the fp32 test's absolute term plus 1 ulp where outputs
// cancel towards zero (lowp_test_util.h). Row lengths around a warp, row
// counts around a block's eight rows, every thread order.
#include "kernel_test_harness.h"
#include "lowp_test_util.h"
#include "op_reference.h"
#include "softmax.cuh"

namespace {

using cutrain::Shape;
using namespace cutrain::testing;

template <typename H>
void check_softmax_lowp(KernelBackend& be, bool log, int64_t rows, int64_t cols) {
  SCOPED_TRACE(::testing::Message() << (log ? "log_softmax " : "softmax ") << rows << " x " << cols << " "
                                    << lowp_name<H>());
  const Shape s{rows, cols};
  const std::vector<H> x = lowp_round<H>(uniform_values(rows * cols, static_cast<uint32_t>(rows * 131 + cols), -6, 6));
  const std::vector<H> dy = lowp_round<H>(uniform_values(rows * cols, 2));
  const char* op = log ? "log_softmax" : "softmax";
  const std::vector<H> y_ref = lowp_round<H>(reference<float>(op, {host_tensor(s, lowp_widen(x))}));
  const std::vector<H> dx_ref = lowp_round<H>(reference<float>(
      log ? "log_softmax_grad" : "softmax_grad", {host_tensor(s, lowp_widen(dy)), host_tensor(s, lowp_widen(y_ref))}));
  DeviceBuffer<H> dxin(be, x), dyin(be, dy), y(be, x.size()), dx(be, x.size());
  CUTRAIN_KERNEL_CALL(be, softmax_forward, log, dxin.get(), y.get(), rows, cols, be.stream());
  EXPECT_TRUE(lowp_within_ulps(y.download(), y_ref, 1, 1e-7));
  DeviceBuffer<H> yref(be, y_ref);  // the backward from the reference's stored y, checked on its own
  CUTRAIN_KERNEL_CALL(be, softmax_backward, log, dyin.get(), yref.get(), dx.get(), rows, cols, be.stream());
  EXPECT_TRUE(lowp_within_ulps(dx.download(), dx_ref, 1, 1e-6));
}

CUTRAIN_KERNEL_TEST(SoftmaxLowpKernels) {
  for_each_order([&] {
    for (int64_t cols : {int64_t{1}, int64_t{31}, int64_t{32}, int64_t{33}, int64_t{1001}})
      for (int64_t rows : {int64_t{1}, int64_t{7}, int64_t{9}, int64_t{17}})
        for (bool log : {false, true}) {
          check_softmax_lowp<cutrain::Half>(backend(), log, rows, cols);
          check_softmax_lowp<cutrain::BFloat16>(backend(), log, rows, cols);
        }
  });
}

}  // namespace
