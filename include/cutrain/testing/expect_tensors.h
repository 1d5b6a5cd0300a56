// GoogleTest helpers for numerical comparisons of tensors (CPU vs GPU, an op
// vs its reference, float vs double), installed with the package for users'
// own tests. Header-only, so the library itself does not depend on
// GoogleTest; include it from a test linked with GTest::gtest.
//
//   EXPECT_TENSORS_CLOSE(actual, expected, rtol, atol);
//   ASSERT_TENSORS_CLOSE(actual, expected, rtol, atol);
//     Passes when shapes agree and |a - e| <= atol + rtol * |e| for every
//     element (numpy.allclose, `expected` the reference; NaN is never close).
//     A failure states how many elements are off and the worst few with their
//     multi-indices, both values, the difference and the allowed one, e.g.
//       gpu_out and cpu_out differ at 3 of 120 elements (rtol 1e-05, atol 1e-08); worst:
//         [1, 0, 2]: actual 0.5012 expected 0.5 |diff| 0.0012 > tol 5.00001e-06
//     Tensors on a device are copied to the host first.
//
//   EXPECT_GRADIENTS_OK(op, inputs, attrs)
//     The op's registered backward (a user op's too) against central
//     differences in double precision (graph/gradcheck.h), with its report.
//
//   CUTRAIN_SKIP_WITHOUT_GPU()
//     GTEST_SKIP()s the test, saying why, when no CUDA device is usable.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "cutrain/core/device.h"
#include "cutrain/core/tensor.h"
#include "cutrain/graph/gradcheck.h"

namespace cutrain::testing {

namespace detail {
inline std::string multi_index(const Shape& s, int64_t flat) {
  std::vector<int64_t> idx(static_cast<size_t>(s.rank()));
  for (int d = s.rank() - 1; d >= 0; --d) {
    idx[static_cast<size_t>(d)] = s[d] == 0 ? 0 : flat % s[d];
    flat = s[d] == 0 ? 0 : flat / s[d];
  }
  std::string out = "[";
  for (size_t i = 0; i < idx.size(); ++i) out += (i ? ", " : "") + std::to_string(idx[i]);
  return out + "]";
}
}  // namespace detail

// How many worst elements a failure lists.
inline constexpr int kWorstShown = 5;

inline ::testing::AssertionResult tensors_close(const char* actual_expr, const char* expected_expr, const char*,
                                                const char*, const Tensor& actual_in, const Tensor& expected_in,
                                                double rtol, double atol) {
  if (!actual_in.defined() || !expected_in.defined())
    return ::testing::AssertionFailure() << actual_expr << " or " << expected_expr << " is undefined";
  if (actual_in.shape() != expected_in.shape())
    return ::testing::AssertionFailure() << actual_expr << " is " << actual_in.shape().str() << " but "
                                         << expected_expr << " is " << expected_in.shape().str();
  // Device tensors are read on their device's default stream (the executors'
  // main stream); work on other streams must be joined to it first.
  const auto host = [](const Tensor& t) {
    return t.device().is_cpu() ? t : t.to(Device::cpu(), Stream::default_stream(t.device()));
  };
  const Tensor a = host(actual_in), e = host(expected_in);
  struct Bad {
    int64_t i;
    double a, e, diff, tol;
  };
  std::vector<Bad> bad;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double x = a.flat(i), y = e.flat(i);
    const double diff = std::fabs(x - y), tol = atol + rtol * std::fabs(y);
    if (!(diff <= tol)) bad.push_back({i, x, y, std::isnan(diff) ? INFINITY : diff, tol});
  }
  if (bad.empty()) return ::testing::AssertionSuccess();
  // Worst first by how far past its tolerance an element is.
  const size_t shown = std::min<size_t>(bad.size(), kWorstShown);
  std::partial_sort(bad.begin(), bad.begin() + static_cast<std::ptrdiff_t>(shown), bad.end(),
                    [](const Bad& p, const Bad& q) { return p.diff - p.tol > q.diff - q.tol; });
  std::ostringstream os;
  os << actual_expr << " and " << expected_expr << " differ at " << bad.size() << " of " << a.numel()
     << " elements (rtol " << rtol << ", atol " << atol << "); worst:";
  for (size_t k = 0; k < shown; ++k)
    os << "\n  " << detail::multi_index(a.shape(), bad[k].i) << ": actual " << bad[k].a << " expected " << bad[k].e
       << " |diff| " << bad[k].diff << " > tol " << bad[k].tol;
  return ::testing::AssertionFailure() << os.str();
}

inline ::testing::AssertionResult gradients_ok(const char* op_expr, const char*, const char*, const std::string& op,
                                               const std::vector<Tensor>& inputs, const ops::Attrs& attrs) {
  const graph::GradCheckResult r = graph::check_op_gradients(op, inputs, attrs);
  if (r.ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "gradient check of " << op_expr << " ('" << op << "') failed: max rel error "
                                       << r.max_rel_error_inputs << " (inputs), " << r.max_rel_error_params
                                       << " (parameters) over " << r.checked << " elements; " << r.detail;
}

}  // namespace cutrain::testing

#define EXPECT_TENSORS_CLOSE(actual, expected, rtol, atol) \
  EXPECT_PRED_FORMAT4(::cutrain::testing::tensors_close, actual, expected, rtol, atol)
#define ASSERT_TENSORS_CLOSE(actual, expected, rtol, atol) \
  ASSERT_PRED_FORMAT4(::cutrain::testing::tensors_close, actual, expected, rtol, atol)
#define EXPECT_GRADIENTS_OK(op, inputs, attrs) \
  EXPECT_PRED_FORMAT3(::cutrain::testing::gradients_ok, op, inputs, attrs)
#define CUTRAIN_SKIP_WITHOUT_GPU()                                                           \
  do {                                                                                       \
    if (!::cutrain::cuda_available()) GTEST_SKIP() << "no usable CUDA device (cutrain devices says why)"; \
  } while (0)
