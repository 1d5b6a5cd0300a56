// Multi-tensor optimizer kernels against the CPU reference update ops, one
// launch over a list of tensors with sizes around a chunk's edges (1, 31, 33,
// chunk ± 1, several chunks with a tail); global norm and clipping; more
// tensors than one launch takes; every backend.
#include <memory>

#include "kernel_test_harness.h"
#include "op_reference.h"
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

const std::vector<int64_t> kSizes{1, 31, 33, k::kOptimizerChunk - 1, k::kOptimizerChunk + 1,
                                  2 * k::kOptimizerChunk + 17};

// Parameter k of the list: param, grad and two state tensors on device and
// as CPU tensors (updated in place by the reference op).
template <typename T>
struct Slot {
  std::vector<std::unique_ptr<DeviceBuffer<T>>> dev;  // param, grad, state0, state1
  std::vector<Tensor> cpu;
  Slot(cutrain::testing::KernelBackend& be, int64_t n, uint32_t seed) {
    for (int j = 0; j < 4; ++j) {
      // States start non-negative (rmsprop's ms under a sqrt).
      const std::vector<T> v = uniform_values<T>(n, seed * 4 + static_cast<uint32_t>(j), j >= 2 ? 0.0 : -1.0, 1.0);
      dev.push_back(std::make_unique<DeviceBuffer<T>>(be, v));
      cpu.push_back(host_tensor(Shape{n}, v));
    }
  }
  k::ParamSlots<T> slots(bool states) const {
    return {dev[0]->get(), dev[1]->get(), states ? dev[2]->get() : nullptr, dev[3]->get(),
            static_cast<int64_t>(dev[0]->size())};
  }
};

template <typename T, typename Launch>
void check_update(cutrain::testing::KernelBackend& be, const std::string& op, const cutrain::ops::Attrs& attrs,
                  int states, Launch&& launch) {
  SCOPED_TRACE(::testing::Message() << op << " " << (sizeof(T) == 4 ? "f32" : "f64"));
  std::vector<std::unique_ptr<Slot<T>>> list;
  std::vector<k::ParamSlots<T>> slots;
  for (std::size_t i = 0; i < kSizes.size(); ++i) {
    list.push_back(std::make_unique<Slot<T>>(be, kSizes[i], static_cast<uint32_t>(i + 1)));
    slots.push_back(list.back()->slots(states > 0));
    std::vector<Tensor> in{list.back()->cpu[0], list.back()->cpu[1]};
    for (int j = 0; j < states; ++j) in.push_back(list.back()->cpu[static_cast<std::size_t>(2 + j)]);
    cutrain::ops::call(op, in, attrs);  // updates the CPU tensors in place
  }
  launch(slots.data(), static_cast<int>(slots.size()));
  const double rtol = cutrain::testing::elementwise_rtol<T>();
  for (auto& s : list)
    for (int j = 0; j < 2 + states; ++j) {
      if (j == 1) continue;  // the gradient is read only
      EXPECT_TRUE(all_close(s->dev[static_cast<std::size_t>(j)]->download(),
                            host_values<T>(s->cpu[static_cast<std::size_t>(j)]), 1e-7, rtol))
          << "tensor of " << s->dev[0]->size() << " elements, slot " << j;
    }
}

template <typename T>
void check_all_updates(cutrain::testing::KernelBackend& be) {
  const cudaStream_t st = be.stream();
  for (bool nesterov : {false, true})
    for (double momentum : {0.0, 0.9}) {
      if (nesterov && momentum == 0.0) continue;
      k::SgdHyper h{{0.1, momentum, 1e-2, nesterov}};
      check_update<T>(be, "sgd_update",
                      {{"lr", h.p.lr}, {"momentum", momentum}, {"weight_decay", h.p.weight_decay}, {"nesterov", nesterov}},
                      momentum > 0 ? 1 : 0, [&](const k::ParamSlots<T>* s, int c) {
                        CUTRAIN_KERNEL_CALL(be, sgd_update, h, s, c, st);
                      });
    }
  for (double momentum : {0.0, 0.9}) {
    k::RmsPropHyper h{{0.01, 0.9, momentum, 1.0}};
    check_update<T>(be, "rmsprop_update",
                    {{"lr", h.p.lr}, {"decay", h.p.decay}, {"momentum", momentum}, {"epsilon", h.p.epsilon}}, 2,
                    [&](const k::ParamSlots<T>* s, int c) { CUTRAIN_KERNEL_CALL(be, rmsprop_update, h, s, c, st); });
  }
  for (bool decoupled : {false, true}) {
    k::AdamHyper h{{1e-2, 0.9, 0.999, 1e-8, 0.05, 3, decoupled}};
    check_update<T>(be, "adam_update",
                    {{"lr", h.p.lr}, {"beta1", h.p.beta1}, {"beta2", h.p.beta2}, {"epsilon", h.p.epsilon},
                     {"step", h.p.step}, {"weight_decay", h.p.weight_decay}, {"decoupled", decoupled}},
                    2, [&](const k::ParamSlots<T>* s, int c) { CUTRAIN_KERNEL_CALL(be, adam_update, h, s, c, st); });
  }
}

