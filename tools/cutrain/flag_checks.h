// Validators for numeric command-line flags, and the class-weight flag.
//
// CLI11's Range accepts NaN (every comparison with NaN is false) and its
// message prints the bounds with std::to_string, so an unbounded range shows
// DBL_MAX as a 309-digit number. These validators reject NaN and infinities
// and state the allowed range in a few characters ("a finite number >= 0").
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <map>
#include <string>

namespace cutrain::cli {

// Real numbers: finite and in [lo, hi] (bounds inclusive), or >= lo, or > lo.
CLI::Validator finite_in(double lo, double hi);
CLI::Validator finite_at_least(double lo);
CLI::Validator finite_above(double lo);
// Whole numbers in [lo, hi]; integer_at_least(lo) has no upper bound beyond the type's.
CLI::Validator integer_in(int64_t lo, int64_t hi);
CLI::Validator integer_at_least(int64_t lo);

// --threads: at most 4 x the machine's cores. OpenMP starts one thread per
// requested thread, each with its own stack; beyond a few per core they only
// add contention, and tens of thousands exhaust the process's thread and
// memory limits (libgomp then crashes instead of failing cleanly).
int max_cpu_threads();
CLI::Validator threads_check();

// --class-weight "LABEL:WEIGHT,...": labels are integers >= 0, weights finite
// and >= 0. Throws cutrain::Error naming the bad item.
std::map<int64_t, double> parse_class_weight(const std::string& spec);
// Throws cutrain::Error when a label is not a class of the data set.
void check_class_weight(const std::map<int64_t, double>& weights, int num_classes);

}  // namespace cutrain::cli
