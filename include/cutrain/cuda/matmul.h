// matmul on cuBLAS, with the arguments of cutrain/cpu/matmul.h:
// c = op(a)·op(b), row-major, float and double. The stream is the core Stream
// (the cuBLAS handle is the device's, set to it on each call). allow_tf32:
// TF32 tensor cores for f32 (the node's "allow_tf32" attribute, set per
// model under Precision::tf32), or-ed with conv_settings().allow_tf32.
// f16/bf16 with fp32 accumulation.
#pragma once

#include <string>

#include "cutrain/core/stream.h"
#include "cutrain/core/tensor.h"

namespace cutrain::cuda {

void matmul(const std::string& op, const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b,
            const Tensor& c, const Stream& stream, bool allow_tf32 = false);

}  // namespace cutrain::cuda