// Parameter EMA: param = shadow (mutated), grad = the parameter's value.
// 0.9999 is where a 1 - decay formed in float would be off by 1.7e-4.
template <typename T>
void check_ema(cutrain::testing::KernelBackend& be) {
  const cudaStream_t st = be.stream();
  for (double decay : {0.0, 0.5, 0.9999, 1.0}) {
    const k::EmaHyper h{decay};
    check_update<T>(be, "ema_update", {{"decay", decay}}, 0, [&](const k::ParamSlots<T>* s, int c) {
      CUTRAIN_KERNEL_CALL(be, ema_update, h, s, c, st);
    });
  }
}

CUTRAIN_KERNEL_TEST(MultiTensorEmaKernel) {
  for_each_order([&] {
    check_ema<float>(backend());
    check_ema<double>(backend());
  });
  // Far apart so that 1 - decay formed in float (1.7e-4 too large) would show:
  // about -2.7e-4 instead of -1.0e-4.
  DeviceBuffer<float> shadow(backend(), std::vector<float>{1.0f}), value(backend(), std::vector<float>{-10000.0f});
  const k::ParamSlots<float> s{shadow.get(), value.get(), nullptr, nullptr, 1};
  CUTRAIN_KERNEL_CALL(backend(), ema_update, k::EmaHyper{0.9999}, &s, 1, backend().stream());
  const float one_minus = static_cast<float>(1.0 - 0.9999);
  EXPECT_NEAR(shadow.download()[0], 1.0f - one_minus * 10001.0f, 1e-7);
}

CUTRAIN_KERNEL_TEST(MultiTensorUpdateKernels) {
  for_each_order([&] {
    check_all_updates<float>(backend());
    check_all_updates<double>(backend());
  });
}

// global_norm then clip_by_global_norm over `count` tensors (more than one
// launch takes when count > kMaxTensorsPerLaunch).
template <typename T>
void check_norm_and_clip(cutrain::testing::KernelBackend& be, const std::vector<int64_t>& sizes, double clip) {
  SCOPED_TRACE(::testing::Message() << sizes.size() << " tensors, clip " << clip);
  std::vector<std::unique_ptr<DeviceBuffer<T>>> g, o;
  std::vector<const T*> gp;
  std::vector<T*> op;
  std::vector<Tensor> cpu;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const std::vector<T> v = uniform_values<T>(sizes[i], static_cast<uint32_t>(100 + i));
    g.push_back(std::make_unique<DeviceBuffer<T>>(be, v));
    o.push_back(std::make_unique<DeviceBuffer<T>>(be, v.size()));
    gp.push_back(g.back()->get());
    op.push_back(o.back()->get());
    cpu.push_back(host_tensor(Shape{sizes[i]}, v));
  }
  const Tensor norm = cutrain::ops::call("global_norm", cpu)[0];
  std::vector<Tensor> clip_in = cpu;
  clip_in.push_back(norm);
  const auto clipped = cutrain::ops::call("clip_by_global_norm", clip_in, {{"clip_norm", clip}});
  const int count = static_cast<int>(sizes.size());
  DeviceBuffer<double> ws(be, static_cast<std::size_t>(k::global_norm_workspace(sizes.data(), count)));
  DeviceBuffer<T> dnorm(be, 1);
  CUTRAIN_KERNEL_CALL(be, global_norm, gp.data(), sizes.data(), count, ws.get(), dnorm.get(), be.stream());
  EXPECT_TRUE(all_close(dnorm.download(), host_values<T>(norm), 0.0, cutrain::testing::reduction_rtol<T>()));
  // Clip with the reference norm, so the scale is checked on its own.
  DeviceBuffer<T> ref_norm(be, host_values<T>(norm));
  CUTRAIN_KERNEL_CALL(be, clip_by_global_norm, clip, ref_norm.get(), gp.data(), op.data(), sizes.data(), count,
                      be.stream());
  for (std::size_t i = 0; i < sizes.size(); ++i)
    ASSERT_TRUE(all_close(o[i]->download(), host_values<T>(clipped[i]), 0.0, cutrain::testing::elementwise_rtol<T>()))
        << "tensor " << i;
}

CUTRAIN_KERNEL_TEST(GlobalNormAndClipKernels) {
  std::vector<int64_t> many(static_cast<std::size_t>(k::kMaxTensorsPerLaunch + 5), 3);
  many[7] = 2 * k::kOptimizerChunk + 1;
  for_each_order([&] {
    for (double clip : {0.5, 1e6}) {  // clipping and a norm under the limit
      check_norm_and_clip<float>(backend(), kSizes, clip);
      check_norm_and_clip<double>(backend(), kSizes, clip);
    }
  });
  check_norm_and_clip<float>(backend(), many, 1.0);
}

CUTRAIN_KERNEL_TEST(ClipByNonFiniteNormIsNaN) {
  const std::vector<float> g{1.0f, -2.0f}, inf{std::numeric_limits<float>::infinity()};
  DeviceBuffer<float> dg(backend(), g), out(backend(), 2), norm(backend(), inf);
  const float* gp = dg.get();
  float* op = out.get();
  const int64_t n = 2;
  CUTRAIN_KERNEL_CALL(backend(), clip_by_global_norm, 1.0, norm.get(), &gp, &op, &n, 1, backend().stream());
  for (float v : out.download()) EXPECT_TRUE(std::isnan(v));
}

}  // namespace
