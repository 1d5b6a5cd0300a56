// Spectral norm: sigma against a matrix with known singular values, the
// power-iteration state in training and eval, and the backward rule.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/gradcheck.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/spectral_norm.h"
#include "cutrain/ops/op.h"

using namespace cutrain;

namespace {

using Matrix = std::vector<std::vector<double>>;  // row-major, [rows][cols]

Tensor random(const Shape& s, uint64_t seed, double lo = -2, double hi = 2) {
  Tensor t = Tensor::empty(s, DType::f64);
  t.uniform(lo, hi, seed);
  return t;
}

// A random n x n orthogonal matrix: Gram-Schmidt (twice, for accuracy) on the
// columns of a random matrix.
Matrix random_orthogonal(int n, uint64_t seed) {
  const Tensor r = random({n, n}, seed);
  Matrix q(static_cast<size_t>(n), std::vector<double>(static_cast<size_t>(n)));
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) q[i][j] = r.at({i, j});
  for (int j = 0; j < n; ++j) {
    for (int pass = 0; pass < 2; ++pass)
      for (int k = 0; k < j; ++k) {
        double d = 0;
        for (int i = 0; i < n; ++i) d += q[i][j] * q[i][k];
        for (int i = 0; i < n; ++i) q[i][j] -= d * q[i][k];
      }
    double norm = 0;
    for (int i = 0; i < n; ++i) norm += q[i][j] * q[i][j];
    for (int i = 0; i < n; ++i) q[i][j] /= std::sqrt(norm);
  }
  return q;
}

// U diag(s) V^T with U (rows x rows), V (cols x cols) orthogonal: its
// singular values are exactly s.
Matrix with_singular_values(int rows, int cols, const std::vector<double>& s, uint64_t seed) {
  const Matrix u = random_orthogonal(rows, seed), v = random_orthogonal(cols, seed + 100);
  Matrix m(static_cast<size_t>(rows), std::vector<double>(static_cast<size_t>(cols), 0.0));
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j)
      for (size_t k = 0; k < s.size(); ++k) m[i][j] += u[i][k] * s[k] * v[j][k];
  return m;
}

Tensor as_tensor(const Matrix& m) {
  std::vector<double> flat;
  for (const auto& row : m) flat.insert(flat.end(), row.begin(), row.end());
  return Tensor::from_vector({static_cast<int64_t>(m.size()), static_cast<int64_t>(m[0].size())}, flat,
                             DType::f64);
}

// The matrix view (w.size(dim), -1) computed with explicit permuted indices.
Matrix view_of(const Tensor& w, int dim) {
  const Shape& s = w.shape();
  const int64_t rows = s[dim], cols = w.numel() / rows;
  Matrix m(static_cast<size_t>(rows), std::vector<double>(static_cast<size_t>(cols)));
  std::vector<int64_t> idx(static_cast<size_t>(s.rank()), 0);
  for (int64_t e = 0; e < w.numel(); ++e) {
    int64_t rest = e;
    for (int d = s.rank() - 1; d >= 0; --d) {
      idx[static_cast<size_t>(d)] = rest % s[d];
      rest /= s[d];
    }
    int64_t col = 0;
    for (int d = 0; d < s.rank(); ++d)
      if (d != dim) col = col * s[d] + idx[static_cast<size_t>(d)];
    m[static_cast<size_t>(idx[static_cast<size_t>(dim)])][static_cast<size_t>(col)] = w.flat(e);
  }
  return m;
}

std::vector<double> normalized(std::vector<double> x) {
  double n = 0;
  for (double a : x) n += a * a;
  n = std::max(std::sqrt(n), 1e-12);
  for (double& a : x) a /= n;
  return x;
}

// PyTorch's power iteration, written out independently of the kernel.
void power_iterate(const Matrix& m, std::vector<double>& u, std::vector<double>& v, int n) {
  for (int k = 0; k < n; ++k) {
    std::vector<double> wtu(m[0].size(), 0.0);
    for (size_t i = 0; i < m.size(); ++i)
      for (size_t j = 0; j < m[0].size(); ++j) wtu[j] += m[i][j] * u[i];
    v = normalized(wtu);
    std::vector<double> wv(m.size(), 0.0);
    for (size_t i = 0; i < m.size(); ++i)
      for (size_t j = 0; j < m[0].size(); ++j) wv[i] += m[i][j] * v[j];
    u = normalized(wv);
  }
}

