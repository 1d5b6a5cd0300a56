// check_finite: the op behind the executors' numerics check
// (graph/numerics_check.h). Inputs (x, flag i32 [1]); the flag is mutated:
// flag = min(flag, attr "id") when any element of x is NaN or +-inf; no
// outputs. Non-float x is always finite. The executors call it directly
// after the ops they check; it never appears in a graph and has no gradient.
// CPU: cpu::first_non_finite; CUDA: kernels/check_finite.cu (no sync).
#pragma once

namespace cutrain::ops {

inline constexpr const char* kCheckFiniteOp = "check_finite";

}  // namespace cutrain::ops
