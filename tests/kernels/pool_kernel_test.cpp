// pool.cu against the CPU max_pool, avg_pool (both divisors), their grads and
// global_avg_pool(_grad) ops on the same inputs: TF SAME with asymmetric
// padding, VALID, explicit pads; odd channel counts; ties for max pool;
// typed over float and double.
#include <cmath>

#include "cutrain/ops/padding.h"
#include "kernel_test_harness.h"
#include "op_reference.h"
#include "pool.cuh"

namespace {

using namespace cutrain;
using namespace cutrain::testing;

struct Case {
  Shape x;
  int64_t kh, kw, sh, sw;
  std::string padding;
  std::vector<int64_t> pads;
};

ops::Attrs attrs(const Case& k, bool include_pad) {
  ops::Attrs a{{"window", std::vector<int64_t>{k.kh, k.kw}},
               {"strides", std::vector<int64_t>{k.sh, k.sw}},
               {"padding", k.padding}};
  if (!k.pads.empty()) a.set("pads", k.pads);
  if (include_pad) a.set("count_include_pad", true);
  return a;
}

kernels::PoolGeometry geometry(const Case& k, const Shape& y) {
  const ops::Window2d w = ops::window_2d(attrs(k, false), k.x[1], k.x[2], k.kh, k.kw);
  kernels::PoolGeometry g;
  g.n = k.x[0], g.in_h = k.x[1], g.in_w = k.x[2], g.c = k.x[3], g.out_h = y[1], g.out_w = y[2];
  g.kh = k.kh, g.kw = k.kw, g.sh = k.sh, g.sw = k.sw;
  g.pad_top = w.pad_top, g.pad_bottom = w.pad_bottom, g.pad_left = w.pad_left,
  g.pad_right = w.pad_right;
  return g;
}

template <typename T>
void check(KernelBackend& be, const Case& k, bool ties) {
  SCOPED_TRACE(::testing::Message()
               << "x=" << k.x.str() << " window " << k.kh << "x" << k.kw << " stride " << k.sh
               << "x" << k.sw << " " << k.padding << " ties=" << ties);
  const uint32_t seed = static_cast<uint32_t>(k.x.numel() + k.kh * 7 + k.sh);
  std::vector<T> x = uniform_values<T>(k.x.numel(), seed, -2.0, 2.0);
  if (ties)
    for (T& v : x) v = std::round(v);  // 5 distinct values: many equal maxima
  const Tensor cx = host_tensor(k.x, x);
  const Tensor ymax = ops::call("max_pool", {cx}, attrs(k, false))[0];
  const Shape ys = ymax.shape();
  const auto dy = uniform_values<T>(ys.numel(), seed + 1);
  const Tensor cdy = host_tensor(ys, dy);
  const kernels::PoolGeometry g = geometry(k, ys);
  const double avg_atol = tolerance<T>(1e-7, 1e-16), rtol = elementwise_rtol<T>();

  DeviceBuffer<T> bx(be, x), bdy(be, dy), y(be, static_cast<size_t>(ys.numel())), dx(be, x.size());
  CUTRAIN_KERNEL_CALL(be, max_pool_forward<T>, g, bx.get(), y.get(), be.stream());
  EXPECT_TRUE(all_close(y.download(), host_values<T>(ymax), 0, 0)) << "max_pool";
  CUTRAIN_KERNEL_CALL(be, max_pool_backward<T>, g, bdy.get(), bx.get(), dx.get(), be.stream());
  EXPECT_TRUE(all_close(dx.download(),
                        host_values<T>(ops::call("max_pool_grad", {cdy, cx}, attrs(k, false))[0]),
                        0, 0))
      << "max_pool_grad";
  for (bool include_pad : {false, true}) {
    SCOPED_TRACE(::testing::Message() << "count_include_pad=" << include_pad);
    ops::Attrs a = attrs(k, include_pad);
    CUTRAIN_KERNEL_CALL(be, avg_pool_forward<T>, g, include_pad, bx.get(), y.get(), be.stream());
    EXPECT_TRUE(
        all_close(y.download(), host_values<T>(ops::call("avg_pool", {cx}, a)[0]), avg_atol, rtol))
        << "avg_pool";
    a.set("input_shape", k.x.dims());
    CUTRAIN_KERNEL_CALL(be, avg_pool_backward<T>, g, include_pad, bdy.get(), dx.get(), be.stream());
    EXPECT_TRUE(all_close(dx.download(), host_values<T>(ops::call("avg_pool_grad", {cdy}, a)[0]),
                          avg_atol, rtol))
        << "avg_pool_grad";
  }
}

template <typename T>
void check_global(KernelBackend& be, int64_t n, int64_t hw, int64_t c) {
  SCOPED_TRACE(::testing::Message() << "global n=" << n << " hw=" << hw << " c=" << c);
  const Shape xs{n, hw, 1, c};
  const auto x = uniform_values<T>(xs.numel(), static_cast<uint32_t>(n * hw + c)),
             dy = uniform_values<T>(n * c, 5);
  DeviceBuffer<T> bx(be, x), y(be, static_cast<size_t>(n * c)), bdy(be, dy), dx(be, x.size());
  CUTRAIN_KERNEL_CALL(be, global_avg_pool_forward<T>, bx.get(), n, hw, c, y.get(), be.stream());
  EXPECT_TRUE(all_close(y.download(),
                        host_values<T>(ops::call("global_avg_pool", {host_tensor(xs, x)})[0]),
                        tolerance<T>(1e-6, 1e-15), reduction_rtol<T>()));
  CUTRAIN_KERNEL_CALL(be, global_avg_pool_backward<T>, bdy.get(), n, hw, c, dx.get(), be.stream());
  EXPECT_TRUE(
      all_close(dx.download(),
                host_values<T>(ops::call("global_avg_pool_grad", {host_tensor(Shape{n, c}, dy)},
                                         {{"input_shape", xs.dims()}})[0]),
                0, tolerance<T>(1e-6, 1e-15)));
}

CUTRAIN_TYPED_KERNEL_TEST(PoolKernels) {
  using T = typename TypeParam::Scalar;
  KernelBackend& be = this->backend();
  const std::vector<Case> cases = {
      {{2, 7, 8, 3}, 3, 3, 2, 2, "SAME", {}},    // asymmetric along w (pad 0/1)
      {{1, 6, 6, 33}, 3, 3, 2, 2, "SAME", {}},   // asymmetric both axes
      {{2, 5, 7, 1}, 3, 3, 1, 1, "SAME", {}},    // Inception's 3x3/1 avg pool
      {{1, 9, 9, 32}, 3, 3, 2, 2, "VALID", {}},  // Inception's 3x3/2 max pool
      {{1, 8, 5, 31}, 2, 3, 2, 1, "SAME", {}},   // rectangular window
      {{2, 6, 7, 5}, 3, 2, 2, 3, "EXPLICIT", {2, 0, 1, 1}},
      {{1, 4, 4, 2}, 4, 4, 1, 1, "VALID", {}},   // window = input
      {{3, 11, 13, 2}, 5, 3, 3, 2, "SAME", {}},  // several blocks with a tail
  };
  this->for_each_order([&] {
    for (const Case& k : cases)
      for (bool ties : {false, true}) check<T>(be, k, ties);
    for (int64_t hw : edge_sizes(8)) check_global<T>(be, 2, hw, 33);
    check_global<T>(be, 1, 64, 257);
  });
}

}  // namespace
