// Shared by the ops' CUDA kernel bindings (compiled when CUTRAIN_WITH_CUDA):
// the native stream of an op context, for the cuda:: functions that take it.
// The binding from OpContext to a backend call is the ops layer's; the CUDA
// backend never sees an OpContext.
#pragma once

#if CUTRAIN_WITH_CUDA
#include <cuda_runtime.h>

#include "cutrain/ops/op.h"

namespace cutrain::ops {

inline cudaStream_t cuda_stream(const OpContext& ctx) {
  return static_cast<cudaStream_t>(ctx.stream.native_handle());
}

}  // namespace cutrain::ops
#endif
