// The training step's gradient flags: --loss-scale, --clip-value and
// --accumulate-steps (CompileOptions::loss_scale, clip_value,
// accumulate_steps). Bad values are rejected while the flags are parsed:
// a message naming the flag and what it accepts, exit 2, nothing written.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "cutrain/train/model.h"

namespace cutrain::cli {

struct StepFlags {
  std::string loss_scale = "auto";  // auto: dynamic under fp16 precision, else off
  double clip_value = 0;
  int accumulate_steps = 1;
};

void add_step_flags(CLI::App& c, StepFlags& f);
void apply_step_flags(const StepFlags& f, train::CompileOptions& co);
// The optimizer updates `batches` training batches make (the unit of the
// learning-rate schedule and of Model::step).
int64_t optimizer_updates(const StepFlags& f, int64_t batches);

}  // namespace cutrain::cli
