// The fused Inception concat op: schema, inference, CPU kernels, backward.
#include "cutrain/ops/inception_concat.h"

#include "cutrain/core/error.h"
#include "cutrain/cpu/inception_concat.h"
#include "cuda_binding.h"
#if CUTRAIN_WITH_CUDA
#include "cutrain/cuda/inception_concat.h"
#endif
#include "cutrain/ops/cpu_kernel.h"

namespace cutrain::ops {

namespace {

constexpr int kMaxBranches = 4;

// Inputs per branch: x, then (affine) a and b, then (center) m.
size_t inputs_per_branch(const Attrs& a) {
  const bool affine = a.b("affine", false), center = a.b("center", false);
  CUTRAIN_CHECK(affine || !center, "center needs affine");
  return center ? 4 : affine ? 3 : 1;
}

}  // namespace

int branch_count(const Attrs& a, size_t inputs) {
  const size_t per = inputs_per_branch(a);
  CUTRAIN_CHECK(inputs % per == 0, per == 4 ? "centred affine needs k branches, k scales, k shifts and k centres"
                                   : per == 3 ? "affine needs k branches, k scales and k shifts"
                                              : "expects k branches",
                ", got ", inputs, " inputs");
  const int k = static_cast<int>(inputs / per);
  CUTRAIN_CHECK(k >= 2 && k <= kMaxBranches, "takes 2 to ", kMaxBranches, " branches, got ", k);
  return k;
}

namespace {

// 16-bit activations keep their batch norm's parameters in fp32.
DType concat_param_dtype(DType x) { return x == DType::f16 || x == DType::bf16 ? DType::f32 : x; }

bool concat_float_dtype(DType t) {
  return t == DType::f32 || t == DType::f64 || t == DType::f16 || t == DType::bf16;
}

void check_vector(const TensorSpec& t, const TensorSpec& x, const char* what, int b) {
  const DType want = concat_param_dtype(x.dtype);
  CUTRAIN_CHECK(t.dtype == want && t.shape == Shape{x.shape[-1]}, what, " of branch ", b, " ", t.str(),
                " must be ", dtype_name(want), "[", x.shape[-1], "] for ", x.str());
}

std::vector<Tensor> slice(const std::vector<Tensor>& v, size_t first, size_t n) {
  if (first >= v.size()) return {};
  return std::vector<Tensor>(v.begin() + static_cast<std::ptrdiff_t>(first),
                             v.begin() + static_cast<std::ptrdiff_t>(first + n));
}

}  // namespace

void register_inception_concat_ops(OpRegistry& r) {
  OpSchema s;
  s.name = "inception_concat";
  s.num_inputs = -1;
  s.min_inputs = 2;
  s.doc = "(x_0..x_{k-1} [, a_0..a_{k-1}, b_0..b_{k-1} [, m_0..m_{k-1}]]) -> channel concat of relu?(a x + b) "
          "or relu?((x - m) a + b); attrs affine, center, relu";
  s.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    const int k = branch_count(a, in.size());
    const TensorSpec& x0 = in[0];
    CUTRAIN_CHECK(concat_float_dtype(x0.dtype), "x_0 ", x0.str(), " must be f32, f64, f16 or bf16");
    CUTRAIN_CHECK(x0.shape.rank() >= 1, "x_0 ", x0.str(), " needs a channel axis");
    int64_t channels = 0;
    for (int b = 0; b < k; ++b) {
      const TensorSpec& x = in[static_cast<size_t>(b)];
      CUTRAIN_CHECK(x.dtype == x0.dtype && x.shape.rank() == x0.shape.rank(), "x_", b, " ", x.str(),
                    " does not match x_0 ", x0.str());
      for (int d = 0; d + 1 < x.shape.rank(); ++d)
        CUTRAIN_CHECK(x.shape[d] == x0.shape[d], "x_", b, " ", x.str(), " and x_0 ", x0.str(),
                      " differ outside the channel axis");
      CUTRAIN_CHECK(x.shape[-1] > 0, "x_", b, " ", x.str(), " has no channels");
      channels += x.shape[-1];
      if (a.b("affine", false)) {
        check_vector(in[static_cast<size_t>(k + b)], x, "scale", b);
        check_vector(in[static_cast<size_t>(2 * k + b)], x, "shift", b);
      }
      if (a.b("center", false)) check_vector(in[static_cast<size_t>(3 * k + b)], x, "center", b);
    }
    std::vector<int64_t> dims = x0.shape.dims();
    dims.back() = channels;
    return std::vector<TensorSpec>{{Shape(dims), x0.dtype}};
  };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        const size_t k = static_cast<size_t>(branch_count(ctx.attrs, in.size()));
        cpu::inception_concat(ctx.op_name, slice(in, 0, k), slice(in, k, k), slice(in, 2 * k, k),
                              slice(in, 3 * k, k), ctx.attrs.b("relu", false), out[0]);
      });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [](const OpContext& ctx, const std::vector<Tensor>& in,
                                   const std::vector<Tensor>& out) {
    const size_t k = static_cast<size_t>(branch_count(ctx.attrs, in.size()));
    cuda::inception_concat(ctx.op_name, slice(in, 0, k), slice(in, k, k), slice(in, 2 * k, k), slice(in, 3 * k, k),
                           ctx.attrs.b("relu", false), out[0], cuda_stream(ctx));
  };
