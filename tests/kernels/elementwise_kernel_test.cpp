// Elementwise kernels on every backend: relu against plain loops; every other
// unary op, gradient, broadcast binary op and add_n against the CPU reference
// op (ops::call) on the same inputs.
#include <limits>
#include <random>

#include "elementwise.cuh"
#include "kernel_test_harness.h"
#include "op_reference.h"

namespace {

using cutrain::testing::all_close;
using cutrain::testing::DeviceBuffer;
using cutrain::testing::edge_sizes;

template <typename T>
std::vector<T> random_values(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> d(-2.0, 2.0);
  std::vector<T> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = static_cast<T>(d(rng));
  if (n > 3) {
    v[1] = T(0);
    v[2] = std::numeric_limits<T>::quiet_NaN();  // relu(NaN) = 0, as in the CPU reference
  }
  return v;
}

template <typename T>
void check_relu(cutrain::testing::KernelTest& t, cutrain::testing::KernelBackend& be, int64_t n, int64_t offset) {
  SCOPED_TRACE(::testing::Message() << "n = " << n << ", offset " << offset);
  const std::vector<T> x = random_values<T>(n + offset, 1), dy = random_values<T>(n + offset, 2);
  std::vector<T> y_ref(static_cast<std::size_t>(n)), dx_ref(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const T v = x[static_cast<std::size_t>(i + offset)];
    y_ref[static_cast<std::size_t>(i)] = v > T(0) ? v : T(0);
  }
  for (int64_t i = 0; i < n; ++i)
    dx_ref[static_cast<std::size_t>(i)] = y_ref[static_cast<std::size_t>(i)] > T(0) ? dy[static_cast<std::size_t>(i + offset)] : T(0);
  DeviceBuffer<T> dx_in(be, x), ddy(be, dy), dyout(be, static_cast<std::size_t>(n + offset)),
      ddx(be, static_cast<std::size_t>(n + offset));
  (void)t;
  // offset 1 misaligns every pointer: the scalar path; offset 0: the vector path.
  CUTRAIN_KERNEL_CALL(be, relu_forward, dx_in.get() + offset, dyout.get() + offset, n, be.stream());
  CUTRAIN_KERNEL_CALL(be, relu_backward, dyout.get() + offset, ddy.get() + offset, ddx.get() + offset, n,
                      be.stream());
  const std::vector<T> y = dyout.download(), dx = ddx.download();
  EXPECT_TRUE(all_close(std::vector<T>(y.begin() + offset, y.end()), y_ref, 0.0, 0.0));
  EXPECT_TRUE(all_close(std::vector<T>(dx.begin() + offset, dx.end()), dx_ref, 0.0, 0.0));
}

CUTRAIN_KERNEL_TEST(ReluKernel) {
  for_each_order([&] {
    for (int64_t n : edge_sizes(256)) {
      for (int64_t offset : {0, 1}) {
        check_relu<float>(*this, backend(), n, offset);
        check_relu<double>(*this, backend(), n, offset);
      }
    }
  });
}


using cutrain::Shape;
using cutrain::testing::host_tensor;
using cutrain::testing::reference;
using cutrain::testing::uniform_values;
namespace k = cutrain::kernels;

struct UnaryCase {
  const char* op;
  k::UnaryOp kind;
  double alpha, lo, hi;  // attr alpha; input range (positive for log and sqrt)
};
const UnaryCase kUnary[] = {
    {"relu", k::UnaryOp::relu, 0, -2, 2},          {"leaky_relu", k::UnaryOp::leaky_relu, 0.2, -2, 2},
    {"sigmoid", k::UnaryOp::sigmoid, 0, -8, 8},    {"tanh", k::UnaryOp::tanh, 0, -4, 4},
    {"square", k::UnaryOp::square, 0, -2, 2},      {"exp", k::UnaryOp::exp, 0, -4, 4},
    {"log", k::UnaryOp::log, 0, 0.01, 4},          {"sqrt", k::UnaryOp::sqrt, 0, 0, 4},
    {"neg", k::UnaryOp::neg, 0, -2, 2},            {"scale", k::UnaryOp::scale, -1.5, -2, 2},
    {"add_scalar", k::UnaryOp::add_scalar, 0.75, -2, 2}};

template <typename T>
void check_unary(cutrain::testing::KernelBackend& be, const UnaryCase& c, int64_t n) {
  SCOPED_TRACE(::testing::Message() << c.op << " n = " << n << " " << (sizeof(T) == 4 ? "f32" : "f64"));
  const std::vector<T> x = uniform_values<T>(n, static_cast<uint32_t>(n), c.lo, c.hi);
  const std::vector<T> ref = reference<T>(c.op, {host_tensor(Shape{n}, x)}, {{"alpha", c.alpha}});
  DeviceBuffer<T> dx(be, x), dy(be, static_cast<std::size_t>(n));
  CUTRAIN_KERNEL_CALL(be, unary, c.kind, dx.get(), dy.get(), n, c.alpha, be.stream());
  EXPECT_TRUE(all_close(dy.download(), ref, 0.0, cutrain::testing::elementwise_rtol<T>()));
}

CUTRAIN_KERNEL_TEST(UnaryKernels) {
  for_each_order([&] {
    for (int64_t n : edge_sizes(256))
      for (const UnaryCase& c : kUnary) {
        check_unary<float>(backend(), c, n);
        check_unary<double>(backend(), c, n);
      }
  });
}

struct GradCase {
  const char* forward;  // the saved tensor is the forward's output, or its input for leaky_relu
  const char* op;
  k::UnaryGradOp kind;
  double alpha;
};
const GradCase kGrads[] = {{"relu", "relu_grad", k::UnaryGradOp::relu, 0},
                           {"leaky_relu", "leaky_relu_grad", k::UnaryGradOp::leaky_relu, 0.2},
                           {"sigmoid", "sigmoid_grad", k::UnaryGradOp::sigmoid, 0},
                           {"tanh", "tanh_grad", k::UnaryGradOp::tanh, 0}};

template <typename T>
void check_grad(cutrain::testing::KernelBackend& be, const GradCase& c, int64_t n) {
  SCOPED_TRACE(::testing::Message() << c.op << " n = " << n << " " << (sizeof(T) == 4 ? "f32" : "f64"));
  const cutrain::ops::Attrs attrs{{"alpha", c.alpha}};
  const std::vector<T> x = uniform_values<T>(n, 3, -3, 3), g = uniform_values<T>(n, 4);
  const std::vector<T> saved = c.kind == k::UnaryGradOp::leaky_relu
                                   ? x
                                   : reference<T>(c.forward, {host_tensor(Shape{n}, x)}, attrs);
  const std::vector<T> ref = reference<T>(c.op, {host_tensor(Shape{n}, g), host_tensor(Shape{n}, saved)}, attrs);
  DeviceBuffer<T> dg(be, g), ds(be, saved), dx(be, static_cast<std::size_t>(n));
  CUTRAIN_KERNEL_CALL(be, unary_grad, c.kind, dg.get(), ds.get(), dx.get(), n, c.alpha, be.stream());
  EXPECT_TRUE(all_close(dx.download(), ref, 0.0, cutrain::testing::elementwise_rtol<T>()));
}

CUTRAIN_KERNEL_TEST(UnaryGradKernels) {
  for_each_order([&] {
    for (int64_t n : edge_sizes(256))
      for (const GradCase& c : kGrads) {
        check_grad<float>(backend(), c, n);
        check_grad<double>(backend(), c, n);
      }
  });
}

struct BinaryShapes {
  Shape a, b;
};
// Same shapes (flat path) at edge sizes, then broadcasts: scalar, row, column,
// both sides, lower rank, odd channel counts, rank 6.
std::vector<BinaryShapes> binary_shapes() {
  std::vector<BinaryShapes> v;
  for (int64_t n : edge_sizes(256)) v.push_back({Shape{n}, Shape{n}});
  v.push_back({Shape{33, 7}, Shape{}});
  v.push_back({Shape{}, Shape{5, 3}});
  v.push_back({Shape{4, 9, 3}, Shape{3}});
  v.push_back({Shape{4, 9, 3}, Shape{9, 1}});
  v.push_back({Shape{5, 1, 7}, Shape{1, 6, 1}});
  v.push_back({Shape{2, 3, 1, 5}, Shape{3, 4, 1}});
  v.push_back({Shape{2, 1, 3, 1, 2, 3}, Shape{1, 2, 1, 2, 1, 3}});
  v.push_back({Shape{1}, Shape{257}});
  return v;
}

const std::pair<const char*, k::BinaryOp> kBinary[] = {
    {"add", k::BinaryOp::add}, {"sub", k::BinaryOp::sub}, {"mul", k::BinaryOp::mul}, {"div", k::BinaryOp::div}};

template <typename T>
void check_binary(cutrain::testing::KernelBackend& be, const BinaryShapes& s, const char* op, k::BinaryOp kind) {
  SCOPED_TRACE(::testing::Message() << op << " " << s.a.str() << " " << s.b.str());
  std::vector<T> a = uniform_values<T>(s.a.numel(), 5), b = uniform_values<T>(s.b.numel(), 6, 0.5, 2.0);
  const cutrain::Tensor out = cutrain::ops::call(op, {host_tensor(s.a, a), host_tensor(s.b, b)})[0];
  const std::vector<T> ref = cutrain::testing::host_values<T>(out);
  const k::BroadcastIndex idx = k::make_broadcast_index(out.shape().dims(), s.a.dims(), s.b.dims());
  DeviceBuffer<T> da(be, a), db(be, b), dout(be, ref.size());
  CUTRAIN_KERNEL_CALL(be, binary, kind, da.get(), db.get(), dout.get(), out.numel(), idx, be.stream());
  EXPECT_TRUE(all_close(dout.download(), ref, 0.0, cutrain::testing::elementwise_rtol<T>()));
}

CUTRAIN_KERNEL_TEST(BinaryBroadcastKernels) {
  const std::vector<BinaryShapes> shapes = binary_shapes();
  for_each_order([&] {
    for (const BinaryShapes& s : shapes)
      for (const auto& [op, kind] : kBinary) {
        check_binary<float>(backend(), s, op, kind);
        check_binary<double>(backend(), s, op, kind);
      }
  });
}

template <typename T>
void check_add_n(cutrain::testing::KernelBackend& be, int count, int64_t n) {
  SCOPED_TRACE(::testing::Message() << "add_n of " << count << " n = " << n);
  std::vector<cutrain::Tensor> in;
  std::vector<std::unique_ptr<DeviceBuffer<T>>> bufs;
  std::vector<const T*> ptrs;
  for (int i = 0; i < count; ++i) {
    const std::vector<T> x = uniform_values<T>(n, static_cast<uint32_t>(10 + i));
    in.push_back(host_tensor(Shape{n}, x));
    bufs.push_back(std::make_unique<DeviceBuffer<T>>(be, x));
    ptrs.push_back(bufs.back()->get());
  }
  const std::vector<T> ref = reference<T>("add_n", in);
  DeviceBuffer<T> out(be, static_cast<std::size_t>(n));
  CUTRAIN_KERNEL_CALL(be, add_n, ptrs.data(), count, out.get(), n, be.stream());
  EXPECT_TRUE(all_close(out.download(), ref, 0.0, cutrain::testing::elementwise_rtol<T>()));
}

CUTRAIN_KERNEL_TEST(AddNKernel) {
  for_each_order([&] {
    for (int count : {1, 2, 8, 9, 17})
      for (int64_t n : {int64_t{1}, int64_t{33}, int64_t{3 * 256 + 17}}) {
        check_add_n<float>(backend(), count, n);
        check_add_n<double>(backend(), count, n);
      }
  });
}

}  // namespace
