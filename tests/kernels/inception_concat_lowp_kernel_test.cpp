// The fused Inception concat in f16 and bf16 against the CPU inception_concat
// and inception_concat_grad ops run in fp32 on the rounded activations (the
// affine parameters are fp32 on both sides), outputs rounded once. Plain and
// ReLU concats move bits only and must match exactly; affine ones within 1 ulp
// of the output type (derivation in lowp_test_util.h). Packed path (channel
// counts multiples of 8, aligned) and scalar path (odd counts, a misaligned
// branch).
#include "inception_concat.cuh"
#include "kernel_test_harness.h"
#include "lowp_test_util.h"
#include "op_reference.h"

namespace {

using namespace cutrain;
using namespace cutrain::testing;

template <typename H>
void check_concat_lowp(KernelBackend& be, const std::vector<int64_t>& channels, int64_t rows, bool relu, bool affine,
                       bool misalign, bool center) {
  SCOPED_TRACE(::testing::Message() << lowp_name<H>() << " branches=" << channels.size() << " c0=" << channels[0]
                                    << " rows=" << rows << " relu=" << relu << " affine=" << affine
                                    << " misalign=" << misalign << " center=" << center);
  const int k = static_cast<int>(channels.size());
  int64_t total = 0;
  for (int64_t c : channels) total += c;
  std::vector<std::vector<H>> x;
  std::vector<std::vector<float>> a, b, m;
  std::vector<Tensor> in;
  for (int i = 0; i < k; ++i) {
    const size_t s = static_cast<size_t>(i);
    const uint32_t seed = static_cast<uint32_t>(rows * 10 + i);
    x.push_back(lowp_round<H>(uniform_values(rows * channels[s], seed)));
    a.push_back(uniform_values(channels[s], seed + 100, -2.0, 2.0));
    b.push_back(uniform_values(channels[s], seed + 200));
    m.push_back(uniform_values(channels[s], seed + 300));
    in.push_back(host_tensor({rows, channels[s]}, lowp_widen(x.back())));
  }
  if (affine) {
    for (int i = 0; i < k; ++i) in.push_back(host_tensor({channels[static_cast<size_t>(i)]}, a[static_cast<size_t>(i)]));
    for (int i = 0; i < k; ++i) in.push_back(host_tensor({channels[static_cast<size_t>(i)]}, b[static_cast<size_t>(i)]));
  }
  if (center)
    for (int i = 0; i < k; ++i) in.push_back(host_tensor({channels[static_cast<size_t>(i)]}, m[static_cast<size_t>(i)]));
  const std::vector<H> ref_y = lowp_round<H>(
      host_values(ops::call("inception_concat", in, {{"relu", relu}, {"affine", affine}, {"center", center}})[0]));
  const std::vector<H> dy = lowp_round<H>(uniform_values(rows * total, static_cast<uint32_t>(rows + 7)));
  // The backward reads the forward's stored (rounded) output.
  std::vector<Tensor> gin{host_tensor({rows, total}, lowp_widen(dy))};
  if (relu) gin.push_back(host_tensor({rows, total}, lowp_widen(ref_y)));
  if (affine)
    for (int i = 0; i < k; ++i) gin.push_back(in[static_cast<size_t>(k + i)]);
  const auto ref_dx =
      ops::call("inception_concat_grad", gin, {{"channels", channels}, {"relu", relu}, {"affine", affine}});

  std::vector<std::unique_ptr<DeviceBuffer<H>>> bx, bdx;
  std::vector<std::unique_ptr<DeviceBuffer<float>>> ba, bb, bm;
  const H* px[kernels::kMaxConcatBranches];
  H* pdx[kernels::kMaxConcatBranches];
  const float* pa[kernels::kMaxConcatBranches];
  const float* pb[kernels::kMaxConcatBranches];
  const float* pm[kernels::kMaxConcatBranches];
  for (int i = 0; i < k; ++i) {
    const size_t s = static_cast<size_t>(i);
    const int64_t shift = misalign && i == 0 ? 1 : 0;  // one 16-bit element into its buffer
    std::vector<H> host = x[s];
    if (shift) host.insert(host.begin(), H{0});
    bx.push_back(std::make_unique<DeviceBuffer<H>>(be, host));
    bdx.push_back(std::make_unique<DeviceBuffer<H>>(be, host.size()));
    ba.push_back(std::make_unique<DeviceBuffer<float>>(be, a[s]));
    bb.push_back(std::make_unique<DeviceBuffer<float>>(be, b[s]));
    bm.push_back(std::make_unique<DeviceBuffer<float>>(be, m[s]));
    px[i] = bx.back()->get() + shift;
    pdx[i] = bdx.back()->get() + shift;
    pa[i] = ba.back()->get();
    pb[i] = bb.back()->get();
    pm[i] = bm.back()->get();
  }
  const int64_t ulps = affine ? 1 : 0;
  DeviceBuffer<H> y(be, static_cast<size_t>(rows * total)), bdy(be, dy);
  CUTRAIN_KERNEL_CALL(be, inception_concat_forward, k, px, channels.data(), affine ? pa : nullptr,
                      affine ? pb : nullptr, center ? pm : nullptr, rows, relu, y.get(), be.stream());
  EXPECT_TRUE(lowp_within_ulps(y.download(), ref_y, ulps)) << "y";
  DeviceBuffer<H> fused_y(be, ref_y);
  CUTRAIN_KERNEL_CALL(be, inception_concat_backward, k, channels.data(), bdy.get(), relu ? fused_y.get() : nullptr,
                      relu, affine ? pa : nullptr, rows, pdx, be.stream());
  for (int i = 0; i < k; ++i) {
    std::vector<H> got = bdx[static_cast<size_t>(i)]->download();
    if (misalign && i == 0) got.erase(got.begin());
    EXPECT_TRUE(lowp_within_ulps(got, lowp_round<H>(host_values(ref_dx[static_cast<size_t>(i)])), ulps))
        << "dx_" << i;
  }
}

CUTRAIN_KERNEL_TEST(InceptionConcatLowpKernels) {
  const std::vector<std::vector<int64_t>> branch_sets = {
      {64, 64, 96, 32},  // Mixed_5b (packed)
      {8, 16},           // two branches, packed
      {3, 5, 1},         // odd channels (scalar)
      {12, 33, 4, 7},
  };
  for_each_order([&] {
    for (const auto& ch : branch_sets)
      for (int64_t rows : edge_sizes(64)) {
        const bool relu = rows % 2 == 1, affine = rows % 3 != 0;
        check_concat_lowp<Half>(backend(), ch, rows, relu, affine, false, false);
        check_concat_lowp<BFloat16>(backend(), ch, rows, relu, affine, false, false);
      }
    for (bool relu : {false, true})
      for (bool affine : {false, true}) {
        check_concat_lowp<Half>(backend(), {64, 64, 96, 32}, 33, relu, affine, false, affine);
        check_concat_lowp<BFloat16>(backend(), {64, 64, 96, 32}, 33, relu, affine, false, affine);
      }
    check_concat_lowp<Half>(backend(), {8, 16, 24}, 33, true, true, /*misalign=*/true, false);
    check_concat_lowp<BFloat16>(backend(), {8, 16, 24}, 33, true, true, /*misalign=*/true, true);
  });
}

}  // namespace
