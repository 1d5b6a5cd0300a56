// Spectral normalisation op family: the forward with its power iteration and
// the backward op that treats u and v as constants.
#include "cutrain/ops/spectral_norm.h"

#include <algorithm>
#include <cmath>

#include "cutrain/core/error.h"
#include "cutrain/cpu/kernel.h"
#include "cutrain/cpu/spectral_norm.h"

namespace cutrain::ops {

namespace {

using Specs = std::vector<TensorSpec>;
using Tensors = std::vector<Tensor>;

// Checks w, u, v (and returns dim normalised to [0, rank)).
int check_weight_and_vectors(const std::string& op, const Attrs& a, const TensorSpec& w,
                             const TensorSpec& u, const TensorSpec& v) {
  CUTRAIN_OP_CHECK(op, is_floating(w.dtype), "weight must be floating point, got ", w.str());
  CUTRAIN_OP_CHECK(op, w.shape.rank() >= 1 && w.shape.numel() > 0, "weight must be non-empty, got ", w.str());
  const int64_t dim = a.i("dim", 0);
  CUTRAIN_OP_CHECK(op, dim >= -w.shape.rank() && dim < w.shape.rank(), "dim ", dim, " is out of range for ",
                   w.str());
  const int d = w.shape.normalize_axis(static_cast<int>(dim));
  const int64_t h = w.shape[d], cols = w.shape.numel() / h;
  CUTRAIN_OP_CHECK(op, u == (TensorSpec{Shape{h}, w.dtype}), "u must be ", dtype_name(w.dtype), "[", h,
                   "] for weight ", w.str(), " viewed as (", h, ", ", cols, "), got ", u.str());
  CUTRAIN_OP_CHECK(op, v == (TensorSpec{Shape{cols}, w.dtype}), "v must be ", dtype_name(w.dtype), "[", cols,
                   "] for weight ", w.str(), " viewed as (", h, ", ", cols, "), got ", v.str());
  return d;
}

int normalized_dim(const Attrs& a, const Shape& s) { return s.normalize_axis(static_cast<int>(a.i("dim", 0))); }

}  // namespace

void register_spectral_norm_ops(OpRegistry& r) {
  OpSchema s;
  s.name = "spectral_norm";
  s.num_inputs = 3;
  s.num_outputs = 2;
  s.mutated_inputs = {1, 2};
  s.nondifferentiable_inputs = {1, 2};
  s.doc = "(w, u [h], v [numel/h]) -> (w / sigma, sigma []); attrs n_power_iterations, eps, dim";
  s.infer = [](const Attrs& a, const Specs& in) {
    const std::string op = "spectral_norm";
    check_weight_and_vectors(op, a, in[0], in[1], in[2]);
    CUTRAIN_OP_CHECK(op, a.i("n_power_iterations", 1) >= 0, "n_power_iterations must be >= 0, got ",
                     a.i("n_power_iterations", 1));
    CUTRAIN_OP_CHECK(op, a.f("eps", 1e-12) > 0, "eps must be > 0, got ", a.f("eps", 1e-12));
    return Specs{in[0], {Shape{}, in[0].dtype}};
  };
  s.kernels[DeviceType::cpu] = cpu::on_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::SpectralNormParams p;
    p.n_power_iterations = c.attrs.i("n_power_iterations", 1);
    p.eps = c.attrs.f("eps", 1e-12);
    p.dim = normalized_dim(c.attrs, in[0].shape());
    p.training = c.training;
    cpu::spectral_norm(c.op_name, p, in[0], in[1], in[2], out[0], out[1]);
  });
  r.add(std::move(s));

  OpSchema b;
  b.name = "spectral_norm_grad";
  b.num_inputs = -1;
  b.min_inputs = 5;
  b.nondifferentiable_inputs = {2, 3};
  b.doc = "(G, w_sn, u, v, sigma, [dsigma]) -> dW = (G - <G, w_sn> u v^T) / sigma + dsigma u v^T; attr dim";
  b.infer = [](const Attrs& a, const Specs& in) {
    const std::string op = "spectral_norm_grad";
    CUTRAIN_OP_CHECK(op, in.size() <= 6, "takes G, w_sn, u, v, sigma and optional dsigma, got ", specs_str(in));
    check_weight_and_vectors(op, a, in[1], in[2], in[3]);
    CUTRAIN_OP_CHECK(op, in[0] == in[1], "G ", in[0].str(), " must match w_sn ", in[1].str());
    const TensorSpec scalar{Shape{}, in[1].dtype};
    CUTRAIN_OP_CHECK(op, in[4] == scalar, "sigma must be ", scalar.str(), ", got ", in[4].str());
    if (in.size() == 6) CUTRAIN_OP_CHECK(op, in[5] == scalar, "dsigma must be ", scalar.str(), ", got ", in[5].str());
    return Specs{in[1]};
  };
  b.kernels[DeviceType::cpu] = cpu::on_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::spectral_norm_grad(c.op_name, normalized_dim(c.attrs, in[1].shape()), in[0], in[1], in[2], in[3],
                            in[4], in.size() > 5 ? in[5] : Tensor{}, out[0]);
  });
  r.add(std::move(b));
}

std::pair<Tensor, Tensor> spectral_norm_init_uv(const Shape& shape, int dim, DType dtype, uint64_t seed,
                                                double eps) {
  const int d = shape.normalize_axis(dim);
  const int64_t h = shape[d], cols = shape.numel() / h;
  auto draw = [&](int64_t n, uint64_t s) {
    Tensor t = Tensor::zeros(Shape{n}, DType::f64);
    t.normal(0.0, 1.0, s);
    double norm = 0;
    for (int64_t i = 0; i < n; ++i) norm += t.flat(i) * t.flat(i);
    norm = std::max(std::sqrt(norm), eps);
    for (int64_t i = 0; i < n; ++i) t.set_flat(i, t.flat(i) / norm);
    return t.to(dtype);
  };
  return {draw(h, seed), draw(cols, seed + 1)};
}

}  // namespace cutrain::ops
