// batch_norm.cu against the CPU batch_norm, batch_norm_grad and
// batch_norm_stats_grad ops on the same inputs, training and eval, with and
// without gamma, over row counts around the reduction's 64-row blocks and
// channel counts around the 32-channel block width; typed over float and
// double.
#include "batch_norm.cuh"
#include "kernel_test_harness.h"
#include "op_reference.h"

namespace {

using namespace cutrain;
using namespace cutrain::testing;

constexpr double kEps = 1e-3, kDecay = 0.9;

struct Case {
  int64_t m, c;
};

std::vector<Case> cases() {
  std::vector<Case> v;
  for (int64_t m : edge_sizes(64))
    for (int64_t c : {1, 3, 32, 33, 67}) v.push_back({m, c});
  return v;
}

template <typename T>
void check_forward(KernelBackend& be, const Case& k, bool training, bool has_gamma, bool relu) {
  SCOPED_TRACE(::testing::Message() << "m=" << k.m << " c=" << k.c << " training=" << training
                                    << " gamma=" << has_gamma << " relu=" << relu);
  const uint32_t seed = static_cast<uint32_t>(k.m * 131 + k.c);
  // Offset data: the variance must not cancel against a large mean.
  const auto x = uniform_values<T>(k.m * k.c, seed, 2.0, 4.0),
             beta = uniform_values<T>(k.c, seed + 1), gamma = uniform_values<T>(k.c, seed + 2);
  const auto rm = uniform_values<T>(k.c, seed + 3), rv = uniform_values<T>(k.c, seed + 4, 0.5, 2.0);
  const Tensor cx = host_tensor({k.m, k.c}, x), crm = host_tensor({k.c}, rm),
               crv = host_tensor({k.c}, rv);
  std::vector<Tensor> in{cx, host_tensor({k.c}, beta), crm, crv};
  if (has_gamma) in.push_back(host_tensor({k.c}, gamma));
  ops::Attrs attrs{{"epsilon", kEps}, {"decay", kDecay}, {"has_gamma", has_gamma}};
  const auto ref = ops::call("batch_norm", in, attrs, training);
  std::vector<T> want_y = host_values<T>(ref[0]);
  if (relu)
    for (T& v : want_y) v = v > T(0) ? v : T(0);

  DeviceBuffer<T> dx(be, x), db(be, beta), dg(be, gamma), drm(be, rm), drv(be, rv), y(be, x.size()),
      mean(be, static_cast<size_t>(k.c)), invstd(be, static_cast<size_t>(k.c)),
      ws(be, static_cast<size_t>(kernels::emu::batch_norm_workspace(k.m, k.c)));
  if (training) {
    CUTRAIN_KERNEL_CALL(be, batch_norm_stats<T>, dx.get(), k.m, k.c, kEps, kDecay, drm.get(),
                        drv.get(), mean.get(), invstd.get(), ws.get(), be.stream());
  } else {
    CUTRAIN_KERNEL_CALL(be, batch_norm_eval_stats<T>, drm.get(), drv.get(), k.c, kEps, mean.get(),
                        invstd.get(), be.stream());
  }
  CUTRAIN_KERNEL_CALL(be, batch_norm_apply<T>, dx.get(), mean.get(), invstd.get(),
                      has_gamma ? dg.get() : nullptr, db.get(), k.m, k.c, relu, y.get(),
                      be.stream());
  const double atol = tolerance<T>(1e-6, 1e-14), rtol = reduction_rtol<T>();
  EXPECT_TRUE(all_close(mean.download(), host_values<T>(ref[1]), atol, rtol)) << "saved_mean";
  EXPECT_TRUE(all_close(invstd.download(), host_values<T>(ref[2]), 0, rtol)) << "saved_invstd";
  EXPECT_TRUE(all_close(drm.download(), host_values<T>(crm), atol, rtol)) << "running_mean";
  EXPECT_TRUE(all_close(drv.download(), host_values<T>(crv), atol, rtol)) << "running_var";
  EXPECT_TRUE(all_close(y.download(), want_y, tolerance<T>(1e-5, 1e-13), rtol)) << "y";
}

template <typename T>
void check_backward(KernelBackend& be, const Case& k, bool training, bool has_gamma) {
  SCOPED_TRACE(::testing::Message() << "m=" << k.m << " c=" << k.c << " training=" << training
                                    << " gamma=" << has_gamma);
  const uint32_t seed = static_cast<uint32_t>(k.m * 7 + k.c);
  const auto x = uniform_values<T>(k.m * k.c, seed, -2.0, 3.0),
             dy = uniform_values<T>(k.m * k.c, seed + 1);
  const auto mean = uniform_values<T>(k.c, seed + 2),
             invstd = uniform_values<T>(k.c, seed + 3, 0.5, 2.0),
             gamma = uniform_values<T>(k.c, seed + 4), dmean = uniform_values<T>(k.c, seed + 5),
             dinvstd = uniform_values<T>(k.c, seed + 6);
  std::vector<Tensor> in{host_tensor({k.m, k.c}, dy), host_tensor({k.m, k.c}, x),
                         host_tensor({k.c}, mean), host_tensor({k.c}, invstd)};
  if (has_gamma) in.push_back(host_tensor({k.c}, gamma));
  const auto ref = ops::call("batch_norm_grad", in, {{"has_gamma", has_gamma}}, training);
  const auto ref_stats = ops::call(
      "batch_norm_stats_grad",
      {in[1], in[2], in[3], host_tensor({k.c}, dmean), host_tensor({k.c}, dinvstd)}, {}, training);

  DeviceBuffer<T> bx(be, x), bdy(be, dy), bmean(be, mean), binv(be, invstd), bg(be, gamma),
      bdm(be, dmean), bdi(be, dinvstd), ddx(be, x.size()), dbeta(be, static_cast<size_t>(k.c)),
      dgamma(be, static_cast<size_t>(k.c)), sdx(be, x.size()),
      ws(be, static_cast<size_t>(kernels::emu::batch_norm_workspace(k.m, k.c)));
  CUTRAIN_KERNEL_CALL(be, batch_norm_backward<T>, bdy.get(), bx.get(), bmean.get(), binv.get(),
                      has_gamma ? bg.get() : nullptr, k.m, k.c, training, ddx.get(), dbeta.get(),
                      has_gamma ? dgamma.get() : nullptr, ws.get(), be.stream());
  CUTRAIN_KERNEL_CALL(be, batch_norm_stats_backward<T>, bx.get(), bmean.get(), binv.get(),
                      bdm.get(), bdi.get(), k.m, k.c, training, sdx.get(), be.stream());
  // Sums of m terms of size ~1: absolute slack grows like sqrt(m) roundings.
  const double atol = tolerance<T>(1e-6, 1e-15) * static_cast<double>(k.m),
               rtol = reduction_rtol<T>();
  EXPECT_TRUE(all_close(ddx.download(), host_values<T>(ref[0]), tolerance<T>(1e-5, 1e-13), rtol))
      << "dx";
  EXPECT_TRUE(all_close(dbeta.download(), host_values<T>(ref[1]), atol, rtol)) << "dbeta";
  if (has_gamma) {
    EXPECT_TRUE(all_close(dgamma.download(), host_values<T>(ref[2]), atol, rtol)) << "dgamma";
  }
  EXPECT_TRUE(all_close(sdx.download(), host_values<T>(ref_stats[0]), tolerance<T>(1e-6, 1e-14),
                        tolerance<T>(1e-5, 1e-12)))
      << "stats dx";
}

CUTRAIN_TYPED_KERNEL_TEST(BatchNormKernels) {
  using T = typename TypeParam::Scalar;
  KernelBackend& be = this->backend();
  this->for_each_order([&] {
    for (const Case& k : cases()) {
      check_forward<T>(be, k, /*training=*/true, /*has_gamma=*/k.c % 2 == 1, /*relu=*/k.m % 2 == 0);
      check_backward<T>(be, k, /*training=*/true, /*has_gamma=*/k.c != 32);
    }
    const Case small{33, 33};
    check_forward<T>(be, small, /*training=*/false, true, true);
    check_forward<T>(be, small, /*training=*/false, false, false);
    check_backward<T>(be, small, /*training=*/false, true);
    check_backward<T>(be, small, /*training=*/true, false);
  });
  // More rows than the row-block cap (1024 blocks of 64): threads walk several rows each.
  check_forward<T>(be, {70001, 3}, true, true, false);
  check_backward<T>(be, {70001, 3}, true, true);
}

}  // namespace
