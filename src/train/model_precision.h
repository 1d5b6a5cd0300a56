// CompileOptions::precision applied to a step graph (graph/autocast.h):
// the forward graph re-built with casts under bf16 / fp16 (before the losses
// and gradients are added, which then follow the dtypes the casts set), and
// the finished graph checked for 16-bit kernels on the device, or its
// convolutions and matrix products marked for TF32.
#pragma once

#include <memory>

#include "cutrain/core/device.h"
#include "cutrain/graph/autocast.h"
#include "cutrain/nn/network.h"

namespace cutrain::train {

// Under bf16 / fp16 replaces g by its autocast copy and maps every value of
// net into it (the outputs and added losses delivered in f32); otherwise
// leaves both alone.
void apply_precision(graph::Precision p, Device device, std::unique_ptr<graph::Graph>& g, nn::Network& net,
                     graph::AutocastReport& report);

// After the graph is complete: bf16 / fp16 check that every op with 16-bit
// inputs has a kernel for them on the device (an error naming the op and the
// dtype otherwise); tf32 marks the convolutions and matrix products. True
// when the graph changed (its executor must be made again).
bool finish_precision(graph::Precision p, Device device, graph::Graph& g);

}  // namespace cutrain::train
