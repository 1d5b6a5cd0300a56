// --early-stopping MONITOR:PATIENCE[:MIN_DELTA] and --reduce-lr-on-plateau
// MONITOR:FACTOR:PATIENCE: parsers into the callbacks' options and CLI11
// validators (a bad value is rejected while the flags are parsed: exit 2,
// the message naming the flag and the value, nothing written).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cutrain/train/callbacks/early_stopping.h"
#include "cutrain/train/callbacks/reduce_lr_on_plateau.h"

namespace cutrain::cli {

train::EarlyStoppingOptions parse_early_stopping(const std::string& spec);           // throws cutrain::Error
train::ReduceLROnPlateauOptions parse_reduce_lr_on_plateau(const std::string& spec);  // throws cutrain::Error
CLI::Validator early_stopping_check();
CLI::Validator reduce_lr_on_plateau_check();

}  // namespace cutrain::cli
