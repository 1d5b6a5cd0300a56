// The op registry: one entry per op, giving its schema, shape/dtype
// inference and a kernel per backend.
//
// Kernels get their outputs already allocated (from the inferred specs) and
// write them; inputs listed in `mutated_inputs` (running statistics, power
// iteration vectors, optimizer state, parameters under update) are updated
// in place. The registry knows nothing of graphs: backward rules build graph
// nodes, so they live in the graph layer's gradient registry
// (graph/gradient_registry.h), keyed by op name. Backward computations are
// ops too (conv2d_backward_input, ...), so the executor runs and plans them
// like any other node. User code registers custom ops with the same API.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cutrain/core/device.h"
#include "cutrain/core/error.h"
#include "cutrain/core/stream.h"
#include "cutrain/core/tensor.h"
#include "cutrain/ops/attrs.h"

namespace cutrain::ops {

struct TensorSpec {
  Shape shape;
  DType dtype = DType::f32;
  bool operator==(const TensorSpec&) const = default;
  std::string str() const;  // "f32[8, 35, 35, 288]"
};

// Everything a kernel may need besides its tensors.
struct OpContext {
  const Attrs& attrs;
  Device device;
  Stream stream;
  bool training = true;  // batch norm, dropout, spectral norm behave differently in eval
  uint64_t seed = 0;     // per-node seed (dropout, random ops): graph seed mixed with node id
  uint64_t step = 0;     // executor run counter: random ops draw fresh numbers each step
  const std::string& op_name;
  // The executor's per-step scalars (step_scalars.h): f64 [n] on `device`,
  // slot 0 the step counter. Undefined outside an executor that provides
  // them; kernels then use `step` and the attrs.
  Tensor step_scalars = {};
};

using InferFn = std::function<std::vector<TensorSpec>(const Attrs& attrs,
                                                      const std::vector<TensorSpec>& inputs)>;
using KernelFn = std::function<void(const OpContext& ctx, const std::vector<Tensor>& inputs,
                                    const std::vector<Tensor>& outputs)>;

struct OpSchema {
  std::string name;
  int num_inputs = 1;   // -1: variadic (at least min_inputs)
  int min_inputs = 0;
  int num_outputs = 1;  // -1: decided by infer (split)
  std::vector<int> mutated_inputs;      // updated in place by the kernel
  std::vector<int> nondifferentiable_inputs;  // labels, indices, state: never get gradients
  InferFn infer;
  // A kernel runs in ctx.stream's order. A synchronous CPU body goes through
  // ops::on_cpu_stream (cpu_kernel.h): the planned executor spreads a step
  // over several CPU streams (train::CompileOptions::streams), and a body run
  // at enqueue time would read inputs other streams have not written yet.
  std::map<DeviceType, KernelFn> kernels;
  std::string doc;
  // Collectives (data-parallel gradient averaging): the planner puts them on
  // a stream of their own, so communication overlaps the compute streams.
  bool communication = false;
};

class OpRegistry {
 public:
  static OpRegistry& global();
  // Registers a new op; throws if the name is taken (use add_kernel to extend).
  void add(OpSchema schema);
  // Adds or replaces the kernel of an existing op for one backend (the CUDA
  // backend registers its kernels on top of the CPU reference this way).
  void add_kernel(const std::string& name, DeviceType device, KernelFn kernel);
  // Replaces the inference of an existing op (the CPU low-precision layer,
  // ops/low_precision.h, wraps every op's inference this way).
  void set_infer(const std::string& name, InferFn infer);
  const OpSchema& get(const std::string& name) const;  // throws "unknown op 'X'"
  const OpSchema* find(const std::string& name) const;
  bool has(const std::string& name) const { return find(name) != nullptr; }
  std::vector<std::string> names() const;

 private:
  std::map<std::string, OpSchema> ops_;
};

// Runs inference with the op's checks; errors name the op and the shapes.
std::vector<TensorSpec> infer(const std::string& op, const Attrs& attrs,
                              const std::vector<TensorSpec>& inputs);

// Runs one op eagerly on already-allocated tensors (tests, the executor).
void run_kernel(const std::string& op, const OpContext& ctx, const std::vector<Tensor>& inputs,
                const std::vector<Tensor>& outputs);

// Eager convenience for tests and gradient checks: allocates the outputs on the
// inputs' device and runs the op on the device's default stream.
std::vector<Tensor> call(const std::string& op, const std::vector<Tensor>& inputs,
                         const Attrs& attrs = {}, bool training = true, uint64_t seed = 0,
                         uint64_t step = 0);

// Registers every built-in op exactly once (CPU reference kernels, and CUDA
// kernels when built). Called by the registry on first use.
void register_builtin_ops(OpRegistry& r);

// Helpers for inference functions.
std::string specs_str(const std::vector<TensorSpec>& specs);

}  // namespace cutrain::ops

// CUTRAIN_OP_CHECK ("op 'conv2d': <message>") lives in core/error.h, so the
// backends' kernels use it without this header.
