// Copy kernels of the shape ops against the CPU reference: transpose for
// several ranks and permutations, concat and split through strided_copy, for
// 1-, 4- and 8-byte elements; every backend.
#include "copy.cuh"
#include "kernel_test_harness.h"
#include "op_reference.h"

namespace {

using cutrain::Shape;
using cutrain::Tensor;
using cutrain::testing::DeviceBuffer;
using cutrain::testing::host_tensor;
using cutrain::testing::host_values;
namespace k = cutrain::kernels;

template <typename T>
std::vector<T> counting(int64_t n) {
  std::vector<T> v(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = static_cast<T>(i * 7 + 1);
  return v;
}

template <typename T>
void check_transpose(cutrain::testing::KernelBackend& be, const Shape& s, const std::vector<int64_t>& perm) {
  SCOPED_TRACE(::testing::Message() << "transpose " << s.str() << " element bytes " << sizeof(T));
  const std::vector<T> x = counting<T>(s.numel());
  const std::vector<T> ref = host_values<T>(cutrain::ops::call("transpose", {host_tensor(s, x)}, {{"perm", perm}})[0]);
  DeviceBuffer<T> dx(be, x), y(be, x.size());
  CUTRAIN_KERNEL_CALL(be, transpose, dx.get(), y.get(), static_cast<int>(sizeof(T)), s.numel(),
                      k::make_transpose_index(s.dims(), perm), be.stream());
  EXPECT_EQ(y.download(), ref);
}

// concat of pieces along `axis`, then split of the result back into them.
template <typename T>
void check_concat_split(cutrain::testing::KernelBackend& be, const std::vector<Shape>& parts, int axis) {
  SCOPED_TRACE(::testing::Message() << "concat/split of " << parts.size() << " along " << axis);
  std::vector<Tensor> in;
  std::vector<std::unique_ptr<DeviceBuffer<T>>> dev;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::vector<T> v = counting<T>(parts[i].numel());
    for (T& e : v) e = static_cast<T>(e + static_cast<T>(100 * i));
    in.push_back(host_tensor(parts[i], v));
    dev.push_back(std::make_unique<DeviceBuffer<T>>(be, v));
  }
  const Tensor out = cutrain::ops::call("concat", in, {{"axis", axis}})[0];
  const std::vector<T> ref = host_values<T>(out);
  DeviceBuffer<T> dout(be, ref.size());
  auto rows_of = [&](const Shape& s) {
    int64_t outer = 1, row = 1;
    for (int d = 0; d < s.rank(); ++d) (d < axis ? outer : row) *= s[d];
    return std::pair<int64_t, int64_t>{outer, row};
  };
  const int64_t out_row = rows_of(out.shape()).second;
  int64_t offset = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto [rows, row] = rows_of(parts[i]);
    CUTRAIN_KERNEL_CALL(be, strided_copy, dev[i]->get(), row, dout.get() + offset, out_row, rows, row,
                        static_cast<int>(sizeof(T)), be.stream());
    offset += row;
  }
  EXPECT_EQ(dout.download(), ref);
  offset = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto [rows, row] = rows_of(parts[i]);
    DeviceBuffer<T> piece(be, static_cast<std::size_t>(parts[i].numel()));
    CUTRAIN_KERNEL_CALL(be, strided_copy, dout.get() + offset, out_row, piece.get(), row, rows, row,
                        static_cast<int>(sizeof(T)), be.stream());
    EXPECT_EQ(piece.download(), host_values<T>(in[i])) << "piece " << i;
    offset += row;
  }
}

template <typename T>
void check_all(cutrain::testing::KernelBackend& be) {
  check_transpose<T>(be, Shape{33, 31}, {1, 0});
  check_transpose<T>(be, Shape{2, 3, 5, 7}, {0, 3, 1, 2});  // NHWC -> NCHW
  check_transpose<T>(be, Shape{2, 7, 3, 5}, {0, 2, 3, 1});  // NCHW -> NHWC
  check_transpose<T>(be, Shape{2, 3, 1, 2, 3, 2}, {5, 0, 4, 1, 3, 2});
  check_transpose<T>(be, Shape{257}, {0});
  check_concat_split<T>(be, {Shape{2, 5, 5, 3}, Shape{2, 5, 5, 33}, Shape{2, 5, 5, 1}}, 3);  // Inception branches
  check_concat_split<T>(be, {Shape{1, 4}, Shape{31, 4}, Shape{257, 4}}, 0);
  check_concat_split<T>(be, {Shape{3, 2, 7}, Shape{3, 1, 7}}, 1);
}

CUTRAIN_KERNEL_TEST(CopyKernels) {
  for_each_order([&] {
    check_all<float>(backend());
    check_all<double>(backend());
    check_all<uint8_t>(backend());
  });
}

}  // namespace
