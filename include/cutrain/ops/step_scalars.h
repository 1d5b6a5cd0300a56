// Per-step scalars: values that change from one training step to the next
// and that kernels must read from memory when they run, not from arguments
// fixed when the step was enqueued, so that a step recorded once (a CUDA
// graph, or the CPU's recorded stream work) can be replayed every step.
//
// The executor owns one f64 tensor per device, [graph.step_scalars().size()],
// and writes it on the main stream before each step, from host values set
// with PlannedExecutor::set_step_scalar (fed like the step's inputs, outside
// any recorded region). Slot 0 is the executor's step counter (what random
// ops mix into their Philox counter); the other slots are named by
// Graph::step_scalar: the optimizer's "<prefix>lr" and "<prefix>step", the
// EMA's "ema/decay". A node that reads a slot names it in an int attr
// "<attr>_slot" next to the attr itself ("lr" and "lr_slot"); the attr stays
// the value used when no per-step scalars are given (ops::call, the
// reference Executor), and the schema still checks it.
//
// CPU kernels read the slot when they run (the closure holds the tensor);
// CUDA kernels get a device pointer to the tensor and read the slot there.
// Doubles hold step counts exactly (below 2^53).
#pragma once

#include <cstdint>
#include <string>

#include "cutrain/ops/op.h"

namespace cutrain::ops {

inline constexpr int kStepCounterSlot = 0;

// The slot of attr `name` on a node ("<name>_slot"), or -1 when the node has
// none or the context carries no per-step scalars.
int step_scalar_slot(const OpContext& ctx, const std::string& name);

// CPU kernels: the value of attr `name`, from the per-step scalars when the
// node has a slot for it (read now, so call it inside the queued work).
double step_scalar_or_attr(const OpContext& ctx, const std::string& name, double fallback);
// The step counter random ops use: slot 0 when present, else ctx.step.
uint64_t random_step(const OpContext& ctx);

// CUDA glue: device pointer to the scalars (nullptr when absent).
const double* step_scalars_data(const OpContext& ctx);

}  // namespace cutrain::ops
