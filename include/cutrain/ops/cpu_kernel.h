// Binds a synchronous CPU reference kernel to an op so it runs in stream
// order: the registered kernel enqueues the work on ctx.stream (inline on the
// default CPU stream, on a worker thread for streams the executor creates),
// keeping its tensors alive until it ran. The binding belongs to the ops
// layer: the CPU kernels themselves (cutrain/cpu) never see an OpContext.
#pragma once

#include <functional>
#include <vector>

#include "cutrain/ops/op.h"

namespace cutrain::ops {

using SyncKernel = std::function<void(const OpContext& ctx, const std::vector<Tensor>& inputs,
                                      const std::vector<Tensor>& outputs)>;

inline KernelFn on_cpu_stream(SyncKernel f) {
  return [f](const OpContext& ctx, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs) {
    ctx.stream.enqueue([f, attrs = ctx.attrs, device = ctx.device, stream = ctx.stream,
                        training = ctx.training, seed = ctx.seed, step = ctx.step,
                        name = ctx.op_name, scalars = ctx.step_scalars, inputs, outputs] {
      const OpContext c{attrs, device, stream, training, seed, step, name, scalars};
      f(c, inputs, outputs);
    });
  };
}

}  // namespace cutrain::ops
