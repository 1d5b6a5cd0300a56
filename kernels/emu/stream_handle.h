// The stream handle type shared by the CUDA and emulated builds of kernels/.
//
// Launchers in kernels/*.cu take a `cudaStream_t`. CUDA declares it as
// `typedef struct CUstream_st* cudaStream_t;`; repeating that identical typedef
// is legal, so this header can sit next to <cuda_runtime.h> in one TU. In the
// emulated build the handle is really a cutrain::StreamImpl* (a CPU stream):
// make it with cutrain::emu::stream_handle(stream). A null handle runs the
// launch inline on the calling thread (the legacy default stream).
#pragma once

#include "cutrain/core/stream.h"

typedef struct CUstream_st* cudaStream_t;

namespace cutrain::emu {

// The handle of a CPU stream, for emulated launches (and the emulated memory
// functions in emu/runtime.h). The stream must outlive the work queued on it.
inline cudaStream_t stream_handle(const Stream& s) {
  return reinterpret_cast<cudaStream_t>(&s.impl());
}
inline StreamImpl* stream_impl(cudaStream_t h) { return reinterpret_cast<StreamImpl*>(h); }

}  // namespace cutrain::emu