double bilinear(const Matrix& m, const std::vector<double>& u, const std::vector<double>& v) {
  double s = 0;
  for (size_t i = 0; i < m.size(); ++i)
    for (size_t j = 0; j < m[0].size(); ++j) s += u[i] * m[i][j] * v[j];
  return s;
}

ops::Attrs sn_attrs(int64_t iterations, int64_t dim = 0) {
  return {{"n_power_iterations", iterations}, {"eps", 1e-12}, {"dim", dim}};
}

}  // namespace

TEST(SpectralNorm, SigmaEqualsLargestSingularValue) {
  const std::vector<double> s{3.0, 1.5, 1.0, 0.6, 0.2, 0.05};  // sigma1 = 2 sigma2
  const Matrix m = with_singular_values(6, 9, s, 7);
  const Tensor mt = as_tensor(m);
  // The same matrix as a dense [6, 9] weight, an OHWI [6, 1, 3, 3] conv weight
  // (dim 0), and a [3, 6, 3] weight normalised along dim 1.
  Tensor w_dim1 = Tensor::empty({3, 6, 3}, DType::f64);
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 6; ++b)
      for (int c = 0; c < 3; ++c) w_dim1.set_flat((a * 6 + b) * 3 + c, m[b][a * 3 + c]);
  const std::vector<std::pair<Tensor, int>> weights{{mt, 0}, {mt.reshape({6, 1, 3, 3}), 0}, {w_dim1, 1}};
  for (const auto& [w, dim] : weights) {
    auto [u, v] = ops::spectral_norm_init_uv(w.shape(), dim, DType::f64, 3);
    const auto out = ops::call("spectral_norm", {w, u, v}, sn_attrs(50, dim), /*training=*/true);
    EXPECT_NEAR(out[1].item(), 3.0, 1e-9) << w.shape().str();
    EXPECT_LT(max_abs_diff(out[0], ops::call("scale", {w}, {{"alpha", 1.0 / 3.0}})[0]), 1e-9);
    ASSERT_EQ(out[0].shape(), w.shape());
  }
  // Float weights converge to float accuracy.
  auto [u, v] = ops::spectral_norm_init_uv(mt.shape(), 0, DType::f32, 3);
  const auto out = ops::call("spectral_norm", {mt.to(DType::f32), u, v}, sn_attrs(50), true);
  EXPECT_NEAR(out[1].item(), 3.0, 1e-5);
}

TEST(SpectralNorm, TrainingRunsThePowerIterationAndStoresUV) {
  const Tensor w = random({4, 3, 5}, 2);
  for (int dim : {0, 1, 2}) {
    for (int n : {1, 3}) {
      auto [u, v] = ops::spectral_norm_init_uv(w.shape(), dim, DType::f64, 11);
      std::vector<double> eu = u.to_vector(), ev = v.to_vector();
      const Matrix m = view_of(w, dim);
      power_iterate(m, eu, ev, n);
      const auto out = ops::call("spectral_norm", {w, u, v}, sn_attrs(n, dim), /*training=*/true);
      for (int64_t i = 0; i < u.numel(); ++i) EXPECT_NEAR(u.flat(i), eu[static_cast<size_t>(i)], 1e-14);
      for (int64_t j = 0; j < v.numel(); ++j) EXPECT_NEAR(v.flat(j), ev[static_cast<size_t>(j)], 1e-14);
      const double sigma = bilinear(m, eu, ev);
      EXPECT_NEAR(out[1].item(), sigma, 1e-13);
      for (int64_t e = 0; e < w.numel(); ++e) EXPECT_NEAR(out[0].flat(e), w.flat(e) / sigma, 1e-13);
    }
  }
}

TEST(SpectralNorm, EvalLeavesUVUnchanged) {
  const Tensor w = random({5, 7}, 4);
  auto [u, v] = ops::spectral_norm_init_uv(w.shape(), 0, DType::f64, 5);
  const Tensor u0 = u.clone(), v0 = v.clone();
  const auto out = ops::call("spectral_norm", {w, u, v}, sn_attrs(4), /*training=*/false);
  EXPECT_EQ(max_abs_diff(u, u0), 0.0);
  EXPECT_EQ(max_abs_diff(v, v0), 0.0);
  EXPECT_NEAR(out[1].item(), bilinear(view_of(w, 0), u0.to_vector(), v0.to_vector()), 1e-14);
  // Training with the same attrs moves them.
  ops::call("spectral_norm", {w, u, v}, sn_attrs(4), /*training=*/true);
  EXPECT_GT(max_abs_diff(u, u0), 1e-6);
  EXPECT_GT(max_abs_diff(v, v0), 1e-6);
}

