// GoogleTest fixtures for CPU/GPU comparisons, installed with the package:
// run an op or a whole graph on the CPU reference and on CUDA with the same
// inputs and compare every output (and every input an op updates in place).
// Header-only like expect_tensors.h; link the test with GTest::gtest.
//
//   CUTRAIN_BACKEND_TEST_SUITE(MyOpOnGpu);          // typed: float, double
//   TYPED_TEST(MyOpOnGpu, MatchesCpu) {            // skipped without a GPU
//     const Tensor x = this->random({8, 33}, /*seed=*/1);
//     EXPECT_OP_MATCHES_CPU("my_op", {x}, {}, {.rtol = this->tol(1e-5, 1e-12)});
//   }
//
// op_matches_cpu / graph_matches_cpu return the comparison (a failure names
// the op or fetch, the output and its worst elements), so they also work
// inside EXPECT_TRUE with extra context. Inputs are host tensors; each
// backend gets its own copy, so in-place updates do not leak between runs.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cutrain/core/device.h"
#include "cutrain/core/stream.h"
#include "cutrain/core/tensor.h"
#include "cutrain/graph/executor.h"
#include "cutrain/ops/op.h"
#include "cutrain/testing/expect_tensors.h"

namespace cutrain::testing {

// |got - ref| <= atol + rtol |ref| elementwise (numpy.allclose); equal_nan:
// NaN in both counts as equal (an op that must propagate NaN).
struct Tolerance {
  double rtol = 0, atol = 0;
  bool equal_nan = false;
};

// An op's outputs and its inputs after it ran (ops that update inputs in
// place), copied back to the host.
struct OpRun {
  std::vector<Tensor> outputs, inputs;
};

// Runs `op` on copies of the host tensors `in` on `device` (its default
// stream), as an executor would with this training flag, seed and step.
inline OpRun run_op(const std::string& op, const std::vector<Tensor>& in, const ops::Attrs& attrs,
                    Device device, bool training = true, uint64_t seed = 0, uint64_t step = 0) {
  const Stream s = Stream::default_stream(device);
  std::vector<Tensor> d;
  for (const Tensor& t : in) d.push_back(t.to(device, s));
  OpRun r;
  for (const Tensor& t : ops::call(op, d, attrs, training, seed, step))
    r.outputs.push_back(t.to(Device::cpu(), s));
  for (const Tensor& t : d) r.inputs.push_back(t.to(Device::cpu(), s));
  s.synchronize();
  return r;
}

namespace detail {
// tensors_close with the dtype checked and NaN handled as `tol` says.
inline ::testing::AssertionResult close(const std::string& what, const Tensor& got,
                                        const Tensor& ref, const Tolerance& tol) {
  if (got.dtype() != ref.dtype())
    return ::testing::AssertionFailure() << what << ": dtype " << dtype_name(got.dtype())
                                         << " vs reference " << dtype_name(ref.dtype());
  Tensor g = got, r = ref;
  if (tol.equal_nan && got.shape() == ref.shape()) {
    g = got.clone(), r = ref.clone();
    for (int64_t i = 0; i < g.numel(); ++i)
      if (std::isnan(g.flat(i)) && std::isnan(r.flat(i))) g.set_flat(i, 0), r.set_flat(i, 0);
  }
  const std::string gpu = what + " (device)", cpu = what + " (cpu)";
  return tensors_close(gpu.c_str(), cpu.c_str(), "", "", g, r, tol.rtol, tol.atol);
}
}  // namespace detail

// `op` on `device` against the CPU reference: every output and, with
// compare_inputs, every input after the op.
inline ::testing::AssertionResult op_matches_cpu(const std::string& op,
                                                 const std::vector<Tensor>& in,
                                                 const ops::Attrs& attrs, const Tolerance& tol,
                                                 Device device = Device::cuda(0),
                                                 bool training = true, bool compare_inputs = true) {
  const OpRun got = run_op(op, in, attrs, device, training);
  const OpRun ref = run_op(op, in, attrs, Device::cpu(), training);
  if (got.outputs.size() != ref.outputs.size())
    return ::testing::AssertionFailure()
           << op << ": " << got.outputs.size() << " outputs on " << device.str() << ", "
           << ref.outputs.size() << " on the cpu";
  for (size_t i = 0; i < ref.outputs.size(); ++i)
    if (auto r =
            detail::close(op + " output " + std::to_string(i), got.outputs[i], ref.outputs[i], tol);
        !r)
      return r;
  if (compare_inputs)
    for (size_t i = 0; i < ref.inputs.size(); ++i)
      if (auto r = detail::close(op + " input " + std::to_string(i) + " after the op",
                                 got.inputs[i], ref.inputs[i], tol);
          !r)
        return r;
  return ::testing::AssertionSuccess();
}

// A whole graph run by graph::Executor on `device` and on the CPU with the
// same feeds (host tensors): every fetch compared. The device runs first,
// from the graph's own parameters; the CPU executor then shares (and in
// training mode updates) them, so a graph is compared once.
inline ::testing::AssertionResult graph_matches_cpu(
    graph::Graph& g, const std::vector<std::pair<graph::Value, Tensor>>& feeds,
    const std::vector<graph::Value>& fetches, const Tolerance& tol, Device device = Device::cuda(0),
    bool training = false) {
  graph::Executor dev(g, device);
  std::vector<Tensor> got = dev.run(feeds, fetches, {training});
  for (Tensor& t : got) t = t.to(Device::cpu(), dev.stream());
  graph::Executor cpu(g, Device::cpu());
  const std::vector<Tensor> ref = cpu.run(feeds, fetches, {training});
  for (size_t i = 0; i < ref.size(); ++i)
    if (auto r = detail::close(
            "fetch " + std::to_string(i) + " ('" + g.node(fetches[i].node).name + "')", got[i],
            ref[i], tol);
        !r)
      return r;
  return ::testing::AssertionSuccess();
}

// Why CUDA cannot run here, or "" when it can.
inline std::string cuda_unavailable_reason() {
  for (const DeviceInfo& d : devices())
    if (d.device.is_cuda()) return d.available ? std::string() : d.description;
  return "no CUDA backend";
}

// Typed over float and double (Caffe's pattern); SetUp skips with the reason
// when no CUDA device is usable, so a CPU-only run never fails and never
// passes silently.
template <typename T>
class BackendTest : public ::testing::Test {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);

