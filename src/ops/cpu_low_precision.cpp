// The CPU reference of 16-bit activations (ops/low_precision.h): every op's
// inference and CPU kernel wrapped once, so no op needs its own 16-bit path.
#include <algorithm>
#include <mutex>
#include <set>
#include <tuple>

#include "cutrain/cpu/cast.h"
#include "cutrain/ops/cast.h"
#include "cutrain/ops/check_finite.h"
#include "cutrain/ops/low_precision.h"
#include "cutrain/ops/op.h"

namespace cutrain::ops {

namespace {

struct LowPrecisionKernels {
  std::mutex mu;
  std::set<std::tuple<std::string, DeviceType, DType>> entries;
};
LowPrecisionKernels& low_precision_kernels() {
  static LowPrecisionKernels k;
  return k;
}

// The one 16-bit dtype among the specs (f32 when none); both is an error naming the op.
DType low_precision_of(const std::string& op, const std::vector<TensorSpec>& in) {
  DType low = DType::f32;
  for (const TensorSpec& s : in) {
    if (!is_16_bit_float(s.dtype)) continue;
    CUTRAIN_OP_CHECK(op, low == DType::f32 || low == s.dtype, "mixes f16 and bf16 inputs ", specs_str(in),
                     ": cast them to one 16-bit dtype");
    low = s.dtype;
  }
  return low;
}

InferFn low_precision_infer(const std::string& op, InferFn base) {
  return [op, base](const Attrs& a, const std::vector<TensorSpec>& in) {
    const DType low = low_precision_of(op, in);
    if (low == DType::f32) return base(a, in);
    std::vector<TensorSpec> wide = in;
    for (TensorSpec& s : wide)
      if (s.dtype == low) s.dtype = DType::f32;
    std::vector<TensorSpec> out = base(a, wide);
    for (TensorSpec& o : out) {
      if (o.dtype != DType::f32) continue;
      const bool beside_f32 = std::any_of(in.begin(), in.end(), [&](const TensorSpec& s) {
        return s.dtype == DType::f32 && s.shape == o.shape;
      });
      if (!beside_f32) o.dtype = low;
    }
    return out;
  };
}

// Widens or rounds src into dst (same element count); dst may be a strided view.
void low_precision_convert(const std::string& op, const Tensor& src, const Tensor& dst) {
  const Tensor s = src.is_contiguous() ? src : src.contiguous();
  if (dst.is_contiguous()) {
    cpu::cast(op, {s.dtype(), dst.dtype()}, s, dst);
    return;
  }
  Tensor packed = Tensor::empty(dst.shape(), dst.dtype());
  cpu::cast(op, {s.dtype(), dst.dtype()}, s, packed);
  Tensor view = dst;
  view.copy_from(packed, Stream::default_stream(Device::cpu()));
}

KernelFn low_precision_kernel(std::vector<int> mutated, KernelFn base) {
  return [mutated, base](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
    const auto is16 = [](const Tensor& t) { return t.defined() && is_16_bit_float(t.dtype()); };
    if (std::none_of(in.begin(), in.end(), is16) && std::none_of(out.begin(), out.end(), is16))
      return base(ctx, in, out);
    std::vector<Tensor> in32 = in, out32 = out;
    std::vector<std::pair<Tensor, Tensor>> widen, round;  // (from, to)
    for (size_t i = 0; i < in.size(); ++i) {
      if (!is16(in[i])) continue;
      in32[i] = Tensor::empty(in[i].shape(), DType::f32);
      widen.emplace_back(in[i], in32[i]);
      if (std::find(mutated.begin(), mutated.end(), static_cast<int>(i)) != mutated.end())
        round.emplace_back(in32[i], in[i]);
    }
    for (size_t o = 0; o < out.size(); ++o) {
      if (!is16(out[o])) continue;
      out32[o] = Tensor::empty(out[o].shape(), DType::f32);
      round.emplace_back(out32[o], out[o]);
    }
    ctx.stream.enqueue([widen, name = ctx.op_name] {
      for (const auto& [from, to] : widen) low_precision_convert(name, from, to);
    });
    base(ctx, in32, out32);
    ctx.stream.enqueue([round, name = ctx.op_name] {
      for (const auto& [from, to] : round) low_precision_convert(name, from, to);
    });
  };
}

}  // namespace

bool is_16_bit_float(DType t) { return t == DType::f16 || t == DType::bf16; }

void enable_cpu_low_precision(OpRegistry& r) {
  for (const std::string& name : r.names()) {
    if (name == kCastOp || name == kCheckFiniteOp) continue;
    const OpSchema& s = r.get(name);
    r.set_infer(name, low_precision_infer(name, s.infer));
    auto cpu = s.kernels.find(DeviceType::cpu);
    if (cpu == s.kernels.end()) continue;
    r.add_kernel(name, DeviceType::cpu, low_precision_kernel(s.mutated_inputs, cpu->second));
    add_low_precision_kernel(name, DeviceType::cpu, DType::f16);
    add_low_precision_kernel(name, DeviceType::cpu, DType::bf16);
  }
}

bool has_low_precision_kernel(const std::string& op, DeviceType device, DType t) {
  OpRegistry::global();  // the built-in ops record theirs on first use
  LowPrecisionKernels& k = low_precision_kernels();
  std::lock_guard<std::mutex> lock(k.mu);
  return k.entries.count({op, device, t}) != 0;
}

void add_low_precision_kernel(const std::string& op, DeviceType device, DType t) {
  CUTRAIN_CHECK(is_16_bit_float(t), "add_low_precision_kernel: ", dtype_name(t), " is not f16 or bf16");
  LowPrecisionKernels& k = low_precision_kernels();
  std::lock_guard<std::mutex> lock(k.mu);
  k.entries.insert({op, device, t});
}

}  // namespace cutrain::ops
