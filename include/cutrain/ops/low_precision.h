// 16-bit float (f16, bf16) activations on every op, and which backends
// have a kernel for them.
//
// The CPU reference of mixed precision: an op given f16 or bf16 inputs
// computes exactly as its fp32 kernel does on those inputs widened to f32
// (exact), and each 16-bit output is that fp32 result rounded once to
// nearest even. This is what AMP's kernels compute up to their internal
// summation order (fp32 accumulation, one rounding on the store), so the
// CPU backend reproduces AMP numerics and stays the oracle of the emulated
// and GPU kernels. It is done once for all ops (src/ops/cpu_low_precision.cpp),
// not per kernel:
//   * inference: 16-bit inputs are inferred as f32; an f32 output becomes
//     the inputs' 16-bit dtype unless it has the shape of an f32 float
//     input (batch-norm statistics beside f32 gamma/beta stay f32: Keras'
//     mixed policy keeps them fp32); f16 and bf16 together are an error;
//   * CPU kernel: 16-bit inputs widened into f32 temporaries, the fp32
//     kernel, 16-bit outputs (and 16-bit mutated inputs) rounded back, all
//     in the op's stream order.
// With no 16-bit tensor the wrapped inference and kernel are the original
// ones: fp32 graphs compute the same bits as without this layer.
#pragma once

#include <string>

#include "cutrain/core/device.h"
#include "cutrain/core/dtype.h"

namespace cutrain::ops {

class OpRegistry;

bool is_16_bit_float(DType t);

// Wraps the inference and CPU kernel of every op registered so far (not
// cast and check_finite, which handle 16-bit themselves) and records that
// they have CPU kernels for f16 and bf16.
void enable_cpu_low_precision(OpRegistry& r);

// Whether op `op` has a kernel for 16-bit dtype `t` on `device`; backends
// record theirs with add_low_precision_kernel (the CUDA kernels as they gain
// f16/bf16 paths). The autocast pass (graph/autocast.h) asks before it
// places an op in low precision.
bool has_low_precision_kernel(const std::string& op, DeviceType device, DType t);
void add_low_precision_kernel(const std::string& op, DeviceType device, DType t);

}  // namespace cutrain::ops
