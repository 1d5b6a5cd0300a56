// NCCL_CHECK(call, context...): a failed NCCL call throws cutrain::Error with
// the call as written, the values it was made with, NCCL's error string and
// its last error message (which names the peer or transport that failed).
#pragma once

#include <cuda_runtime.h>
#include <nccl.h>

#include "cutrain/core/error.h"

#define NCCL_CHECK(call, ...)                                                                \
  do {                                                                                       \
    const ncclResult_t cutrain_nccl_rc_ = (call);                                            \
    if (cutrain_nccl_rc_ != ncclSuccess && cutrain_nccl_rc_ != ncclInProgress) [[unlikely]] { \
      CUTRAIN_THROW(#call, " failed (", ::cutrain::detail::concat(__VA_ARGS__), "): ",       \
                    ncclGetErrorString(cutrain_nccl_rc_), ": ", ncclGetLastError(nullptr));  \
    }                                                                                        \
  } while (0)

// The CUDA runtime calls of the NCCL communicator, checked the same way
// (dist depends on core only, so not through the CUDA backend's macros).
#define DIST_CUDA_CHECK(call)                                                              \
  do {                                                                                     \
    const cudaError_t cutrain_cuda_rc_ = (call);                                           \
    if (cutrain_cuda_rc_ != cudaSuccess) [[unlikely]] {                                    \
      CUTRAIN_THROW(#call, " failed: ", cudaGetErrorName(cutrain_cuda_rc_), ": ",          \
                    cudaGetErrorString(cutrain_cuda_rc_));                                 \
    }                                                                                      \
  } while (0)
