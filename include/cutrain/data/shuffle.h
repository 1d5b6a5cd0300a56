// The one shuffle of the project: fit's epochs and the Loader's epochs visit
// the same permutation for the same (seed, epoch).
//
// Fisher-Yates driven by splitmix64 with rejection sampling (unbiased),
// seeded from (seed, epoch): identical on every platform and standard
// library, unlike std::shuffle. The main job's sample order is this
// permutation of [0, n_train), so changing it changes the regression
// fingerprint.
#pragma once

#include <cstdint>
#include <vector>

namespace cutrain::data {

// A permutation of `values` keyed by (seed, epoch).
std::vector<int64_t> shuffled_order(std::vector<int64_t> values, uint64_t seed, int64_t epoch);

}  // namespace cutrain::data
