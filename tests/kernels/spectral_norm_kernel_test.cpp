// spectral_norm.cu against the CPU spectral_norm and spectral_norm_grad ops
// on the same inputs: training with 1 and 3 power iterations (u, v updated),
// eval and n_power_iterations = 0 (u, v untouched), dim 0 and an inner dim,
// and sigma of a matrix with a known spectral gap.
#include <cmath>

#include "kernel_test_harness.h"
#include "op_reference.h"
#include "cutrain/ops/spectral_norm.h"
#include "spectral_norm.cuh"

namespace {

using namespace cutrain;
using namespace cutrain::testing;

struct View {
  int64_t rows, cols, inner;
};
View view(const Shape& s, int dim) {
  int64_t inner = 1;
  for (int d = dim + 1; d < s.rank(); ++d) inner *= s[d];
  return {s[dim], s.numel() / s[dim], inner};
}

// Runs the kernel and the CPU op on copies of the same w, u, v.
void check_forward(KernelBackend& be, const Shape& s, int dim, int64_t iterations, bool training,
                   const std::vector<float>& w) {
  SCOPED_TRACE(::testing::Message() << "w=" << s.str() << " dim=" << dim << " iterations=" << iterations
                                    << " training=" << training);
  const View m = view(s, dim);
  const auto [u0, v0] = ops::spectral_norm_init_uv(s, dim, DType::f32, static_cast<uint64_t>(m.rows * 3 + m.cols));
  const auto u = host_values(u0), v = host_values(v0);
  const Tensor cu = host_tensor({m.rows}, u), cv = host_tensor({m.cols}, v);
  const auto ref = ops::call("spectral_norm", {host_tensor(s, w), cu, cv},
                             {{"n_power_iterations", iterations}, {"dim", static_cast<int64_t>(dim)}}, training);
  DeviceBuffer<float> bw(be, w), bu(be, u), bv(be, v), wsn(be, w.size()), sigma(be, 1);
  DeviceBuffer<double> ws(be, static_cast<size_t>(kernels::emu::spectral_norm_workspace(m.rows, m.cols)));
  CUTRAIN_KERNEL_CALL(be, spectral_norm_forward<float>, bw.get(), m.rows, m.cols, m.inner,
                      training ? iterations : 0, 1e-12, bu.get(), bv.get(), wsn.get(), sigma.get(), ws.get(),
                      be.stream());
  EXPECT_TRUE(all_close(sigma.download(), host_values(ref[1]), 0, 1e-5)) << "sigma";
  EXPECT_TRUE(all_close(wsn.download(), host_values(ref[0]), 1e-7, 1e-5)) << "w_sn";
  EXPECT_TRUE(all_close(bu.download(), host_values(cu), 1e-6, 1e-5)) << "u";
  EXPECT_TRUE(all_close(bv.download(), host_values(cv), 1e-6, 1e-5)) << "v";
  if (!training || iterations == 0) {
    EXPECT_TRUE(all_close(bu.download(), u, 0, 0)) << "u must stay";
    EXPECT_TRUE(all_close(bv.download(), v, 0, 0)) << "v must stay";
  }
}

void check_backward(KernelBackend& be, const Shape& s, int dim, bool with_dsigma) {
  SCOPED_TRACE(::testing::Message() << "grad w=" << s.str() << " dim=" << dim << " dsigma=" << with_dsigma);
  const View m = view(s, dim);
  const uint32_t seed = static_cast<uint32_t>(s.numel());
  const auto g = uniform_values(s.numel(), seed), wsn = uniform_values(s.numel(), seed + 1), u = uniform_values(m.rows, seed + 2),
             v = uniform_values(m.cols, seed + 3), sigma = uniform_values(1, seed + 4, 0.5, 2.0), dsigma = uniform_values(1, seed + 5);
  std::vector<Tensor> in{host_tensor(s, g), host_tensor(s, wsn), host_tensor({m.rows}, u), host_tensor({m.cols}, v),
                         host_tensor(Shape{}, sigma)};
  if (with_dsigma) in.push_back(host_tensor(Shape{}, dsigma));
  const auto ref = ops::call("spectral_norm_grad", in, {{"dim", static_cast<int64_t>(dim)}});
  DeviceBuffer<float> bg(be, g), bw(be, wsn), bu(be, u), bv(be, v), bs(be, sigma), bds(be, dsigma), dw(be, g.size());
  DeviceBuffer<double> ws(be, static_cast<size_t>(kernels::emu::spectral_norm_grad_workspace(s.numel())));
  CUTRAIN_KERNEL_CALL(be, spectral_norm_backward<float>, bg.get(), bw.get(), bu.get(), bv.get(), bs.get(),
                      with_dsigma ? bds.get() : nullptr, m.rows, m.cols, m.inner, dw.get(), ws.get(), be.stream());
  EXPECT_TRUE(all_close(dw.download(), host_values(ref[0]), 1e-6, 1e-5));
}

// W = Q1 diag(5, 1, 0.5, ...) Q2^T from Gram-Schmidt orthonormal bases.
std::vector<float> known_gap(int64_t n) {
  auto orthonormal = [&](uint32_t seed) {
    std::vector<double> q = uniform_values<double>(n * n, seed);
    for (int64_t j = 0; j < n; ++j)
      for (int pass = 0; pass < 2; ++pass) {
        for (int64_t k = 0; k < j; ++k) {
          double d = 0;
          for (int64_t i = 0; i < n; ++i) d += q[static_cast<size_t>(i * n + j)] * q[static_cast<size_t>(i * n + k)];
          for (int64_t i = 0; i < n; ++i) q[static_cast<size_t>(i * n + j)] -= d * q[static_cast<size_t>(i * n + k)];
        }
        double norm = 0;
        for (int64_t i = 0; i < n; ++i) norm += q[static_cast<size_t>(i * n + j)] * q[static_cast<size_t>(i * n + j)];
        for (int64_t i = 0; i < n; ++i) q[static_cast<size_t>(i * n + j)] /= std::sqrt(norm);
      }
    return q;
  };
  const auto a = orthonormal(1), b = orthonormal(2);
  std::vector<float> w(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t k = 0; k < n; ++k)
        s += a[static_cast<size_t>(i * n + k)] * (k == 0 ? 5.0 : 1.0 / static_cast<double>(k)) *
             b[static_cast<size_t>(j * n + k)];
      w[static_cast<size_t>(i * n + j)] = static_cast<float>(s);
    }
  return w;
}

