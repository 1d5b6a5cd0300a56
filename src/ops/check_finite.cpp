// The check_finite op (ops/check_finite.h): schema and CPU kernel.
#include "cutrain/ops/check_finite.h"

#include <atomic>

#include "cutrain/cpu/check_finite.h"
#include "cutrain/ops/cpu_kernel.h"
#include "cutrain/ops/op.h"
#include "cuda_binding.h"
#if CUTRAIN_WITH_CUDA
#include "cutrain/cuda/check_finite.h"
#endif

namespace cutrain::ops {

void register_check_finite_ops(OpRegistry& r) {
  OpSchema s;
  s.name = kCheckFiniteOp;
  s.num_inputs = 2;  // (x, flag)
  s.num_outputs = 0;
  s.mutated_inputs = {1};
  s.nondifferentiable_inputs = {0, 1};
  s.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    a.i("id");
    CUTRAIN_OP_CHECK(kCheckFiniteOp, in[1].dtype == DType::i32 && in[1].shape == Shape({1}), "flag ", in[1].str(),
                     " must be i32[1]");
    return std::vector<TensorSpec>{};
  };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>&) {
        if (cpu::first_non_finite(in[0]) < 0) return;
        const auto id = static_cast<int32_t>(ctx.attrs.i("id"));
        // Several CPU streams may lower the flag at once.
        std::atomic_ref<int32_t> flag(*static_cast<int32_t*>(in[1].raw_data()));
        int32_t cur = flag.load();
        while (id < cur && !flag.compare_exchange_weak(cur, id)) {
        }
      });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>&) {
    cuda::check_finite(ctx.op_name, in[0], static_cast<int32_t>(ctx.attrs.i("id")), in[1], cuda_stream(ctx));
  };
#endif
  s.doc = "flag = min(flag, id) when x holds a NaN or an infinity (the executors' numerics check)";
  r.add(std::move(s));
}

}  // namespace cutrain::ops
