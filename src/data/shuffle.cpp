#include "cutrain/data/shuffle.h"

#include <climits>
#include <cstdint>
#include <utility>

namespace cutrain::data {
namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Unbiased integer in [0, n) by rejection.
uint64_t below(uint64_t& state, uint64_t n) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t r;
  do r = splitmix64(state);
  while (r >= limit);
  return r % n;
}

}  // namespace

std::vector<int64_t> shuffled_order(std::vector<int64_t> v, uint64_t seed, int64_t epoch) {
  uint64_t state = seed;
  splitmix64(state);
  state ^= static_cast<uint64_t>(epoch) * 0xD6E8FEB86659FD93ull;
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(state, i)]);
  return v;
}

}  // namespace cutrain::data
