// CUDA kernel of check_finite (kernels/check_finite.cu): lowers the device
// flag in stream order; nothing is read back here.
#include "check_finite.cuh"
#include "cutrain/ops/check_finite.h"
#include "glue.h"

namespace cutrain::cuda {

void register_check_finite_kernels(ops::OpRegistry& r) {
  using namespace glue;
  r.add_kernel(ops::kCheckFiniteOp, DeviceType::cuda, [](const ops::OpContext& c, const Tensors& in, const Tensors&) {
    const Tensor& x = in[0];
    if (!is_floating(x.dtype()) || x.numel() == 0) return;
    CUTRAIN_OP_CHECK(c.op_name, x.is_contiguous(), "needs a contiguous tensor");
    const int bytes = static_cast<int>(dtype_size(x.dtype()));
    kernels::cuda::check_finite(x.raw_data(), bytes, kernels::non_finite_mask(bytes, x.dtype() == DType::bf16),
                                x.numel(), static_cast<int32_t>(c.attrs.i("id")), out_ptr<int32_t>(in[1]), native(c));
  });
}

}  // namespace cutrain::cuda
