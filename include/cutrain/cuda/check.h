// Check macros for every CUDA, cuDNN, cuBLAS and NCCL call: a failure throws
// cutrain::Error naming the call as written (with its arguments), the
// library's error string and the source location.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "cutrain/core/error.h"

namespace cutrain::cuda {

const char* cublas_status_string(cublasStatus_t s);

}  // namespace cutrain::cuda

#define CUDA_CHECK(call)                                                                     \
  do {                                                                                       \
    const cudaError_t cutrain_err_ = (call);                                                 \
    if (cutrain_err_ != cudaSuccess) [[unlikely]] {                                          \
      CUTRAIN_THROW(#call, " failed: ", cudaGetErrorName(cutrain_err_), ": ",                \
                    cudaGetErrorString(cutrain_err_));                                       \
    }                                                                                        \
  } while (0)

#define CUDNN_CHECK(call)                                                                    \
  do {                                                                                       \
    const cudnnStatus_t cutrain_st_ = (call);                                                \
    if (cutrain_st_ != CUDNN_STATUS_SUCCESS) [[unlikely]] {                                  \
      char cutrain_msg_[1024] = {0};                                                         \
      cudnnGetLastErrorString(cutrain_msg_, sizeof cutrain_msg_);                            \
      CUTRAIN_THROW(#call, " failed: ", cudnnGetErrorString(cutrain_st_), " ", cutrain_msg_); \
    }                                                                                        \
  } while (0)

#define CUBLAS_CHECK(call)                                                                   \
  do {                                                                                       \
    const cublasStatus_t cutrain_st_ = (call);                                               \
    if (cutrain_st_ != CUBLAS_STATUS_SUCCESS) [[unlikely]] {                                 \
      CUTRAIN_THROW(#call, " failed: ", ::cutrain::cuda::cublas_status_string(cutrain_st_));   \
    }                                                                                        \
  } while (0)

// After a kernel launch: catches launch-configuration errors at the launch site.
#define CUDA_CHECK_LAUNCH(kernel_name) CUDA_CHECK(cudaGetLastError() /* launch of kernel_name */)
