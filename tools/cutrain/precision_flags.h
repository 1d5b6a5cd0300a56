// --precision fp32|tf32|bf16|fp16 (train and summary), and what
// `summary --plan --precision P` prints of the autocast pass: the casts it
// inserted, the ops it left in f32, and the planned intermediate memory
// beside fp32's.
#pragma once

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <string>

#include "cutrain/graph/autocast.h"

namespace cutrain::cli {

// Registers --precision on `c`, writing the checked name into `value`.
CLI::Option* add_precision_option(CLI::App* c, std::string& value);

// Empty when `model` trains in `precision`; else the message (sngan and vae
// have their own training loops, which train in fp32 only).
std::string precision_model_error(const std::string& model, const std::string& precision);

// The casts of a report and of the graph they were inserted into, one per
// line ("  cast 'Conv2d_1a_3x3/weights/autocast_bf16': f32[32, 3, 3, 3] -> bf16"),
// then the f32 fallbacks.
void print_autocast(std::ostream& out, const graph::Graph& g, const graph::AutocastReport& report);

}  // namespace cutrain::cli
