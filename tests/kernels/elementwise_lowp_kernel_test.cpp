// Elementwise kernels in f16 and bf16 on every backend against the CPU
// reference computed in fp32 on the rounded inputs, its output rounded once
// (lowp_test_util.h states the 1-ulp tolerance's derivation). ReLU moves bits
// only: it must match exactly, on the packed 8-wide path (aligned) and the
// scalar one (offset 1).
#include <limits>

#include "elementwise.cuh"
#include "kernel_test_harness.h"
#include "lowp_test_util.h"
#include "op_reference.h"

namespace {

using cutrain::Shape;
using cutrain::testing::DeviceBuffer;
using cutrain::testing::edge_sizes;
using cutrain::testing::host_tensor;
using cutrain::testing::lowp_round;
using cutrain::testing::lowp_widen;
using cutrain::testing::lowp_within_ulps;
using cutrain::testing::reference;
using cutrain::testing::uniform_values;
namespace k = cutrain::kernels;

// fp32 reference of `op` on the widened 16-bit inputs, rounded to H.
template <typename H>
std::vector<H> lowp_reference(const std::string& op, const std::vector<std::pair<Shape, std::vector<H>>>& in,
                              const cutrain::ops::Attrs& attrs = {}) {
  std::vector<cutrain::Tensor> t;
  for (const auto& [s, v] : in) t.push_back(host_tensor(s, lowp_widen(v)));
  return lowp_round<H>(reference<float>(op, t, attrs));
}

template <typename H>
std::vector<H> lowp_uniform(int64_t n, uint32_t seed, double lo = -2.0, double hi = 2.0) {
  return lowp_round<H>(uniform_values<float>(n, seed, lo, hi));
}

template <typename H>
void check_relu_lowp(cutrain::testing::KernelBackend& be, int64_t n, int64_t offset) {
  SCOPED_TRACE(::testing::Message() << cutrain::testing::lowp_name<H>() << " n = " << n << ", offset " << offset);
  std::vector<H> x = lowp_uniform<H>(n + offset, 1), dy = lowp_uniform<H>(n + offset, 2);
  if (n > 3) {
    x[static_cast<std::size_t>(offset + 1)] = H{0x8000};  // -0 -> +0
    x[static_cast<std::size_t>(offset + 2)] = H{0x7e00};  // relu(NaN) = 0, as in the CPU reference
  }
  std::vector<H> y_ref(static_cast<std::size_t>(n)), dx_ref(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const auto j = static_cast<std::size_t>(i + offset), o = static_cast<std::size_t>(i);
    y_ref[o] = cutrain::testing::lowp_to_float(x[j]) > 0 ? x[j] : H{0};
    dx_ref[o] = cutrain::testing::lowp_to_float(y_ref[o]) > 0 ? dy[j] : H{0};
  }
  DeviceBuffer<H> dxin(be, x), ddy(be, dy), dyout(be, x.size()), ddx(be, x.size());
  CUTRAIN_KERNEL_CALL(be, relu_forward, dxin.get() + offset, dyout.get() + offset, n, be.stream());
  CUTRAIN_KERNEL_CALL(be, relu_backward, dyout.get() + offset, ddy.get() + offset, ddx.get() + offset, n,
                      be.stream());
  const std::vector<H> y = dyout.download(), dx = ddx.download();
  EXPECT_TRUE(lowp_within_ulps(std::vector<H>(y.begin() + offset, y.end()), y_ref, 0));
  EXPECT_TRUE(lowp_within_ulps(std::vector<H>(dx.begin() + offset, dx.end()), dx_ref, 0));
}

CUTRAIN_KERNEL_TEST(ReluLowpKernel) {
  for_each_order([&] {
    for (int64_t n : edge_sizes(256))
      for (int64_t offset : {0, 1}) {
        check_relu_lowp<cutrain::Half>(backend(), n, offset);
        check_relu_lowp<cutrain::BFloat16>(backend(), n, offset);
      }
  });
}

struct LowpUnaryCase {
  const char* op;
  k::UnaryOp kind;
  double alpha, lo, hi;
};
const LowpUnaryCase kLowpUnary[] = {
    {"relu", k::UnaryOp::relu, 0, -2, 2},          {"leaky_relu", k::UnaryOp::leaky_relu, 0.2, -2, 2},
    {"sigmoid", k::UnaryOp::sigmoid, 0, -8, 8},    {"tanh", k::UnaryOp::tanh, 0, -4, 4},
    {"square", k::UnaryOp::square, 0, -2, 2},      {"exp", k::UnaryOp::exp, 0, -4, 4},
    {"log", k::UnaryOp::log, 0, 0.01, 4},          {"sqrt", k::UnaryOp::sqrt, 0, 0, 4},
    {"neg", k::UnaryOp::neg, 0, -2, 2},            {"scale", k::UnaryOp::scale, -1.5, -2, 2},
    {"add_scalar", k::UnaryOp::add_scalar, 0.75, -2, 2}};

template <typename H>
void check_unary_lowp(cutrain::testing::KernelBackend& be, const LowpUnaryCase& c, int64_t n) {
  SCOPED_TRACE(::testing::Message() << c.op << " " << cutrain::testing::lowp_name<H>() << " n = " << n);
  const std::vector<H> x = lowp_uniform<H>(n, static_cast<uint32_t>(n), c.lo, c.hi);
  const std::vector<H> ref = lowp_reference<H>(c.op, {{Shape{n}, x}}, {{"alpha", c.alpha}});
  DeviceBuffer<H> dx(be, x), dy(be, x.size());
  CUTRAIN_KERNEL_CALL(be, unary, c.kind, dx.get(), dy.get(), n, c.alpha, be.stream());
  EXPECT_TRUE(lowp_within_ulps(dy.download(), ref, 1));
}

CUTRAIN_KERNEL_TEST(UnaryLowpKernels) {
  for_each_order([&] {
    for (int64_t n : edge_sizes(256))
      for (const LowpUnaryCase& c : kLowpUnary) {
        check_unary_lowp<cutrain::Half>(backend(), c, n);
        check_unary_lowp<cutrain::BFloat16>(backend(), c, n);
      }
  });
}

struct LowpGradCase {
  const char* forward;
  const char* op;
  k::UnaryGradOp kind;
  double alpha;
};
const LowpGradCase kLowpGrads[] = {{"relu", "relu_grad", k::UnaryGradOp::relu, 0},
                                   {"leaky_relu", "leaky_relu_grad", k::UnaryGradOp::leaky_relu, 0.2},
                                   {"sigmoid", "sigmoid_grad", k::UnaryGradOp::sigmoid, 0},
                                   {"tanh", "tanh_grad", k::UnaryGradOp::tanh, 0}};

template <typename H>
void check_grad_lowp(cutrain::testing::KernelBackend& be, const LowpGradCase& c, int64_t n) {
  SCOPED_TRACE(::testing::Message() << c.op << " " << cutrain::testing::lowp_name<H>() << " n = " << n);
  const cutrain::ops::Attrs attrs{{"alpha", c.alpha}};
  const std::vector<H> x = lowp_uniform<H>(n, 3, -3, 3), g = lowp_uniform<H>(n, 4);
  // The saved tensor as the low-precision forward stores it: rounded.
  const std::vector<H> saved =
      c.kind == k::UnaryGradOp::leaky_relu ? x : lowp_reference<H>(c.forward, {{Shape{n}, x}}, attrs);
  const std::vector<H> ref = lowp_reference<H>(c.op, {{Shape{n}, g}, {Shape{n}, saved}}, attrs);
  DeviceBuffer<H> dg(be, g), ds(be, saved), dx(be, x.size());
  CUTRAIN_KERNEL_CALL(be, unary_grad, c.kind, dg.get(), ds.get(), dx.get(), n, c.alpha, be.stream());
  EXPECT_TRUE(lowp_within_ulps(dx.download(), ref, 1));
}

CUTRAIN_KERNEL_TEST(UnaryGradLowpKernels) {
  for_each_order([&] {
    for (int64_t n : edge_sizes(256))
      for (const LowpGradCase& c : kLowpGrads) {
        check_grad_lowp<cutrain::Half>(backend(), c, n);
        check_grad_lowp<cutrain::BFloat16>(backend(), c, n);
      }
  });
}

const std::pair<const char*, k::BinaryOp> kLowpBinary[] = {
    {"add", k::BinaryOp::add}, {"sub", k::BinaryOp::sub}, {"mul", k::BinaryOp::mul}, {"div", k::BinaryOp::div}};

template <typename H>
void check_binary_lowp(cutrain::testing::KernelBackend& be, const Shape& sa, const Shape& sb) {
  for (const auto& [op, kind] : kLowpBinary) {
    SCOPED_TRACE(::testing::Message() << op << " " << cutrain::testing::lowp_name<H>() << " " << sa.str() << " "
                                      << sb.str());
    const std::vector<H> a = lowp_uniform<H>(sa.numel(), 5), b = lowp_uniform<H>(sb.numel(), 6, 0.5, 2.0);
    const cutrain::Tensor out = cutrain::ops::call(
        op, {host_tensor(sa, lowp_widen(a)), host_tensor(sb, lowp_widen(b))})[0];
    const std::vector<H> ref = lowp_round<H>(cutrain::testing::host_values<float>(out));
    const k::BroadcastIndex idx = k::make_broadcast_index(out.shape().dims(), sa.dims(), sb.dims());
    DeviceBuffer<H> da(be, a), db(be, b), dout(be, ref.size());
    CUTRAIN_KERNEL_CALL(be, binary, kind, da.get(), db.get(), dout.get(), out.numel(), idx, be.stream());
    EXPECT_TRUE(lowp_within_ulps(dout.download(), ref, 1));
  }
}

CUTRAIN_KERNEL_TEST(BinaryLowpKernels) {
  std::vector<std::pair<Shape, Shape>> shapes;
  for (int64_t n : edge_sizes(256)) shapes.push_back({Shape{n}, Shape{n}});
  shapes.push_back({Shape{4, 9, 3}, Shape{3}});
  shapes.push_back({Shape{5, 1, 7}, Shape{1, 6, 1}});
  shapes.push_back({Shape{}, Shape{5, 3}});
  for_each_order([&] {
    for (const auto& [sa, sb] : shapes) {
      check_binary_lowp<cutrain::Half>(backend(), sa, sb);
      check_binary_lowp<cutrain::BFloat16>(backend(), sa, sb);
    }
  });
}

template <typename H>
void check_add_n_lowp(cutrain::testing::KernelBackend& be, int count, int64_t n) {
  SCOPED_TRACE(::testing::Message() << "add_n of " << count << " " << cutrain::testing::lowp_name<H>() << " n = " << n);
  std::vector<std::pair<Shape, std::vector<H>>> in;
  std::vector<std::unique_ptr<DeviceBuffer<H>>> bufs;
  std::vector<const H*> ptrs;
  for (int i = 0; i < count; ++i) {
    in.push_back({Shape{n}, lowp_uniform<H>(n, static_cast<uint32_t>(10 + i))});
    bufs.push_back(std::make_unique<DeviceBuffer<H>>(be, in.back().second));
    ptrs.push_back(bufs.back()->get());
  }
  const std::vector<H> ref = lowp_reference<H>("add_n", in);
  DeviceBuffer<H> out(be, static_cast<std::size_t>(n));
  CUTRAIN_KERNEL_CALL(be, add_n, ptrs.data(), count, out.get(), n, be.stream());
  EXPECT_TRUE(lowp_within_ulps(out.download(), ref, 1));
}

CUTRAIN_KERNEL_TEST(AddNLowpKernel) {
  for_each_order([&] {
    for (int count : {1, 2, 5, 8})
      for (int64_t n : {int64_t{1}, int64_t{257}}) {
        check_add_n_lowp<cutrain::Half>(backend(), count, n);
        check_add_n_lowp<cutrain::BFloat16>(backend(), count, n);
      }
  });
}

}  // namespace
