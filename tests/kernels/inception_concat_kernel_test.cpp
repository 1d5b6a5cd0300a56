// inception_concat.cu against the CPU inception_concat and
// inception_concat_grad ops on the same inputs: 2 to 4 branches, plain,
// ReLU, affine (plain and centred as a batch norm) and both; the float4 path (Inception's channel
// counts) and the scalar path (odd channel counts, a misaligned pointer); typed over float and
// double (double always takes the scalar path).
#include "inception_concat.cuh"
#include "kernel_test_harness.h"
#include "op_reference.h"

namespace {

using namespace cutrain;
using namespace cutrain::testing;

template <typename T>
void check(KernelBackend& be, const std::vector<int64_t>& channels, int64_t rows, bool relu,
           bool affine, bool misalign, bool center = false) {
  SCOPED_TRACE(::testing::Message() << "branches=" << channels.size() << " c0=" << channels[0]
                                    << " rows=" << rows << " relu=" << relu << " affine=" << affine
                                    << " misalign=" << misalign << " center=" << center);
  const int k = static_cast<int>(channels.size());
  int64_t total = 0;
  for (int64_t c : channels) total += c;
  std::vector<std::vector<T>> x, a, b, m;
  std::vector<Tensor> in;
  for (int i = 0; i < k; ++i) {
    const uint32_t seed = static_cast<uint32_t>(rows * 10 + i);
    x.push_back(uniform_values<T>(rows * channels[static_cast<size_t>(i)], seed));
    a.push_back(uniform_values<T>(channels[static_cast<size_t>(i)], seed + 100, -2.0, 2.0));
    b.push_back(uniform_values<T>(channels[static_cast<size_t>(i)], seed + 200));
    m.push_back(uniform_values<T>(channels[static_cast<size_t>(i)], seed + 300));
    in.push_back(host_tensor({rows, channels[static_cast<size_t>(i)]}, x.back()));
  }
  if (affine) {
    for (int i = 0; i < k; ++i)
      in.push_back(host_tensor({channels[static_cast<size_t>(i)]}, a[static_cast<size_t>(i)]));
    for (int i = 0; i < k; ++i)
      in.push_back(host_tensor({channels[static_cast<size_t>(i)]}, b[static_cast<size_t>(i)]));
  }
  if (center)
    for (int i = 0; i < k; ++i)
      in.push_back(host_tensor({channels[static_cast<size_t>(i)]}, m[static_cast<size_t>(i)]));
  const Tensor ref_y = ops::call("inception_concat", in,
                                 {{"relu", relu}, {"affine", affine}, {"center", center}})[0];
  const auto dy = uniform_values<T>(rows * total, static_cast<uint32_t>(rows + 7));
  std::vector<Tensor> gin{host_tensor({rows, total}, dy)};
  if (relu) gin.push_back(ref_y);
  if (affine)
    for (int i = 0; i < k; ++i) gin.push_back(in[static_cast<size_t>(k + i)]);
  const auto ref_dx = ops::call("inception_concat_grad", gin,
                                {{"channels", channels}, {"relu", relu}, {"affine", affine}});

  // Branch 0 sits one element into its buffer when misaligned.
  std::vector<std::unique_ptr<DeviceBuffer<T>>> bx, ba, bb, bm, bdx;
  const T* px[kernels::kMaxConcatBranches];
  const T* pa[kernels::kMaxConcatBranches];
  const T* pb[kernels::kMaxConcatBranches];
  const T* pm[kernels::kMaxConcatBranches];
  T* pdx[kernels::kMaxConcatBranches];
  for (int i = 0; i < k; ++i) {
    const size_t s = static_cast<size_t>(i);
    std::vector<T> host = x[s];
    if (misalign && i == 0) host.insert(host.begin(), T(0));
    bx.push_back(std::make_unique<DeviceBuffer<T>>(be, host));
    ba.push_back(std::make_unique<DeviceBuffer<T>>(be, a[s]));
    bb.push_back(std::make_unique<DeviceBuffer<T>>(be, b[s]));
    bm.push_back(std::make_unique<DeviceBuffer<T>>(be, m[s]));
    bdx.push_back(
        std::make_unique<DeviceBuffer<T>>(be, x[s].size() + (misalign && i == 0 ? 1 : 0)));
    px[i] = bx.back()->get() + (misalign && i == 0 ? 1 : 0);
    pdx[i] = bdx.back()->get() + (misalign && i == 0 ? 1 : 0);
    pa[i] = ba.back()->get();
    pb[i] = bb.back()->get();
    pm[i] = bm.back()->get();
  }
  DeviceBuffer<T> y(be, static_cast<size_t>(rows * total)), bdy(be, dy);
  const void* ptrs[] = {y.get(), px[0], bdy.get()};
  bool all4 = true;
  for (int64_t c : channels) all4 = all4 && c % 4 == 0;
  // The alignment query (float launches only take the float4 path on it).
  EXPECT_EQ(kernels::emu::inception_concat_vectorized(k, channels.data(), ptrs, 3),
            all4 && !misalign);
  CUTRAIN_KERNEL_CALL(be, inception_concat_forward<T>, k, px, channels.data(),
                      affine ? pa : nullptr, affine ? pb : nullptr, center ? pm : nullptr, rows,
                      relu, y.get(), be.stream());
  EXPECT_TRUE(all_close(y.download(), host_values<T>(ref_y), tolerance<T>(1e-6, 1e-15),
                        elementwise_rtol<T>()))
      << "y";
  DeviceBuffer<T> fused_y(be, host_values<T>(ref_y));
  CUTRAIN_KERNEL_CALL(be, inception_concat_backward<T>, k, channels.data(), bdy.get(),
                      relu ? fused_y.get() : nullptr, relu, affine ? pa : nullptr, rows, pdx,
                      be.stream());
  for (int i = 0; i < k; ++i) {
    std::vector<T> got = bdx[static_cast<size_t>(i)]->download();
    if (misalign && i == 0) got.erase(got.begin());
    EXPECT_TRUE(all_close(got, host_values<T>(ref_dx[static_cast<size_t>(i)]), 0,
                          tolerance<T>(1e-6, 1e-15)))
        << "dx_" << i;
  }
}

CUTRAIN_TYPED_KERNEL_TEST(InceptionConcatKernels) {
  using T = typename TypeParam::Scalar;
  KernelBackend& be = this->backend();
  const std::vector<std::vector<int64_t>> branch_sets = {
      {64, 64, 96, 32},  // Mixed_5b (vectorised)
      {8, 4},            // two branches
      {3, 5, 1},         // odd channels (scalar)
      {12, 33, 4, 7},
  };
  this->for_each_order([&] {
    for (const auto& ch : branch_sets)
      for (int64_t rows : edge_sizes(64))
        check<T>(be, ch, rows, /*relu=*/rows % 2 == 1, /*affine=*/rows % 3 != 0, false);
    for (bool relu : {false, true})
      for (bool affine : {false, true}) check<T>(be, {64, 64, 96, 32}, 33, relu, affine, false);
    check<T>(be, {8, 4, 12}, 33, true, true, /*misalign=*/true);
    for (int64_t rows : {1, 33})
      check<T>(be, {64, 64, 96, 32}, rows, /*relu=*/true, /*affine=*/true, false, /*center=*/true);
    check<T>(be, {3, 5, 1}, 7, /*relu=*/false, /*affine=*/true, false, /*center=*/true);
  });
}

}  // namespace
