// softmax / log_softmax forward and backward kernels against the CPU
// reference ops, rows of edge lengths (1, 31, 32, 33, ... several warps with a
// tail) and row counts around a block's eight rows; every backend.
#include "kernel_test_harness.h"
#include "op_reference.h"
#include "softmax.cuh"

namespace {

using cutrain::Shape;
using cutrain::testing::all_close;
using cutrain::testing::DeviceBuffer;
using cutrain::testing::host_tensor;
using cutrain::testing::reference;
using cutrain::testing::uniform_values;

template <typename T>
void check_softmax(cutrain::testing::KernelBackend& be, bool log, int64_t rows, int64_t cols) {
  SCOPED_TRACE(::testing::Message() << (log ? "log_softmax " : "softmax ") << rows << " x " << cols << " "
                                    << (sizeof(T) == 4 ? "f32" : "f64"));
  const Shape s{rows, cols};
  const std::vector<T> x = uniform_values<T>(rows * cols, static_cast<uint32_t>(rows * 131 + cols), -6, 6);
  const std::vector<T> dy = uniform_values<T>(rows * cols, 2);
  const char* op = log ? "log_softmax" : "softmax";
  const std::vector<T> y_ref = reference<T>(op, {host_tensor(s, x)});
  const std::vector<T> dx_ref =
      reference<T>(log ? "log_softmax_grad" : "softmax_grad", {host_tensor(s, dy), host_tensor(s, y_ref)});
  DeviceBuffer<T> dxin(be, x), dyin(be, dy), y(be, x.size()), dx(be, x.size());
  CUTRAIN_KERNEL_CALL(be, softmax_forward, log, dxin.get(), y.get(), rows, cols, be.stream());
  EXPECT_TRUE(all_close(y.download(), y_ref, 1e-7, cutrain::testing::reduction_rtol<T>()));
  // The backward from the reference y, so it is checked on its own.
  DeviceBuffer<T> yref(be, y_ref);
  CUTRAIN_KERNEL_CALL(be, softmax_backward, log, dyin.get(), yref.get(), dx.get(), rows, cols, be.stream());
  EXPECT_TRUE(all_close(dx.download(), dx_ref, 1e-6, cutrain::testing::reduction_rtol<T>()));
}

CUTRAIN_KERNEL_TEST(SoftmaxKernels) {
  for_each_order([&] {
    for (int64_t cols : {int64_t{1}, int64_t{31}, int64_t{32}, int64_t{33}, int64_t{1001}})
      for (int64_t rows : {int64_t{1}, int64_t{7}, int64_t{9}, int64_t{17}})
        for (bool log : {false, true}) {
          check_softmax<float>(backend(), log, rows, cols);
          check_softmax<double>(backend(), log, rows, cols);
        }
  });
}

}  // namespace