CUTRAIN_KERNEL_TEST(SpectralNormKernels) {
  const std::vector<std::pair<Shape, int>> shapes = {
      {{1, 1}, 0}, {{31, 33}, 0}, {{33, 257}, 0}, {{257, 31}, 0}, {{5, 3, 3, 7}, 0}, {{5, 3, 3, 7}, 3},
      {{4, 32, 9}, 1}};
  for_each_order([&] {
    for (const auto& [s, dim] : shapes) {
      const auto w = uniform_values(s.numel(), static_cast<uint32_t>(s.numel() + dim));
      check_forward(backend(), s, dim, 1, true, w);
      check_backward(backend(), s, dim, dim == 0);
    }
    const Shape s{31, 33};
    const auto w = uniform_values(s.numel(), 9);
    check_forward(backend(), s, 0, 3, true, w);
    check_forward(backend(), s, 0, 3, false, w);
    check_forward(backend(), s, 0, 0, true, w);
    check_backward(backend(), {31, 33}, 0, false);
  });
  // Known spectral gap 5 : 1: the power iteration converges to sigma = 5.
  const int64_t n = 24;
  const auto w = known_gap(n);
  check_forward(backend(), {n, n}, 0, 30, true, w);
  const auto [u0, v0] = ops::spectral_norm_init_uv({n, n}, 0, DType::f32, 3);
  DeviceBuffer<float> bw(backend(), w), bu(backend(), host_values(u0)), bv(backend(), host_values(v0)),
      wsn(backend(), w.size()), sigma(backend(), 1);
  DeviceBuffer<double> ws(backend(), static_cast<size_t>(2 * n));
  CUTRAIN_KERNEL_CALL(backend(), spectral_norm_forward<float>, bw.get(), n, n, n, 30, 1e-12, bu.get(), bv.get(),
                      wsn.get(), sigma.get(), ws.get(), backend().stream());
  EXPECT_TRUE(all_close(sigma.download(), std::vector<float>{5.0f}, 0, 1e-4));
}

}  // namespace
