// --metrics and --validation-freq: parsers and CLI11 validators (an unknown
// metric or a bad epoch is rejected while the flags are parsed: exit 2,
// nothing written).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace cutrain::cli {

// "accuracy,auc" -> {"accuracy", "auc"}; empty items are errors.
std::vector<std::string> split_metric_names(const std::string& spec);
CLI::Validator metric_names_check();

// "N" -> every Nth epoch (freq = N, epochs empty); "1,3,10" -> those 1-based
// epochs (freq = 1). Keras' validation_freq int or list.
struct ValidationFreq {
  int64_t freq = 1;
  std::vector<int64_t> epochs;
};
ValidationFreq parse_validation_freq(const std::string& spec);  // throws cutrain::Error
CLI::Validator validation_freq_check();

}  // namespace cutrain::cli
