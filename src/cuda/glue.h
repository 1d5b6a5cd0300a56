// Shared by the CUDA backend's op files: the native handle of a stream, a
// float/double switch, typed pointers and stream-ordered scratch memory.
#pragma once

#include <cuda_runtime.h>

#include <string>
#include <utility>
#include <vector>

#include "cutrain/core/error.h"
#include "cutrain/core/tensor.h"

namespace cutrain::cuda::glue {

using Tensors = std::vector<Tensor>;

inline cudaStream_t native(const Stream& stream) { return static_cast<cudaStream_t>(stream.native_handle()); }

// Calls f(T{}) with T = float or double for t; other dtypes are an error naming the op.
template <typename F>
void by_dtype(const std::string& op, DType t, F&& f) {
  if (t == DType::f32) return f(float{});
  if (t == DType::f64) return f(double{});
  CUTRAIN_THROW("op '", op, "' on CUDA: unsupported dtype ", dtype_name(t));
}

// by_dtype, and T = Half or BFloat16 (cutrain/core/dtype.h) for f16 and bf16:
// for the ops whose kernels have 16-bit instantiations (fp32 compute inside).
template <typename F>
void by_float_dtype(const std::string& op, DType t, F&& f) {
  if (t == DType::f16) return f(Half{});
  if (t == DType::bf16) return f(BFloat16{});
  by_dtype(op, t, std::forward<F>(f));
}


// Scratch memory for the op's kernels: the caching allocator hands a block
// back to the same stream only, so freeing it when the kernel function
// returns is safe while the launches are still queued.
inline Tensor scratch(Device device, const Stream& stream, int64_t n, DType t) {
  return Tensor::empty(Shape{n > 0 ? n : 1}, t, device, stream);
}


template <typename T>
const T* in_ptr(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.raw_data()) : nullptr;
}
template <typename T>
T* out_ptr(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.raw_data()) : nullptr;
}

inline std::vector<int64_t> dims(const Tensor& t) { return t.shape().dims(); }

// Per-sample feature count: everything after the batch dimension.
inline int64_t per_sample(const Tensor& t) { return t.rank() <= 1 ? 1 : t.numel() / t.dim(0); }

}  // namespace cutrain::cuda::glue
