// Loss kernels against the CPU reference ops on the same inputs: fused
// softmax cross-entropy (i32, i64 and probability labels, label smoothing,
// loss and gradient), sigmoid BCE, MSE, gaussian KL (+ gradients),
// weighted_loss_reduce (+ gradient); every backend.
#include "kernel_test_harness.h"
#include "losses.cuh"
#include "op_reference.h"

namespace {

using cutrain::DType;
using cutrain::Shape;
using cutrain::Tensor;
using cutrain::testing::all_close;
using cutrain::testing::DeviceBuffer;
using cutrain::testing::edge_sizes;
using cutrain::testing::host_tensor;
using cutrain::testing::host_values;
using cutrain::testing::reference;
using cutrain::testing::uniform_values;
namespace k = cutrain::kernels;

template <typename T>
void check_xent(cutrain::testing::KernelBackend& be, k::LabelKind kind, int64_t n, int64_t classes,
                double smoothing) {
  SCOPED_TRACE(::testing::Message() << "softmax_cross_entropy " << n << " x " << classes << " labels "
                                    << static_cast<int>(kind) << " smoothing " << smoothing);
  const Shape s{n, classes};
  const std::vector<T> x = uniform_values<T>(n * classes, static_cast<uint32_t>(n + classes), -5, 5);
  const std::vector<T> dloss = uniform_values<T>(n, 3);
  Tensor labels;
  std::vector<int32_t> l32(static_cast<std::size_t>(n));
  std::vector<int64_t> l64(static_cast<std::size_t>(n));
  std::vector<T> dense;
  for (int64_t i = 0; i < n; ++i) l64[static_cast<std::size_t>(i)] = l32[static_cast<std::size_t>(i)] = static_cast<int32_t>((i * 7 + 3) % classes);
  if (kind == k::LabelKind::i32) labels = host_tensor(Shape{n}, l32);
  if (kind == k::LabelKind::i64) labels = host_tensor(Shape{n}, l64);
  if (kind == k::LabelKind::dense) {
    dense = uniform_values<T>(n * classes, 4, 0, 1);  // probabilities that need not sum to 1
    labels = host_tensor(s, dense);
  }
  const cutrain::ops::Attrs attrs{{"label_smoothing", smoothing}};
  const std::vector<T> loss_ref = reference<T>("softmax_cross_entropy", {host_tensor(s, x), labels}, attrs);
  const std::vector<T> grad_ref =
      reference<T>("softmax_cross_entropy_grad", {host_tensor(Shape{n}, dloss), host_tensor(s, x), labels}, attrs);
  DeviceBuffer<T> dx(be, x), ddl(be, dloss), loss(be, static_cast<std::size_t>(n)), grad(be, x.size()),
      loss2(be, static_cast<std::size_t>(n));
  DeviceBuffer<int32_t> d32(be, l32);
  DeviceBuffer<int64_t> d64(be, l64);
  DeviceBuffer<T> ddense(be, kind == k::LabelKind::dense ? dense : std::vector<T>(1));
  const void* lab = kind == k::LabelKind::i32   ? static_cast<const void*>(d32.get())
                    : kind == k::LabelKind::i64 ? static_cast<const void*>(d64.get())
                                                : static_cast<const void*>(ddense.get());
  // Fused: loss and gradient in one pass; then the loss alone.
  CUTRAIN_KERNEL_CALL(be, softmax_cross_entropy, dx.get(), kind, lab, n, classes, smoothing, loss.get(), ddl.get(),
                      grad.get(), be.stream());
  CUTRAIN_KERNEL_CALL(be, softmax_cross_entropy, dx.get(), kind, lab, n, classes, smoothing, loss2.get(),
                      static_cast<const T*>(nullptr), static_cast<T*>(nullptr), be.stream());
  const double rtol = cutrain::testing::reduction_rtol<T>();
  EXPECT_TRUE(all_close(loss.download(), loss_ref, 1e-7, rtol));
  EXPECT_TRUE(all_close(loss2.download(), loss_ref, 1e-7, rtol));
  EXPECT_TRUE(all_close(grad.download(), grad_ref, 1e-7, rtol));
}

CUTRAIN_KERNEL_TEST(SoftmaxCrossEntropyKernel) {
  for_each_order([&] {
    for (k::LabelKind kind : {k::LabelKind::i32, k::LabelKind::i64, k::LabelKind::dense})
      for (int64_t classes : {int64_t{1}, int64_t{10}, int64_t{33}, int64_t{1001}})
        for (int64_t n : {int64_t{1}, int64_t{9}})
          for (double s : {0.0, 0.1}) {
            check_xent<float>(backend(), kind, n, classes, s);
            check_xent<double>(backend(), kind, n, classes, s);
          }
  });
}

CUTRAIN_KERNEL_TEST(SoftmaxCrossEntropyBadLabelIsNaN) {
  const std::vector<int32_t> labels{0, 5, -1};
  const std::vector<float> x(9, 0.5f), dl(3, 1.0f);
  DeviceBuffer<float> dx(backend(), x), ddl(backend(), dl), loss(backend(), 3), grad(backend(), 9);
  DeviceBuffer<int32_t> dlab(backend(), labels);
  CUTRAIN_KERNEL_CALL(backend(), softmax_cross_entropy, dx.get(), k::LabelKind::i32, dlab.get(), 3, 3, 0.0, loss.get(),
                      ddl.get(), grad.get(), backend().stream());
  const std::vector<float> l = loss.download(), g = grad.download();
  EXPECT_FALSE(std::isnan(l[0]));
  EXPECT_TRUE(std::isnan(l[1]) && std::isnan(l[2]));
  EXPECT_TRUE(std::isnan(g[3]) && std::isnan(g[8]) && !std::isnan(g[0]));
}

struct SampleCase {
  const char* op;
  k::SampleLoss kind;
  double smoothing;
  bool sum_features;
  double b_lo, b_hi;  // range of the second input (targets in [0, 1] for BCE)
};
const SampleCase kSampleLosses[] = {
    {"sigmoid_binary_cross_entropy", k::SampleLoss::sigmoid_bce, 0.0, false, 0, 1},
    {"sigmoid_binary_cross_entropy", k::SampleLoss::sigmoid_bce, 0.2, true, 0, 1},
    {"mean_squared_error", k::SampleLoss::mse, 0, false, -2, 2},
    {"gaussian_kl", k::SampleLoss::gaussian_kl, 0, false, -2, 2}};

template <typename T>
void check_sample(cutrain::testing::KernelBackend& be, const SampleCase& c, const Shape& s) {
  SCOPED_TRACE(::testing::Message() << c.op << " " << s.str() << " smoothing " << c.smoothing);
  const int64_t n = s[0];
  const std::vector<T> a = uniform_values<T>(s.numel(), 5, -6, 6), b = uniform_values<T>(s.numel(), 6, c.b_lo, c.b_hi);
  const std::vector<T> dl = uniform_values<T>(n, 7);
  cutrain::ops::Attrs attrs;
  if (c.kind == k::SampleLoss::sigmoid_bce) attrs = {{"label_smoothing", c.smoothing}, {"sum_features", c.sum_features}};
  const std::vector<T> loss_ref = reference<T>(c.op, {host_tensor(s, a), host_tensor(s, b)}, attrs);
  const auto grads = cutrain::ops::call(std::string(c.op) + "_grad",
                                        {host_tensor(Shape{n}, dl), host_tensor(s, a), host_tensor(s, b)}, attrs);
  k::SampleLossArgs args;
  args.kind = c.kind;
  args.label_smoothing = c.smoothing;
  args.sum_features = c.sum_features;
  const int64_t f = s.numel() / n;
  DeviceBuffer<T> da(be, a), db(be, b), ddl(be, dl), loss(be, static_cast<std::size_t>(n)), ga(be, a.size()),
      gb(be, a.size());
  CUTRAIN_KERNEL_CALL(be, sample_loss, args, da.get(), db.get(), n, f, loss.get(), be.stream());
  CUTRAIN_KERNEL_CALL(be, sample_loss_grad, args, ddl.get(), da.get(), db.get(), n, f, ga.get(), gb.get(), be.stream());
  const double rtol = cutrain::testing::reduction_rtol<T>();
  EXPECT_TRUE(all_close(loss.download(), loss_ref, 1e-7, rtol));
  EXPECT_TRUE(all_close(ga.download(), host_values<T>(grads[0]), 1e-7, cutrain::testing::elementwise_rtol<T>()));
  if (c.kind == k::SampleLoss::gaussian_kl) {
    EXPECT_TRUE(all_close(gb.download(), host_values<T>(grads[1]), 1e-7, cutrain::testing::elementwise_rtol<T>()));
  }
}

CUTRAIN_KERNEL_TEST(PerSampleLossKernels) {
  const std::vector<Shape> shapes{Shape{1, 1}, Shape{3, 31}, Shape{2, 257}, Shape{5, 3, 11}, Shape{9, 785}, Shape{7}};
  for_each_order([&] {
    for (const SampleCase& c : kSampleLosses)
      for (const Shape& s : shapes) {
        check_sample<float>(backend(), c, s);
        check_sample<double>(backend(), c, s);
      }
  });
}

template <typename T>
void check_weighted(cutrain::testing::KernelBackend& be, const char* mode, k::LossReductionMode kind, int64_t n,
                    bool weighted, bool zero_weights) {
  SCOPED_TRACE(::testing::Message() << "weighted_loss_reduce " << mode << " n = " << n << " weights " << weighted);
  const std::vector<T> l = uniform_values<T>(n, 8, 0, 3);
  std::vector<T> w = uniform_values<T>(n, 9, 0, 1);
  if (zero_weights) w.assign(w.size(), T(0));
  const std::vector<T> dy{T(1.5)};
  std::vector<Tensor> in{host_tensor(Shape{n}, l)}, gin{host_tensor(Shape{}, dy)};
  if (weighted) {
    in.push_back(host_tensor(Shape{n}, w));
    gin.push_back(host_tensor(Shape{n}, w));
  }
  const std::vector<T> ref = reference<T>("weighted_loss_reduce", in, {{"mode", std::string(mode)}});
  const std::vector<T> gref =
      reference<T>("weighted_loss_reduce_grad", gin, {{"mode", std::string(mode)}, {"n", n}});
  DeviceBuffer<T> dl(be, l), dw(be, w), ddy(be, dy), out(be, 1), grad(be, static_cast<std::size_t>(n));
  const T* wp = weighted ? dw.get() : nullptr;
  CUTRAIN_KERNEL_CALL(be, weighted_loss_reduce, kind, dl.get(), wp, n, out.get(), be.stream());
  CUTRAIN_KERNEL_CALL(be, weighted_loss_reduce_grad, kind, ddy.get(), wp, n, grad.get(), be.stream());
  EXPECT_TRUE(all_close(out.download(), ref, 1e-7, cutrain::testing::reduction_rtol<T>()));
  EXPECT_TRUE(all_close(grad.download(), gref, 1e-7, cutrain::testing::reduction_rtol<T>()));
}

CUTRAIN_KERNEL_TEST(WeightedLossReduceKernel) {
  const std::pair<const char*, k::LossReductionMode> modes[] = {
      {"sum_over_batch_size", k::LossReductionMode::sum_over_batch_size},
      {"mean_weighted", k::LossReductionMode::mean_weighted},
      {"sum", k::LossReductionMode::sum}};
  for_each_order([&] {
    for (const auto& [mode, kind] : modes)
      for (int64_t n : edge_sizes(256))
        for (bool weighted : {false, true}) {
          check_weighted<float>(backend(), mode, kind, n, weighted, false);
          check_weighted<double>(backend(), mode, kind, n, weighted, false);
        }
    check_weighted<float>(backend(), "mean_weighted", k::LossReductionMode::mean_weighted, 33, true, true);
  });
}

}  // namespace
