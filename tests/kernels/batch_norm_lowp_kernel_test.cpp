// batch_norm.cu on f16/bf16 activations (statistics, parameters and their
// gradients f32) against the CPU batch_norm ops run in fp32 on the rounded
// activations. The f32 outputs keep the fp32 test's tolerances (both sides
// compute in fp32 on the same values); the 16-bit outputs are the reference's
// rounded once: 1 ulp, plus the fp32 test's absolute term where they cancel
// (lowp_test_util.h).
#include "batch_norm.cuh"
#include "kernel_test_harness.h"
#include "lowp_test_util.h"
#include "op_reference.h"

namespace {

using namespace cutrain;
using namespace cutrain::testing;

constexpr double kLowpEps = 1e-3, kLowpDecay = 0.9;

template <typename H>
void check_bn_forward_lowp(KernelBackend& be, int64_t m, int64_t c, bool training, bool has_gamma, bool relu) {
  SCOPED_TRACE(::testing::Message() << lowp_name<H>() << " m=" << m << " c=" << c << " training=" << training
                                    << " gamma=" << has_gamma << " relu=" << relu);
  const uint32_t seed = static_cast<uint32_t>(m * 131 + c);
  const std::vector<H> x = lowp_round<H>(uniform_values(m * c, seed, 2.0, 4.0));
  const auto beta = uniform_values(c, seed + 1), gamma = uniform_values(c, seed + 2);
  const auto rm = uniform_values(c, seed + 3), rv = uniform_values(c, seed + 4, 0.5, 2.0);
  const Tensor crm = host_tensor({c}, rm), crv = host_tensor({c}, rv);
  std::vector<Tensor> in{host_tensor({m, c}, lowp_widen(x)), host_tensor({c}, beta), crm, crv};
  if (has_gamma) in.push_back(host_tensor({c}, gamma));
  const auto ref = ops::call("batch_norm", in, {{"epsilon", kLowpEps}, {"decay", kLowpDecay}, {"has_gamma", has_gamma}},
                             training);
  std::vector<float> want = host_values(ref[0]);
  if (relu)
    for (float& v : want) v = v > 0 ? v : 0;

  DeviceBuffer<H> dx(be, x), y(be, x.size());
  DeviceBuffer<float> db(be, beta), dg(be, gamma), drm(be, rm), drv(be, rv), mean(be, static_cast<size_t>(c)),
      invstd(be, static_cast<size_t>(c)), ws(be, static_cast<size_t>(kernels::emu::batch_norm_workspace(m, c)));
  if (training) {
    CUTRAIN_KERNEL_CALL(be, batch_norm_stats, dx.get(), m, c, kLowpEps, kLowpDecay, drm.get(), drv.get(), mean.get(),
                        invstd.get(), ws.get(), be.stream());
  } else {
    CUTRAIN_KERNEL_CALL(be, batch_norm_eval_stats<float>, drm.get(), drv.get(), c, kLowpEps, mean.get(), invstd.get(),
                        be.stream());
  }
  CUTRAIN_KERNEL_CALL(be, batch_norm_apply, dx.get(), mean.get(), invstd.get(), has_gamma ? dg.get() : nullptr,
                      db.get(), m, c, relu, y.get(), be.stream());
  EXPECT_TRUE(all_close(mean.download(), host_values(ref[1]), 1e-6, 1e-4)) << "saved_mean";
  EXPECT_TRUE(all_close(invstd.download(), host_values(ref[2]), 0, 1e-4)) << "saved_invstd";
  EXPECT_TRUE(all_close(drm.download(), host_values(crm), 1e-6, 1e-4)) << "running_mean";
  EXPECT_TRUE(all_close(drv.download(), host_values(crv), 1e-6, 1e-4)) << "running_var";
  EXPECT_TRUE(lowp_within_ulps(y.download(), lowp_round<H>(want), 1, 1e-5)) << "y";
}

template <typename H>
void check_bn_backward_lowp(KernelBackend& be, int64_t m, int64_t c, bool training, bool has_gamma) {
  SCOPED_TRACE(::testing::Message() << lowp_name<H>() << " m=" << m << " c=" << c << " training=" << training
                                    << " gamma=" << has_gamma);
  const uint32_t seed = static_cast<uint32_t>(m * 7 + c);
  const std::vector<H> x = lowp_round<H>(uniform_values(m * c, seed, -2.0, 3.0));
  const std::vector<H> dy = lowp_round<H>(uniform_values(m * c, seed + 1));
  const auto mean = uniform_values(c, seed + 2), invstd = uniform_values(c, seed + 3, 0.5, 2.0),
             gamma = uniform_values(c, seed + 4), dmean = uniform_values(c, seed + 5),
             dinvstd = uniform_values(c, seed + 6);
  std::vector<Tensor> in{host_tensor({m, c}, lowp_widen(dy)), host_tensor({m, c}, lowp_widen(x)),
                         host_tensor({c}, mean), host_tensor({c}, invstd)};
  if (has_gamma) in.push_back(host_tensor({c}, gamma));
  const auto ref = ops::call("batch_norm_grad", in, {{"has_gamma", has_gamma}}, training);
  const auto ref_stats = ops::call(
      "batch_norm_stats_grad", {in[1], in[2], in[3], host_tensor({c}, dmean), host_tensor({c}, dinvstd)}, {}, training);

  DeviceBuffer<H> bx(be, x), bdy(be, dy), ddx(be, x.size()), sdx(be, x.size());
  DeviceBuffer<float> bmean(be, mean), binv(be, invstd), bg(be, gamma), bdm(be, dmean), bdi(be, dinvstd),
      dbeta(be, static_cast<size_t>(c)), dgamma(be, static_cast<size_t>(c)),
      ws(be, static_cast<size_t>(kernels::emu::batch_norm_workspace(m, c)));
  CUTRAIN_KERNEL_CALL(be, batch_norm_backward, bdy.get(), bx.get(), bmean.get(), binv.get(),
                      has_gamma ? bg.get() : nullptr, m, c, training, ddx.get(), dbeta.get(),
                      has_gamma ? dgamma.get() : nullptr, ws.get(), be.stream());
  CUTRAIN_KERNEL_CALL(be, batch_norm_stats_backward, bx.get(), bmean.get(), binv.get(), bdm.get(), bdi.get(), m, c,
                      training, sdx.get(), be.stream());
  const double atol = 1e-6 * static_cast<double>(m);
  EXPECT_TRUE(lowp_within_ulps(ddx.download(), lowp_round<H>(host_values(ref[0])), 1, 1e-5)) << "dx";
  EXPECT_TRUE(all_close(dbeta.download(), host_values(ref[1]), atol, 1e-4)) << "dbeta";
  if (has_gamma) {
    EXPECT_TRUE(all_close(dgamma.download(), host_values(ref[2]), atol, 1e-4)) << "dgamma";
  }
  EXPECT_TRUE(lowp_within_ulps(sdx.download(), lowp_round<H>(host_values(ref_stats[0])), 1, 1e-6)) << "stats dx";
}

CUTRAIN_KERNEL_TEST(BatchNormLowpKernels) {
  for_each_order([&] {
    for (int64_t m : edge_sizes(64))
      for (int64_t c : {1, 3, 32, 33, 67}) {
        check_bn_forward_lowp<Half>(backend(), m, c, true, c % 2 == 1, m % 2 == 0);
        check_bn_forward_lowp<BFloat16>(backend(), m, c, true, c % 2 == 1, m % 2 == 0);
        check_bn_backward_lowp<Half>(backend(), m, c, true, c != 32);
        check_bn_backward_lowp<BFloat16>(backend(), m, c, true, c != 32);
      }
    check_bn_forward_lowp<Half>(backend(), 33, 33, false, true, true);
    check_bn_forward_lowp<BFloat16>(backend(), 33, 33, false, false, false);
    check_bn_backward_lowp<Half>(backend(), 33, 33, false, true);
    check_bn_backward_lowp<BFloat16>(backend(), 33, 33, false, true);
  });
}

}  // namespace
