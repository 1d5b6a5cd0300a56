// Tensor utilities: from_blob, permute/contiguous, layout helpers, allclose.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numeric>

#include "cutrain/core/tensor.h"

namespace cutrain {
namespace {

TEST(TensorFromBlob, WrapsUserMemoryWithoutCopyAndCallsTheDeleter) {
  std::vector<float> buf{1, 2, 3, 4, 5, 6};
  int deleted = 0;
  {
    Tensor t = Tensor::from_blob(buf.data(), {2, 3}, DType::f32, Device::cpu(), [&](void* p) {
      EXPECT_EQ(p, buf.data());
      ++deleted;
    });
    EXPECT_EQ(t.raw_data(), buf.data());
    EXPECT_EQ(t.at({1, 2}), 6.0);
    buf[4] = 50;
    EXPECT_EQ(t.at({1, 1}), 50.0);
    t.set_flat(0, -1);
    EXPECT_EQ(buf[0], -1.0f);
    Tensor copy = t;  // shares the storage: one deleter call for both
  }
  EXPECT_EQ(deleted, 1);
  Tensor no_deleter = Tensor::from_blob(buf.data(), {6}, DType::f32);
  EXPECT_EQ(no_deleter.flat(5), 6.0);
  EXPECT_THROW(Tensor::from_blob(nullptr, {2}, DType::f32), Error);
}

TEST(TensorPermute, IsAViewAndContiguousPacksIt) {
  std::vector<double> v(24);
  std::iota(v.begin(), v.end(), 0.0);
  const Tensor t = Tensor::from_vector({2, 3, 4}, v, DType::f64);
  const Tensor p = t.permute({2, 0, 1});
  EXPECT_EQ(p.shape(), Shape({4, 2, 3}));
  EXPECT_TRUE(p.same_storage(t));
  EXPECT_FALSE(p.is_contiguous());
  for (int64_t a = 0; a < 2; ++a)
    for (int64_t b = 0; b < 3; ++b)
      for (int64_t c = 0; c < 4; ++c) EXPECT_EQ(p.at({c, a, b}), t.at({a, b, c}));
  const Tensor packed = p.contiguous();
  EXPECT_TRUE(packed.is_contiguous());
  EXPECT_FALSE(packed.same_storage(t));
  EXPECT_EQ(packed.to_vector(), p.to_vector());
  EXPECT_TRUE(t.contiguous().same_storage(t));  // already contiguous: no copy
  EXPECT_EQ(packed.reshape({24}).flat(1), t.at({0, 1, 0}));
  EXPECT_THROW(t.permute({0, 1}), Error);
  EXPECT_THROW(t.permute({0, 1, 1}), Error);
  EXPECT_THROW(t.permute({0, 1, 3}), Error);
}

TEST(TensorLayout, NchwNhwcAndOihwOhwiRoundTrip) {
  Tensor nchw = Tensor::empty({2, 3, 4, 5}, DType::f32);
  nchw.uniform(-1, 1, 7);
  const Tensor nhwc = nchw_to_nhwc(nchw).contiguous();
  EXPECT_EQ(nhwc.shape(), Shape({2, 4, 5, 3}));
  EXPECT_EQ(nhwc.at({1, 2, 3, 0}), nchw.at({1, 0, 2, 3}));
  EXPECT_EQ(max_abs_diff(nhwc_to_nchw(nhwc).contiguous(), nchw), 0.0);
  EXPECT_EQ(oihw_to_ohwi(nchw).shape(), Shape({2, 4, 5, 3}));
  EXPECT_EQ(ohwi_to_oihw(nhwc).shape(), Shape({2, 3, 4, 5}));
  EXPECT_THROW(nchw_to_nhwc(Tensor::zeros({2, 3}, DType::f32)), Error);
}

TEST(TensorCompare, AllcloseAndMaxRelDiff) {
  const Tensor ref = Tensor::from_vector({3}, {1.0, -2.0, 100.0}, DType::f64);
  const Tensor near = Tensor::from_vector({3}, {1.0 + 1e-7, -2.0, 100.0 + 1e-4}, DType::f64);
  EXPECT_TRUE(allclose(near, ref, 1e-5, 1e-8));
  EXPECT_FALSE(allclose(near, ref, 1e-9, 1e-9));
  EXPECT_NEAR(max_rel_diff(near, ref), 1e-6, 1e-9);  // 1e-4 / 100 and 1e-7 / 1: the worst is 1e-6
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor bad = Tensor::from_vector({3}, {1.0, nan, 100.0}, DType::f64);
  EXPECT_FALSE(allclose(bad, ref));
  EXPECT_TRUE(std::isnan(max_rel_diff(bad, ref)));
  EXPECT_THROW(allclose(ref, Tensor::zeros({2}, DType::f64)), Error);
}

}  // namespace
}  // namespace cutrain
