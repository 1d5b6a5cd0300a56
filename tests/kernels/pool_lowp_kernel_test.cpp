// pool.cu in f16 and bf16 against the CPU pooling ops run in fp32 on the
// rounded inputs, outputs rounded once: max pool moves bits (exact), its
// gradient, the averages and their gradients within 1 ulp of the output type
// (derivation in lowp_test_util.h). Rounding the inputs to 8 or 11 bits makes
// ties for the max common; rounded integers make them the rule.
#include <cmath>

#include "cutrain/ops/padding.h"
#include "kernel_test_harness.h"
#include "lowp_test_util.h"
#include "op_reference.h"
#include "pool.cuh"

namespace {

using namespace cutrain;
using namespace cutrain::testing;

struct LowpPoolCase {
  Shape x;
  int64_t kh, kw, sh, sw;
  std::string padding;
  std::vector<int64_t> pads;
};

ops::Attrs lowp_pool_attrs(const LowpPoolCase& k, bool include_pad) {
  ops::Attrs a{{"window", std::vector<int64_t>{k.kh, k.kw}},
               {"strides", std::vector<int64_t>{k.sh, k.sw}},
               {"padding", k.padding}};
  if (!k.pads.empty()) a.set("pads", k.pads);
  if (include_pad) a.set("count_include_pad", true);
  return a;
}

template <typename H>
std::vector<H> rounded_out(const Tensor& t) {
  return lowp_round<H>(host_values(t));
}

template <typename H>
void check_pool_lowp(KernelBackend& be, const LowpPoolCase& k, bool ties) {
  SCOPED_TRACE(::testing::Message() << lowp_name<H>() << " x=" << k.x.str() << " window " << k.kh << "x" << k.kw
                                    << " stride " << k.sh << "x" << k.sw << " " << k.padding << " ties=" << ties);
  const uint32_t seed = static_cast<uint32_t>(k.x.numel() + k.kh * 7 + k.sh);
  std::vector<float> xf = uniform_values(k.x.numel(), seed, -2.0, 2.0);
  if (ties)
    for (float& v : xf) v = std::round(v);
  const std::vector<H> x = lowp_round<H>(xf);
  const Tensor cx = host_tensor(k.x, lowp_widen(x));
  const Tensor ymax = ops::call("max_pool", {cx}, lowp_pool_attrs(k, false))[0];
  const Shape ys = ymax.shape();
  const std::vector<H> dy = lowp_round<H>(uniform_values(ys.numel(), seed + 1));
  const Tensor cdy = host_tensor(ys, lowp_widen(dy));
  const ops::Window2d w = ops::window_2d(lowp_pool_attrs(k, false), k.x[1], k.x[2], k.kh, k.kw);
  kernels::PoolGeometry g;
  g.n = k.x[0], g.in_h = k.x[1], g.in_w = k.x[2], g.c = k.x[3], g.out_h = ys[1], g.out_w = ys[2];
  g.kh = k.kh, g.kw = k.kw, g.sh = k.sh, g.sw = k.sw;
  g.pad_top = w.pad_top, g.pad_bottom = w.pad_bottom, g.pad_left = w.pad_left, g.pad_right = w.pad_right;

  DeviceBuffer<H> bx(be, x), bdy(be, dy), y(be, static_cast<size_t>(ys.numel())), dx(be, x.size());
  CUTRAIN_KERNEL_CALL(be, max_pool_forward<H>, g, bx.get(), y.get(), be.stream());
  EXPECT_TRUE(lowp_within_ulps(y.download(), rounded_out<H>(ymax), 0)) << "max_pool";
  CUTRAIN_KERNEL_CALL(be, max_pool_backward<H>, g, bdy.get(), bx.get(), dx.get(), be.stream());
  EXPECT_TRUE(lowp_within_ulps(
      dx.download(), rounded_out<H>(ops::call("max_pool_grad", {cdy, cx}, lowp_pool_attrs(k, false))[0]), 1))
      << "max_pool_grad";
  for (bool include_pad : {false, true}) {
    SCOPED_TRACE(::testing::Message() << "count_include_pad=" << include_pad);
    ops::Attrs a = lowp_pool_attrs(k, include_pad);
    CUTRAIN_KERNEL_CALL(be, avg_pool_forward<H>, g, include_pad, bx.get(), y.get(), be.stream());
    EXPECT_TRUE(lowp_within_ulps(y.download(), rounded_out<H>(ops::call("avg_pool", {cx}, a)[0]), 1)) << "avg_pool";
    a.set("input_shape", k.x.dims());
    CUTRAIN_KERNEL_CALL(be, avg_pool_backward<H>, g, include_pad, bdy.get(), dx.get(), be.stream());
    EXPECT_TRUE(lowp_within_ulps(dx.download(), rounded_out<H>(ops::call("avg_pool_grad", {cdy}, a)[0]), 1))
        << "avg_pool_grad";
  }
}

template <typename H>
void check_global_lowp(KernelBackend& be, int64_t n, int64_t hw, int64_t c) {
  SCOPED_TRACE(::testing::Message() << lowp_name<H>() << " global n=" << n << " hw=" << hw << " c=" << c);
  const Shape xs{n, hw, 1, c};
  const std::vector<H> x = lowp_round<H>(uniform_values(xs.numel(), static_cast<uint32_t>(n * hw + c)));
  const std::vector<H> dy = lowp_round<H>(uniform_values(n * c, 5));
  DeviceBuffer<H> bx(be, x), y(be, static_cast<size_t>(n * c)), bdy(be, dy), dx(be, x.size());
  CUTRAIN_KERNEL_CALL(be, global_avg_pool_forward<H>, bx.get(), n, hw, c, y.get(), be.stream());
  EXPECT_TRUE(lowp_within_ulps(
      y.download(), rounded_out<H>(ops::call("global_avg_pool", {host_tensor(xs, lowp_widen(x))})[0]), 1));
  CUTRAIN_KERNEL_CALL(be, global_avg_pool_backward<H>, bdy.get(), n, hw, c, dx.get(), be.stream());
  EXPECT_TRUE(lowp_within_ulps(dx.download(),
                               rounded_out<H>(ops::call("global_avg_pool_grad", {host_tensor(Shape{n, c}, lowp_widen(dy))},
                                                        {{"input_shape", xs.dims()}})[0]),
                               1));
}

CUTRAIN_KERNEL_TEST(PoolLowpKernels) {
  const std::vector<LowpPoolCase> cases = {
      {{2, 7, 8, 3}, 3, 3, 2, 2, "SAME", {}},    {{1, 6, 6, 33}, 3, 3, 2, 2, "SAME", {}},
      {{2, 5, 7, 8}, 3, 3, 1, 1, "SAME", {}},    {{1, 9, 9, 32}, 3, 3, 2, 2, "VALID", {}},
      {{2, 6, 7, 5}, 3, 2, 2, 3, "EXPLICIT", {2, 0, 1, 1}},
  };
  for_each_order([&] {
    for (const LowpPoolCase& k : cases)
      for (bool ties : {false, true}) {
        check_pool_lowp<Half>(backend(), k, ties);
        check_pool_lowp<BFloat16>(backend(), k, ties);
      }
    for (int64_t hw : edge_sizes(8)) {
      check_global_lowp<Half>(backend(), 2, hw, 33);
      check_global_lowp<BFloat16>(backend(), 2, hw, 33);
    }
  });
}

}  // namespace
