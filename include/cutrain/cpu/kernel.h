// Wraps a synchronous CPU reference kernel so it runs in stream order: the
// registered kernel enqueues the work on ctx.stream (inline on the default
// CPU stream, on a worker thread for streams the executor creates), keeping
// its tensors alive until it ran.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cutrain/ops/op.h"

namespace cutrain::cpu {

using SyncKernel = std::function<void(const ops::OpContext& ctx, const std::vector<Tensor>& inputs,
                                      const std::vector<Tensor>& outputs)>;

inline ops::KernelFn on_stream(SyncKernel f) {
  return [f](const ops::OpContext& ctx, const std::vector<Tensor>& inputs,
             const std::vector<Tensor>& outputs) {
    ctx.stream.enqueue([f, attrs = ctx.attrs, device = ctx.device, stream = ctx.stream,
                        training = ctx.training, seed = ctx.seed, step = ctx.step,
                        name = ctx.op_name, scalars = ctx.step_scalars, inputs, outputs] {
      const ops::OpContext c{attrs, device, stream, training, seed, step, name, scalars};
      f(c, inputs, outputs);
    });
  };
}

// Checks shared by CPU kernels: defined, on the CPU, contiguous.
void require_cpu_contiguous(const std::string& op, const std::vector<Tensor>& tensors);

}  // namespace cutrain::cpu
