// Loss-scaling kernels (kernels/optimizers.cuh) against the CPU reference
// ops: the multi-tensor unscale and inf/NaN check over tensors around a
// chunk's edges, the guarded updates (bitwise untouched on a found inf; the
// unguarded update with Adam's step = applied count + 1 otherwise), the
// scale update and clip_by_value; every backend and thread order.
#include <cstring>
#include <limits>
#include <memory>

#include "kernel_test_harness.h"
#include "op_reference.h"
#include "cutrain/ops/optimizers.h"
#include "optimizers.cuh"

namespace {

using cutrain::Shape;
using cutrain::Tensor;
using cutrain::testing::all_close;
using cutrain::testing::DeviceBuffer;
using cutrain::testing::host_tensor;
using cutrain::testing::host_values;
using cutrain::testing::uniform_values;
namespace k = cutrain::kernels;

const std::vector<int64_t> kSizes{1, 33, k::kOptimizerChunk - 1, k::kOptimizerChunk + 1,
                                  2 * k::kOptimizerChunk + 17};

template <typename T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

// Unscale a list of gradients scaled by 2^16; `bad` >= 0 puts `value` at
// element `at` of tensor `bad`.
template <typename T>
void check_unscale(cutrain::testing::KernelBackend& be, int bad, int64_t at, T value) {
  SCOPED_TRACE(::testing::Message() << (sizeof(T) == 4 ? "f32" : "f64") << " bad tensor " << bad << " at " << at);
  std::vector<std::unique_ptr<DeviceBuffer<T>>> g, o;
  std::vector<const T*> gp;
  std::vector<T*> op;
  std::vector<Tensor> cpu;
  for (std::size_t i = 0; i < kSizes.size(); ++i) {
    std::vector<T> v = uniform_values<T>(kSizes[i], static_cast<uint32_t>(40 + i), -1e4, 1e4);
    if (static_cast<int>(i) == bad) v[static_cast<std::size_t>(at)] = value;
    g.push_back(std::make_unique<DeviceBuffer<T>>(be, v));
    o.push_back(std::make_unique<DeviceBuffer<T>>(be, v.size()));
    gp.push_back(g.back()->get());
    op.push_back(o.back()->get());
    cpu.push_back(host_tensor(Shape{kSizes[i]}, v));
  }
  const std::vector<T> scale_v{static_cast<T>(65536.0)};
  cpu.push_back(host_tensor(Shape{}, scale_v));
  const auto ref = cutrain::ops::call("unscale_check_finite", cpu);
  DeviceBuffer<T> scale(be, scale_v);
  DeviceBuffer<double> found(be, std::vector<double>{7.0});  // stale: the launch must reset it
  CUTRAIN_KERNEL_CALL(be, unscale_check_finite, scale.get(), gp.data(), op.data(), kSizes.data(),
                      static_cast<int>(kSizes.size()), found.get(), be.stream());
  EXPECT_EQ(found.download()[0], ref.back().item());
  EXPECT_EQ(found.download()[0], bad >= 0 ? 1.0 : 0.0);
  for (std::size_t i = 0; i < kSizes.size(); ++i) {
    const std::vector<T> want = host_values<T>(ref[i]);
    const std::vector<T> got = o[i]->download();
    // NaN != NaN: compare the bits (both sides compute g * 2^-16 exactly).
    EXPECT_TRUE(same_bits(got, want)) << "tensor " << i;
  }
}

CUTRAIN_KERNEL_TEST(UnscaleCheckFiniteKernel) {
  for_each_order([&] {
    check_unscale<float>(backend(), -1, 0, 0.0f);
    check_unscale<float>(backend(), 4, k::kOptimizerChunk + 3, std::numeric_limits<float>::infinity());
    check_unscale<float>(backend(), 0, 0, -std::numeric_limits<float>::infinity());
    check_unscale<double>(backend(), 3, k::kOptimizerChunk, std::numeric_limits<double>::quiet_NaN());
    check_unscale<double>(backend(), -1, 0, 0.0);
  });
}

// One parameter of 2 chunks + a tail: param, grad, state0, state1.
template <typename T>
struct GuardSlot {
  std::vector<std::vector<T>> init;
  std::vector<std::unique_ptr<DeviceBuffer<T>>> dev;
  explicit GuardSlot(cutrain::testing::KernelBackend& be, int64_t n = 2 * k::kOptimizerChunk + 5) {
    for (int j = 0; j < 4; ++j) {
      init.push_back(uniform_values<T>(n, 60 + static_cast<uint32_t>(j), j >= 2 ? 0.0 : -1.0, 1.0));
      dev.push_back(std::make_unique<DeviceBuffer<T>>(be, init.back()));
    }
  }
  k::ParamSlots<T> slots(int states) const {
    return {dev[0]->get(), dev[1]->get(), states > 0 ? dev[2]->get() : nullptr, states > 1 ? dev[3]->get() : nullptr,
            static_cast<int64_t>(init[0].size())};
  }
  std::vector<Tensor> cpu(int states) const {
    std::vector<Tensor> t;
    for (int j = 0; j < 2 + states; ++j) t.push_back(host_tensor(Shape{static_cast<int64_t>(init[0].size())}, init[static_cast<std::size_t>(j)]));
    return t;
  }
};

template <typename T, typename Launch>
void check_guarded(cutrain::testing::KernelBackend& be, const std::string& op, cutrain::ops::Attrs ref_attrs,
                   int states, Launch&& launch) {
  SCOPED_TRACE(::testing::Message() << op << " " << (sizeof(T) == 4 ? "f32" : "f64"));
  DeviceBuffer<double> steps(be, std::vector<double>{4.0});  // four updates applied so far
  {
    GuardSlot<T> s(be);
    DeviceBuffer<double> found(be, std::vector<double>{1.0});
    const k::ParamSlots<T> p = s.slots(states);
    launch(&p, k::UpdateGuard{found.get(), steps.get()});
    for (int j = 0; j < 2 + states; ++j)
      EXPECT_TRUE(same_bits(s.dev[static_cast<std::size_t>(j)]->download(), s.init[static_cast<std::size_t>(j)]))
          << "tensor " << j << " changed on a skipped step";
  }
  GuardSlot<T> s(be);
  DeviceBuffer<double> found(be, std::vector<double>{0.0});
  const k::ParamSlots<T> p = s.slots(states);
  launch(&p, k::UpdateGuard{found.get(), steps.get()});
  std::vector<Tensor> cpu = s.cpu(states);
  if (ref_attrs.has("step")) ref_attrs.set("step", int64_t{5});
  cutrain::ops::call(op, cpu, ref_attrs);
  const double rtol = cutrain::testing::elementwise_rtol<T>();
  for (int j = 0; j < 2 + states; ++j) {
    if (j == 1) continue;
    EXPECT_TRUE(all_close(s.dev[static_cast<std::size_t>(j)]->download(), host_values<T>(cpu[static_cast<std::size_t>(j)]),
                          1e-7, rtol))
        << "tensor " << j;
  }
}

template <typename T>
void check_all_guarded(cutrain::testing::KernelBackend& be) {
  const cudaStream_t st = be.stream();
  const k::SgdHyper sgd{{0.1, 0.9, 1e-2, true}};
  check_guarded<T>(be, "sgd_update", cutrain::ops::sgd_attrs({.lr = 0.1, .momentum = 0.9, .nesterov = true, .weight_decay = 1e-2}), 1,
                   [&](const k::ParamSlots<T>* p, k::UpdateGuard g) {
                     k::SgdHyper h = sgd;
                     h.guard = g;
                     CUTRAIN_KERNEL_CALL(be, sgd_update, h, p, 1, st);
                   });
  const k::RmsPropHyper rms{{0.01, 0.9, 0.9, 1.0}};
  check_guarded<T>(be, "rmsprop_update", cutrain::ops::rmsprop_attrs({.lr = 0.01, .decay = 0.9, .momentum = 0.9, .epsilon = 1.0}),
                   2, [&](const k::ParamSlots<T>* p, k::UpdateGuard g) {
                     k::RmsPropHyper h = rms;
                     h.guard = g;
                     CUTRAIN_KERNEL_CALL(be, rmsprop_update, h, p, 1, st);
                   });
  // The hyper's step (1) is ignored: a guarded Adam takes steps + 1 = 5.
  const k::AdamHyper adam{{1e-2, 0.9, 0.999, 1e-8, 0.05, 1, false}};
  check_guarded<T>(be, "adam_update",
                   cutrain::ops::adam_attrs({.lr = 1e-2, .beta1 = 0.9, .beta2 = 0.999, .epsilon = 1e-8, .step = 1,
                                             .weight_decay = 0.05}),
                   2, [&](const k::ParamSlots<T>* p, k::UpdateGuard g) {
                     k::AdamHyper h = adam;
                     h.guard = g;
                     CUTRAIN_KERNEL_CALL(be, adam_update, h, p, 1, st);
                   });
  check_guarded<T>(be, "ema_update", cutrain::ops::Attrs{{"decay", 0.9}}, 0,
                   [&](const k::ParamSlots<T>* p, k::UpdateGuard g) {
                     k::EmaHyper h{0.9};
                     h.guard = {g.found_inf, nullptr};
                     CUTRAIN_KERNEL_CALL(be, ema_update, h, p, 1, st);
                   });
}

CUTRAIN_KERNEL_TEST(GuardedUpdateKernels) {
  for_each_order([&] {
    check_all_guarded<float>(backend());
    check_all_guarded<double>(backend());
  });
}

// The scale update over a sequence of flags, against the CPU op step by step.
CUTRAIN_KERNEL_TEST(UpdateLossScaleKernel) {
  cutrain::params::LossScaleUpdate p;
  p.growth_interval = 2;
  const cutrain::ops::Attrs a = cutrain::ops::loss_scale_attrs(p);
  DeviceBuffer<float> scale(backend(), std::vector<float>{0x1p126f});
  DeviceBuffer<double> tracker(backend(), std::vector<double>{0.0}), steps(backend(), std::vector<double>{0.0});
  Tensor cs = host_tensor(Shape{}, std::vector<float>{0x1p126f});
  Tensor ct = host_tensor(Shape{}, std::vector<double>{0.0}), cn = host_tensor(Shape{}, std::vector<double>{0.0});
  // Reaches the top of f32 (2^127 cannot grow) and backs off twice.
  for (double f : {0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0}) {
    DeviceBuffer<double> found(backend(), std::vector<double>{f});
    CUTRAIN_KERNEL_CALL(backend(), update_loss_scale, p, scale.get(), tracker.get(), steps.get(), found.get(),
                        backend().stream());
    cutrain::ops::call("update_loss_scale", {cs, ct, cn, host_tensor(Shape{}, std::vector<double>{f})}, a);
    ASSERT_EQ(scale.download()[0], static_cast<float>(cs.item()));
    ASSERT_EQ(tracker.download()[0], ct.item());
    ASSERT_EQ(steps.download()[0], cn.item());
  }
  EXPECT_EQ(cn.item(), 7.0);
}

CUTRAIN_KERNEL_TEST(ClipByValueKernel) {
  for_each_order([&] {
    std::vector<std::unique_ptr<DeviceBuffer<float>>> g, o;
    std::vector<const float*> gp;
    std::vector<float*> op;
    std::vector<Tensor> cpu;
    for (std::size_t i = 0; i < kSizes.size(); ++i) {
      std::vector<float> v = uniform_values<float>(kSizes[i], static_cast<uint32_t>(80 + i), -2.0, 2.0);
      v[0] = std::numeric_limits<float>::quiet_NaN();
      g.push_back(std::make_unique<DeviceBuffer<float>>(backend(), v));
      o.push_back(std::make_unique<DeviceBuffer<float>>(backend(), v.size()));
      gp.push_back(g.back()->get());
      op.push_back(o.back()->get());
      cpu.push_back(host_tensor(Shape{kSizes[i]}, v));
    }
    const auto ref = cutrain::ops::call("clip_by_value", cpu, {{"clip_value", 0.75}});
    CUTRAIN_KERNEL_CALL(backend(), clip_by_value, 0.75, gp.data(), op.data(), kSizes.data(),
                        static_cast<int>(kSizes.size()), backend().stream());
    for (std::size_t i = 0; i < kSizes.size(); ++i)
      EXPECT_TRUE(same_bits(o[i]->download(), host_values<float>(ref[i]))) << "tensor " << i;
  });
}

}  // namespace
