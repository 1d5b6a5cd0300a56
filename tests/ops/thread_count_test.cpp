// The CPU reference gives the same bits whatever the OpenMP thread count:
// elementwise loops split by element, per-channel sums split by channel
// (cpu/parallel.h). Sizes are above the parallel grain so the split happens.
#include <gtest/gtest.h>
#include <omp.h>

#include <cstring>
#include <string>
#include <vector>

#include "cutrain/ops/attrs.h"
#include "cutrain/ops/op.h"

using namespace cutrain;

namespace {

Tensor uniform(const Shape& s, uint64_t seed, double lo = -1, double hi = 1) {
  Tensor t = Tensor::empty(s, DType::f32);
  t.uniform(lo, hi, seed);
  return t;
}

std::vector<Tensor> run_with_threads(int threads, const std::string& op, const std::vector<Tensor>& in,
                                     const ops::Attrs& attrs, bool training) {
  const int before = omp_get_max_threads();
  omp_set_num_threads(threads);
  // Copies: batch_norm updates its running statistics in place.
  std::vector<Tensor> copies;
  for (const Tensor& t : in) copies.push_back(t.clone());
  std::vector<Tensor> out = ops::call(op, copies, attrs, training);
  for (const Tensor& t : copies) out.push_back(t);
  omp_set_num_threads(before);
  return out;
}

void expect_same_bits(const std::string& op, const std::vector<Tensor>& in, const ops::Attrs& attrs = {},
                      bool training = true) {
  const std::vector<Tensor> one = run_with_threads(1, op, in, attrs, training);
  const std::vector<Tensor> two = run_with_threads(2, op, in, attrs, training);
  const std::vector<Tensor> three = run_with_threads(3, op, in, attrs, training);
  ASSERT_EQ(one.size(), two.size());
  for (size_t i = 0; i < one.size(); ++i) {
    ASSERT_EQ(one[i].nbytes(), two[i].nbytes());
    EXPECT_EQ(std::memcmp(one[i].raw_data(), two[i].raw_data(), one[i].nbytes()), 0) << op << " output " << i;
    EXPECT_EQ(std::memcmp(one[i].raw_data(), three[i].raw_data(), one[i].nbytes()), 0) << op << " output " << i;
  }
}

}  // namespace

TEST(ThreadCount, ReferenceOpsGiveTheSameBits) {
  const Shape act{8, 17, 17, 48};
  const Tensor x = uniform(act, 1), y = uniform(act, 2), g = uniform(act, 3);
  const Tensor bias = uniform({48}, 4), beta = uniform({48}, 5), rm = uniform({48}, 6);
  const Tensor rv = uniform({48}, 7, 0.5, 2.0);
  expect_same_bits("relu", {x});
  expect_same_bits("relu_grad", {g, y});
  expect_same_bits("add", {x, y});
  expect_same_bits("mul", {x, bias});
  expect_same_bits("batch_norm", {x, beta, rm, rv}, {{"epsilon", 0.001}, {"decay", 0.9}});
  const std::vector<Tensor> bn = ops::call("batch_norm", {x, beta, rm.clone(), rv.clone()}, {{"epsilon", 0.001}}, true);
  expect_same_bits("batch_norm_grad", {g, x, bn[1], bn[2]});
  expect_same_bits("reduce_nhw_sum", {g});
}
