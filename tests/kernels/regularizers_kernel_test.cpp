// L2 weight-decay kernels against the CPU reference ops: the two-pass sum of
// squares at sizes around the block and pass boundaries (one partial, several,
// the block cap), the same bits on a second run, and the gradient; every
// backend.
#include "kernel_test_harness.h"
#include "op_reference.h"
#include "regularizers.cuh"

namespace {

using cutrain::Shape;
using cutrain::testing::all_close;
using cutrain::testing::DeviceBuffer;
using cutrain::testing::edge_sizes;
using cutrain::testing::host_tensor;
using cutrain::testing::reference;
using cutrain::testing::uniform_values;
namespace k = cutrain::kernels;

constexpr int64_t kPerBlock = int64_t{k::kL2Block} * 8;

template <typename T>
void check_l2(cutrain::testing::KernelBackend& be, int64_t n, double wd) {
  SCOPED_TRACE(::testing::Message() << "l2_loss n " << n << " wd " << wd << (sizeof(T) == 4 ? " f32" : " f64"));
  const std::vector<T> w = uniform_values<T>(n, static_cast<uint32_t>(n % 1000 + 1));
  const std::vector<T> dy{static_cast<T>(0.75)};
  const cutrain::ops::Attrs attrs{{"weight_decay", wd}};
  const std::vector<T> loss_ref = reference<T>("l2_loss", {host_tensor(Shape{n}, w)}, attrs);
  const std::vector<T> grad_ref =
      reference<T>("l2_loss_grad", {host_tensor(Shape{}, dy), host_tensor(Shape{n}, w)}, attrs);
  DeviceBuffer<T> dw(be, w), ddy(be, dy), loss(be, 1), loss2(be, 1), grad(be, w.size());
  DeviceBuffer<double> ws(be, static_cast<std::size_t>(k::l2_loss_blocks(n)));
  CUTRAIN_KERNEL_CALL(be, l2_loss, wd, dw.get(), n, ws.get(), loss.get(), be.stream());
  CUTRAIN_KERNEL_CALL(be, l2_loss, wd, dw.get(), n, ws.get(), loss2.get(), be.stream());
  CUTRAIN_KERNEL_CALL(be, l2_loss_grad, wd, ddy.get(), dw.get(), n, grad.get(), be.stream());
  EXPECT_TRUE(all_close(loss.download(), loss_ref, 0, cutrain::testing::reduction_rtol<T>()));
  EXPECT_EQ(loss.download(), loss2.download());  // deterministic
  EXPECT_TRUE(all_close(grad.download(), grad_ref, 0, cutrain::testing::elementwise_rtol<T>()));
}

TEST(L2LossBlocks, CoverTheInputUpToTheCap) {
  EXPECT_EQ(k::l2_loss_blocks(0), 1);
  EXPECT_EQ(k::l2_loss_blocks(1), 1);
  EXPECT_EQ(k::l2_loss_blocks(kPerBlock), 1);
  EXPECT_EQ(k::l2_loss_blocks(kPerBlock + 1), 2);
  EXPECT_EQ(k::l2_loss_blocks(k::kL2MaxBlocks * kPerBlock), k::kL2MaxBlocks);
  EXPECT_EQ(k::l2_loss_blocks(k::kL2MaxBlocks * kPerBlock + 1), k::kL2MaxBlocks);
}

CUTRAIN_KERNEL_TEST(L2LossKernels) {
  std::vector<int64_t> sizes = edge_sizes(k::kL2Block);
  for (int64_t n : {kPerBlock, kPerBlock + 1, 3 * kPerBlock + 17}) sizes.push_back(n);
  for_each_order([&] {
    for (int64_t n : sizes) {
      check_l2<float>(backend(), n, 4e-5);
      check_l2<double>(backend(), n, 1.0);
    }
  });
}

// More elements than the capped grid covers in one sweep: the grid-stride
// loop and the last pass over kL2MaxBlocks partials.
CUTRAIN_KERNEL_TEST(L2LossKernelCappedGrid) {
  const int64_t n = k::kL2MaxBlocks * kPerBlock + 3 * k::kL2Block + 5;
  check_l2<float>(backend(), n, 0.5);
  check_l2<double>(backend(), n, 0.5);
}

}  // namespace