 protected:
  void SetUp() override {
    if (const std::string why = cuda_unavailable_reason(); !why.empty())
      GTEST_SKIP() << "GPU test skipped: " << why;
  }

  static constexpr DType dtype = std::is_same_v<T, float> ? DType::f32 : DType::f64;
  // A bound that depends on the element type.
  static constexpr double tol(double f32, double f64) {
    return std::is_same_v<T, float> ? f32 : f64;
  }
  // Uniform in [lo, hi) of this test's dtype, reproducible from the seed.
  static Tensor random(const Shape& s, uint64_t seed, double lo = -1, double hi = 1) {
    Tensor x = Tensor::empty(s, dtype);
    x.uniform(lo, hi, seed);
    return x;
  }
};

using BackendTypes = ::testing::Types<float, double>;

struct BackendTypeName {
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, float> ? "f32" : "f64";
  }
};

}  // namespace cutrain::testing

// Declares the typed suite `Suite` (float, double) for TYPED_TEST(Suite, ...).
#define CUTRAIN_BACKEND_TEST_SUITE(Suite)                     \
  template <typename T>                                       \
  class Suite : public ::cutrain::testing::BackendTest<T> {}; \
  TYPED_TEST_SUITE(Suite, ::cutrain::testing::BackendTypes, ::cutrain::testing::BackendTypeName)

// op_matches_cpu's arguments (op, inputs, attrs, tolerance, [device, training, compare_inputs]).
#define EXPECT_OP_MATCHES_CPU(...) EXPECT_TRUE(::cutrain::testing::op_matches_cpu(__VA_ARGS__))
#define ASSERT_OP_MATCHES_CPU(...) ASSERT_TRUE(::cutrain::testing::op_matches_cpu(__VA_ARGS__))
