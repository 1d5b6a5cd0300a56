// matmul on cuBLAS, with the arguments of cutrain/cpu/matmul.h:
// c = op(a)·op(b), row-major, float and double, and f16/bf16 (fp32 accumulation). The stream is the core Stream
// (the cuBLAS handle is the device's, set to it on each call).
#pragma once

#include <string>

#include "cutrain/core/stream.h"
#include "cutrain/core/tensor.h"

namespace cutrain::cuda {

void matmul(const std::string& op, const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b,
            const Tensor& c, const Stream& stream);

}  // namespace cutrain::cuda
