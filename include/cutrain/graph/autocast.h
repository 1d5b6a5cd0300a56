// Mixed precision as a graph pass (Keras' mixed_bfloat16 / mixed_float16
// policies, PyTorch autocast's op lists).
//
// `autocast` copies a forward graph into a new one, node by node, inserting
// casts so that:
//   * parameters and states stay f32 (master weights: the optimizer updates
//     them in f32; the cast's backward rule hands their gradients back in
//     f32), each cast to the low dtype once per step graph however many ops
//     read it;
//   * convolutions and matrix products (rule `low`) run in the low dtype, and
//     the activations between them stay there (rule `promote`: an op runs in
//     its inputs' dtype; an f32 parameter or constant beside a low input is
//     cast down, as Keras casts variables to the compute dtype; two
//     activations of different dtypes meet in f32);
//   * batch norm (rule `keep`) takes low activations with f32 gamma, beta and
//     running statistics and computes its statistics in f32;
//   * softmax, losses, reductions, exp/log and the optimizer updates (rule
//     `fp32`) compute in f32; the network's outputs and added losses are cast
//     to f32, so every loss and metric sees f32.
// An op without a kernel for the low dtype on the device
// (ops::has_low_precision_kernel) falls back to f32 when its rule allows it
// (promote, keep: listed in the report and in `summary --plan`); under rule
// `low` it is an error naming the op, the node and the dtype. After autodiff,
// check_low_precision_kernels applies the same test to the backward ops.
//
// Precision::tf32 needs no casts: allow_tf32 marks the convolutions and
// matrix products (attribute "allow_tf32", read into their parameter
// structs) so the CUDA backend uses TF32 tensor cores for this model only.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cutrain/core/device.h"
#include "cutrain/graph/graph.h"

namespace cutrain::graph {

enum class Precision { fp32, tf32, bf16, fp16 };

std::string_view precision_name(Precision p);  // "fp32", "tf32", "bf16", "fp16"
Precision precision_from_name(std::string_view name);  // throws naming the allowed values
// The activation dtype of a precision: bf16, f16, or f32 for fp32 and tf32.
DType precision_dtype(Precision p);

enum class AutocastRule { low, fp32, keep, promote };

// The rule of an op (promote for ops the table does not name).
AutocastRule autocast_rule(const std::string& op);
// Sets the rule of an op (custom ops: `low` for a user's matrix product).
void set_autocast_rule(const std::string& op, AutocastRule rule);

struct AutocastReport {
  DType low = DType::bf16;
  int casts = 0;             // cast nodes inserted
  int parameter_casts = 0;   // of which casts of parameters (once each)
  std::vector<std::string> fallbacks;  // "node 'X' (op 'relu'): no f16 kernel on cuda, runs in f32"
};

struct AutocastResult {
  std::unique_ptr<Graph> graph;
  AutocastReport report;
  // The new graph's value of a value of the source graph.
  Value map(const Value& v) const;
  std::map<std::pair<int, int>, Value> values;
};

// `low`: bf16 or f16; `device`: where the graph will run. `outputs`: the
// values to deliver in f32 (network outputs and added losses).
AutocastResult autocast(const Graph& g, DType low, DeviceType device, const std::vector<Value>& outputs);

// Throws, naming the first op node of g whose 16-bit inputs have no kernel
// on `device`, its node name and the dtype.
void check_low_precision_kernels(const Graph& g, DeviceType device);

// Sets allow_tf32 on every conv2d, conv2d_backward_input,
// conv2d_backward_filter and matmul node; returns how many.
int allow_tf32(Graph& g);

}  // namespace cutrain::graph
