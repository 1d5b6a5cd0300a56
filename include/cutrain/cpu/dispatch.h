// Dtype dispatch for CPU reference kernels: float and double only (the
// reference backend's contract); anything else is a clear error.
#pragma once

#include <utility>

#include "cutrain/core/dtype.h"
#include "cutrain/core/error.h"

namespace cutrain::cpu {

template <typename F>
decltype(auto) dispatch_float(DType t, const char* op, F&& f) {
  switch (t) {
    case DType::f32: return f.template operator()<float>();
    case DType::f64: return f.template operator()<double>();
    default: break;
  }
  CUTRAIN_THROW("op '", op, "': the CPU backend supports f32 and f64, got ", dtype_name(t));
}

}  // namespace cutrain::cpu
