// Gradient-accumulation kernels (kernels/optimizers.cuh) against the CPU
// reference ops: accumulate_gradient (acc += g), then take_accumulated
// ((acc + g) * scale, acc zeroed), over sizes around a chunk's edges and a
// list of several tensors in one launch; every backend and thread order.
#include <memory>

#include "kernel_test_harness.h"
#include "op_reference.h"
#include "optimizers.cuh"

namespace {

using cutrain::Shape;
using cutrain::Tensor;
using cutrain::testing::DeviceBuffer;
using cutrain::testing::host_tensor;
using cutrain::testing::host_values;
using cutrain::testing::uniform_values;
namespace k = cutrain::kernels;

template <typename T>
void check_accumulation(cutrain::testing::KernelBackend& be) {
  SCOPED_TRACE(sizeof(T) == 4 ? "f32" : "f64");
  const std::vector<int64_t> sizes{1, 33, k::kOptimizerChunk + 1, 2 * k::kOptimizerChunk + 17};
  std::vector<std::unique_ptr<DeviceBuffer<T>>> acc, g1, g2, out;
  std::vector<k::ParamSlots<T>> add, take;
  std::vector<Tensor> cacc, cg1, cg2;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const auto a = uniform_values<T>(sizes[i], static_cast<uint32_t>(90 + i));
    const auto x = uniform_values<T>(sizes[i], static_cast<uint32_t>(190 + i));
    const auto y = uniform_values<T>(sizes[i], static_cast<uint32_t>(290 + i));
    acc.push_back(std::make_unique<DeviceBuffer<T>>(be, a));
    g1.push_back(std::make_unique<DeviceBuffer<T>>(be, x));
    g2.push_back(std::make_unique<DeviceBuffer<T>>(be, y));
    out.push_back(std::make_unique<DeviceBuffer<T>>(be, a.size()));
    add.push_back({acc.back()->get(), g1.back()->get(), nullptr, nullptr, sizes[i]});
    take.push_back({out.back()->get(), g2.back()->get(), acc.back()->get(), nullptr, sizes[i]});
    cacc.push_back(host_tensor(Shape{sizes[i]}, a));
    cg1.push_back(host_tensor(Shape{sizes[i]}, x));
    cg2.push_back(host_tensor(Shape{sizes[i]}, y));
  }
  const int count = static_cast<int>(sizes.size());
  CUTRAIN_KERNEL_CALL(be, accumulate_gradient, add.data(), count, be.stream());
  CUTRAIN_KERNEL_CALL(be, take_accumulated, 1.0 / 3.0, take.data(), count, be.stream());
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    cutrain::ops::call("accumulate_gradient", {cacc[i], cg1[i]});
    const Tensor want = cutrain::ops::call("take_accumulated", {cacc[i], cg2[i]}, {{"scale", 1.0 / 3.0}})[0];
    // The same operations in the same order: equal bits.
    EXPECT_EQ(out[i]->download(), host_values<T>(want)) << "tensor " << i;
    EXPECT_EQ(acc[i]->download(), std::vector<T>(static_cast<std::size_t>(sizes[i]), T(0))) << "tensor " << i;
  }
}

CUTRAIN_KERNEL_TEST(GradientAccumulationKernels) {
  for_each_order([&] {
    check_accumulation<float>(backend());
    check_accumulation<double>(backend());
  });
}

}  // namespace
