// matmul on cuBLAS. Row-major C[M,N] = op(A)·op(B) is computed as the
// column-major product Cᵀ = op(B)ᵀ·op(A)ᵀ, which cuBLAS reads straight from
// the row-major buffers. fp32 is exact (no TF32) unless allowed
// by the node (allow_tf32, per model) or by cuda::conv_settings().allow_tf32,
// the process-wide switch.
// f16 and bf16 go through cublasGemmEx with fp32 accumulation.
#include <cublas_v2.h>

#include "cutrain/cuda/check.h"
#include "cutrain/cuda/conv.h"
#include "cutrain/cuda/matmul.h"
#include "handle_pool.h"

namespace cutrain::cuda {

namespace {

struct CublasTraits {
  using Handle = cublasHandle_t;
  static constexpr const char* kName = "cuBLAS";
  static Handle create() {
    cublasHandle_t h = nullptr;
    CUBLAS_CHECK(cublasCreate(&h));
    return h;
  }
  static int destroy(Handle h) noexcept { return static_cast<int>(cublasDestroy(h)); }
};

// The calling thread's handle on the stream's device, set to the stream and
// to this call's math mode (TF32 when the node or the process allows it).
cublasHandle_t handle_for(const Stream& s, bool allow_tf32) {
  cublasHandle_t h = HandlePool<CublasTraits>::for_this_thread(s.device().index);
  CUBLAS_CHECK(cublasSetStream(h, static_cast<cudaStream_t>(s.native_handle())));
  CUBLAS_CHECK(cublasSetMathMode(h, allow_tf32 || conv_settings().allow_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  return h;
}

}  // namespace

void matmul(const std::string& op, const Tensor& a, const Tensor& b, bool ta, bool tb, const Tensor& c,
            const Stream& stream, bool allow_tf32) {
  const int64_t k = ta ? a.dim(0) : a.dim(-1);
  const int64_t m = ta ? a.dim(1) : a.numel() / k;
  const int64_t n = tb ? b.dim(0) : b.dim(1);
  cublasHandle_t h = handle_for(stream, allow_tf32);
  const cublasOperation_t opa = ta ? CUBLAS_OP_T : CUBLAS_OP_N, opb = tb ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int lda = static_cast<int>(ta ? m : k), ldb = static_cast<int>(tb ? k : n);
  if (a.dtype() == DType::f32) {
    const float one = 1, zero = 0;
    CUBLAS_CHECK(cublasSgemm(h, opb, opa, static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &one,
                             static_cast<const float*>(b.raw_data()), ldb, static_cast<const float*>(a.raw_data()),
                             lda, &zero, static_cast<float*>(c.raw_data()), static_cast<int>(n)));
  } else if (a.dtype() == DType::f64) {
    const double one = 1, zero = 0;
    CUBLAS_CHECK(cublasDgemm(h, opb, opa, static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &one,
                             static_cast<const double*>(b.raw_data()), ldb,
                             static_cast<const double*>(a.raw_data()), lda, &zero,
                             static_cast<double*>(c.raw_data()), static_cast<int>(n)));
  } else if (a.dtype() == DType::f16 || a.dtype() == DType::bf16) {
    // 16-bit operands and result, fp32 accumulation (CUBLAS_COMPUTE_32F) and
    // fp32 alpha/beta, as mixed precision requires.
    const cudaDataType_t t = a.dtype() == DType::f16 ? CUDA_R_16F : CUDA_R_16BF;
    CUTRAIN_CHECK(b.dtype() == a.dtype() && c.dtype() == a.dtype(), "op '", op, "' on CUDA: a ",
                  dtype_name(a.dtype()), ", b ", dtype_name(b.dtype()), " and c ", dtype_name(c.dtype()),
                  " must share one 16-bit dtype");
    const float one = 1, zero = 0;
    CUBLAS_CHECK(cublasGemmEx(h, opb, opa, static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &one,
                              b.raw_data(), t, ldb, a.raw_data(), t, lda, &zero, c.raw_data(), t,
                              static_cast<int>(n), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  } else {
    CUTRAIN_THROW("op '", op, "' on CUDA: unsupported dtype ", dtype_name(a.dtype()));
  }
}

}  // namespace cutrain::cuda