TEST(SpectralNorm, RejectsMismatchedVectors) {
  const Tensor w = random({4, 6}, 1);
  try {
    ops::call("spectral_norm", {w, random({6}, 2), random({4}, 3)}, sn_attrs(1));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("op 'spectral_norm'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(4, 6)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ops::call("spectral_norm", {w, random({4}, 2), random({6}, 3)}, sn_attrs(1, 2)), Error);
}

class SpectralNormGrad : public ::testing::TestWithParam<uint64_t> {};

// The rule holds u and v constant, which is exactly the eval-mode function of w.
TEST_P(SpectralNormGrad, EvalModeWrtWeight) {
  const uint64_t seed = GetParam();
  const std::vector<std::pair<Shape, int>> cases{{{5, 7}, 0}, {{4, 3, 2, 3}, 0}, {{3, 4, 5}, 1}, {{3, 5}, -1}};
  for (const auto& [shape, dim] : cases) {
    const Tensor w = random(shape, seed);
    auto [u, v] = ops::spectral_norm_init_uv(shape, dim, DType::f64, seed + 7);
    const auto r = graph::check_op_gradients("spectral_norm", {w, u, v}, sn_attrs(1, dim),
                                             {.training = false, .seed = seed});
    EXPECT_TRUE(r.ok) << shape.str() << " dim " << dim << "\n" << r.detail;
    EXPECT_LE(r.max_rel_error_inputs, 1e-6);
  }
}

// At convergence u and v are the top singular vectors, where sigma(w) is
// stationary in them: the constant-u, v rule is then the true derivative of
// the training forward too.
TEST_P(SpectralNormGrad, TrainingAtConvergence) {
  const uint64_t seed = GetParam();
  const Tensor w = as_tensor(with_singular_values(5, 7, {2.0, 1.0, 0.5, 0.3, 0.1}, seed));
  auto [u, v] = ops::spectral_norm_init_uv(w.shape(), 0, DType::f64, seed);
  ops::call("spectral_norm", {w, u, v}, sn_attrs(60), true);  // converge the stored vectors first
  const auto r = graph::check_op_gradients("spectral_norm", {w, u, v}, sn_attrs(60),
                                           {.training = true, .seed = seed});
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_LE(r.max_rel_error_inputs, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Seeds, SpectralNormGrad, ::testing::Values(1u, 2u, 3u));

TEST(SpectralNormGraph, BackwardUsesTheUpdatedVectors) {
  graph::Graph g;
  const Tensor w0 = random({3, 2, 2}, 6), r0 = random({3, 2, 2}, 7);
  auto [u0, v0] = ops::spectral_norm_init_uv(w0.shape(), 0, DType::f64, 8);
  auto w = g.parameter("w", w0);
  auto u = g.state("u", u0.clone());
  auto v = g.state("v", v0.clone());
  const auto sn = graph::spectral_norm(w, u, v, 2);
  auto loss = graph::sum_to(graph::mul(sn.weight, g.constant(r0, "r")), Shape{});
  auto grads = graph::gradients(g, loss, {w});
  graph::Executor ex(g, Device::cpu());
  const auto out = ex.run(std::map<int, Tensor>{}, {sn.sigma, grads[0]}, graph::kTraining);

  std::vector<double> eu = u0.to_vector(), ev = v0.to_vector();
  const Matrix m = view_of(w0, 0);
  power_iterate(m, eu, ev, 2);
  const Tensor& u1 = ex.leaf(u);
  for (int64_t i = 0; i < u1.numel(); ++i) EXPECT_NEAR(u1.flat(i), eu[static_cast<size_t>(i)], 1e-14);
  const double sigma = bilinear(m, eu, ev);
  EXPECT_NEAR(out[0].item(), sigma, 1e-14);
  // dW = (G - <G, W_sn> u v^T) / sigma with G = r.
  double dot = 0;
  for (int64_t e = 0; e < w0.numel(); ++e) dot += r0.flat(e) * w0.flat(e) / sigma;
  for (int64_t e = 0; e < w0.numel(); ++e) {
    const double uv = eu[static_cast<size_t>(e / 4)] * ev[static_cast<size_t>(e % 4)];
    EXPECT_NEAR(out[1].flat(e), (r0.flat(e) - dot * uv) / sigma, 1e-14);
  }
}
