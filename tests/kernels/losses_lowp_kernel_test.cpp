// softmax_cross_entropy reading f16/bf16 logits: loss (f32) against the CPU op
// in fp32 on the rounded logits with the fp32 test's tolerance (both compute
// in double from the same values); the gradient, written in the logits' type,
// against the reference's fp32 gradient rounded once: 1 ulp, plus the fp32
// absolute term where it cancels towards zero (lowp_test_util.h).
#include "kernel_test_harness.h"
#include "losses.cuh"
#include "lowp_test_util.h"
#include "op_reference.h"

namespace {

using cutrain::Shape;
using cutrain::Tensor;
using namespace cutrain::testing;
namespace k = cutrain::kernels;

template <typename H>
void check_xent_lowp(KernelBackend& be, k::LabelKind kind, int64_t n, int64_t classes, double smoothing) {
  SCOPED_TRACE(::testing::Message() << lowp_name<H>() << " softmax_cross_entropy " << n << " x " << classes
                                    << " labels " << static_cast<int>(kind) << " smoothing " << smoothing);
  const Shape s{n, classes};
  const std::vector<H> x = lowp_round<H>(uniform_values(n * classes, static_cast<uint32_t>(n + classes), -5, 5));
  const std::vector<float> dloss = uniform_values(n, 3);
  Tensor labels;
  std::vector<int32_t> l32(static_cast<std::size_t>(n));
  std::vector<int64_t> l64(static_cast<std::size_t>(n));
  std::vector<float> dense;
  for (int64_t i = 0; i < n; ++i)
    l64[static_cast<std::size_t>(i)] = l32[static_cast<std::size_t>(i)] = static_cast<int32_t>((i * 7 + 3) % classes);
  if (kind == k::LabelKind::i32) labels = host_tensor(Shape{n}, l32);
  if (kind == k::LabelKind::i64) labels = host_tensor(Shape{n}, l64);
  if (kind == k::LabelKind::dense) {
    dense = uniform_values(n * classes, 4, 0, 1);
    labels = host_tensor(s, dense);
  }
  const cutrain::ops::Attrs attrs{{"label_smoothing", smoothing}};
  const Tensor xt = host_tensor(s, lowp_widen(x));
  const std::vector<float> loss_ref = reference<float>("softmax_cross_entropy", {xt, labels}, attrs);
  const std::vector<H> grad_ref = lowp_round<H>(
      reference<float>("softmax_cross_entropy_grad", {host_tensor(Shape{n}, dloss), xt, labels}, attrs));
  DeviceBuffer<H> dx(be, x), grad(be, x.size());
  DeviceBuffer<float> ddl(be, dloss), loss(be, static_cast<std::size_t>(n));
  DeviceBuffer<int32_t> d32(be, l32);
  DeviceBuffer<int64_t> d64(be, l64);
  DeviceBuffer<float> ddense(be, kind == k::LabelKind::dense ? dense : std::vector<float>(1));
  const void* lab = kind == k::LabelKind::i32   ? static_cast<const void*>(d32.get())
                    : kind == k::LabelKind::i64 ? static_cast<const void*>(d64.get())
                                                : static_cast<const void*>(ddense.get());
  CUTRAIN_KERNEL_CALL(be, softmax_cross_entropy, dx.get(), kind, lab, n, classes, smoothing, loss.get(), ddl.get(),
                      grad.get(), be.stream());
  EXPECT_TRUE(all_close(loss.download(), loss_ref, 1e-7, reduction_rtol<float>()));
  EXPECT_TRUE(lowp_within_ulps(grad.download(), grad_ref, 1, 1e-7));
}

CUTRAIN_KERNEL_TEST(SoftmaxCrossEntropyLowpKernel) {
  for_each_order([&] {
    for (k::LabelKind kind : {k::LabelKind::i32, k::LabelKind::i64, k::LabelKind::dense})
      for (int64_t classes : {int64_t{1}, int64_t{10}, int64_t{33}, int64_t{1001}})
        for (int64_t n : {int64_t{1}, int64_t{9}})
          for (double sm : {0.0, 0.1}) {
            check_xent_lowp<cutrain::Half>(backend(), kind, n, classes, sm);
            check_xent_lowp<cutrain::BFloat16>(backend(), kind, n, classes, sm);
          }
  });
}

}  // namespace