#endif
  r.add(std::move(s));

  OpSchema d;
  d.name = "inception_concat_grad";
  d.num_inputs = -1;
  d.min_inputs = 1;
  d.num_outputs = -1;
  d.doc = "(dy, [y if relu], [a_0..a_{k-1} if affine]) -> dx_0..dx_{k-1}; attrs channels, relu, affine";
  d.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    const std::vector<int64_t>& channels = a.ints("channels");
    const size_t k = channels.size();
    CUTRAIN_CHECK(k >= 2 && k <= kMaxBranches, "channels must list 2 to ", kMaxBranches, " branches, got ", k);
    const bool relu = a.b("relu", false), affine = a.b("affine", false);
    const size_t want = 1 + (relu ? 1 : 0) + (affine ? k : 0);
    CUTRAIN_CHECK(in.size() == want, "expects ", want, " inputs (dy", relu ? ", y" : "", affine ? ", scales" : "",
                  "), got ", in.size());
    const TensorSpec& dy = in[0];
    CUTRAIN_CHECK(concat_float_dtype(dy.dtype), "dy ", dy.str(), " must be f32, f64, f16 or bf16");
    CUTRAIN_CHECK(dy.shape.rank() >= 1, "dy ", dy.str(), " needs a channel axis");
    int64_t total = 0;
    for (int64_t c : channels) {
      CUTRAIN_CHECK(c > 0, "channel counts must be positive");
      total += c;
    }
    CUTRAIN_CHECK(dy.shape[-1] == total, "dy ", dy.str(), " has ", dy.shape[-1], " channels, the branches ", total);
    if (relu) CUTRAIN_CHECK(in[1] == dy, "y ", in[1].str(), " must match dy ", dy.str());
    std::vector<TensorSpec> out;
    for (size_t b = 0; b < k; ++b) {
      std::vector<int64_t> dims = dy.shape.dims();
      dims.back() = channels[b];
      out.push_back({Shape(dims), dy.dtype});
      if (affine) check_vector(in[1 + (relu ? 1 : 0) + b], out.back(), "scale", static_cast<int>(b));
    }
    return out;
  };
  d.kernels[DeviceType::cpu] = ops::on_cpu_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        const bool relu = ctx.attrs.b("relu", false), affine = ctx.attrs.b("affine", false);
        const size_t first_scale = relu ? 2 : 1;
        cpu::inception_concat_grad(ctx.op_name, in[0], relu ? in[1] : Tensor(), relu,
                                   affine ? slice(in, first_scale, out.size()) : std::vector<Tensor>{}, out);
      });
#if CUTRAIN_WITH_CUDA
  d.kernels[DeviceType::cuda] = [](const OpContext& ctx, const std::vector<Tensor>& in,
                                   const std::vector<Tensor>& out) {
    const bool relu = ctx.attrs.b("relu", false), affine = ctx.attrs.b("affine", false);
    const size_t first_scale = relu ? 2 : 1;
    cuda::inception_concat_grad(ctx.op_name, in[0], relu ? in[1] : Tensor(), relu,
                                affine ? slice(in, first_scale, out.size()) : std::vector<Tensor>{}, out,
                                cuda_stream(ctx));
  };
#endif
  r.add(std::move(d));
}

}  // namespace cutrain::ops
