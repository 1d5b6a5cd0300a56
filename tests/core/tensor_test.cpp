#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "cutrain/core/error.h"
#include "cutrain/core/tensor.h"

using namespace cutrain;

TEST(Tensor, CreateFillAndAccess) {
  Tensor t = Tensor::full({2, 3}, DType::f32, 1.5);
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.nbytes(), 24u);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.at({1, 2}), 1.5);
  Tensor z = Tensor::zeros({4}, DType::i64);
  EXPECT_EQ(z.to_vector(), std::vector<double>(4, 0.0));
  EXPECT_THROW(t.data<double>(), Error);
}

TEST(Tensor, SliceIsAViewSharingStorage) {
  Tensor t = Tensor::from_vector({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, DType::f64);
  Tensor col = t.slice(1, 1, 3);
  EXPECT_EQ(col.shape(), Shape({3, 2}));
  EXPECT_FALSE(col.is_contiguous());
  EXPECT_EQ(col.to_vector(), (std::vector<double>{1, 2, 5, 6, 9, 10}));
  col.set_flat(0, 100);
  EXPECT_EQ(t.at({0, 1}), 100);
  EXPECT_THROW(t.slice(0, 2, 4), Error);
  EXPECT_THROW(col.reshape({6}), Error);
  Tensor c = col.clone();
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_EQ(c.reshape({-1}).shape(), Shape({6}));
}

TEST(Tensor, ReshapeChecksElementCount) {
  Tensor t = Tensor::zeros({2, 6}, DType::f32);
  EXPECT_EQ(t.reshape({3, -1}).shape(), Shape({3, 4}));
  EXPECT_THROW(t.reshape(Shape{5}), Error);
}

TEST(Tensor, RandomFillIsSeededAndIndependentOfSize) {
  Tensor a = Tensor::empty({1000}, DType::f64), b = Tensor::empty({10}, DType::f64);
  a.normal(0, 1, 42);
  b.normal(0, 1, 42);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.flat(i), b.flat(i));
  double mean = 0, var = 0;
  for (double v : a.to_vector()) mean += v / 1000;
  for (double v : a.to_vector()) var += (v - mean) * (v - mean) / 999;
  EXPECT_NEAR(mean, 0, 0.1);  // 3 sigma of the mean of 1000 draws is ~0.095
  EXPECT_NEAR(var, 1, 0.15);
  Tensor c = Tensor::empty({1000}, DType::f64);
  c.normal(0, 1, 43);
  EXPECT_NE(c.flat(0), a.flat(0));
  Tensor u = Tensor::empty({10000}, DType::f32);
  u.uniform(-1, 1, 3);
  for (double v : u.to_vector()) ASSERT_TRUE(v >= -1 && v < 1);
}

TEST(Tensor, DtypeConversionAndPrinting) {
  Tensor t = Tensor::from_vector({3}, {1.25, -2, 3.5}, DType::f64);
  Tensor h = t.to(DType::f16);
  EXPECT_EQ(h.to_vector(), t.to_vector());
  EXPECT_EQ(t.str(), "Tensor f64 [3] cpu [1.25, -2, 3.5]");
  Tensor big = Tensor::zeros({20}, DType::f32);
  EXPECT_NE(big.str(4).find(", ..."), std::string::npos);
}

TEST(Tensor, CopyAcrossStreamsKeepsOrder) {
  Stream s = make_cpu_stream({});
  Tensor a = Tensor::full({1 << 16}, DType::f32, 3.0);
  Tensor b = Tensor::empty({1 << 16}, DType::f32);
  b.copy_from(a, s);
  b.fill(7.0, s);  // must run after the copy
  s.synchronize();
  EXPECT_EQ(b.flat(12345), 7.0);
  EXPECT_THROW(Tensor::zeros({2}, DType::f32, Device::cuda(0), Stream::default_stream(Device::cuda(0))), Error);
}

// The stream-less copies and fills are for host tensors: a device tensor is
// refused with the method's name, never copied on a stream the caller did
// not name. (A device tensor over host memory: nothing is dereferenced.)
TEST(Tensor, StreamlessCopiesAndFillsRefuseDeviceTensors) {
  std::vector<float> memory(6);
  Tensor d = Tensor::from_blob(memory.data(), {2, 3}, DType::f32, Device::cuda(0));
  const auto refused = [](const std::function<void()>& f, const std::string& method) {
    try {
      f();
      ADD_FAILURE() << method << " accepted a cuda:0 tensor";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(method), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("cuda:0"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("stream"), std::string::npos) << e.what();
    }
  };
  refused([&] { (void)d.clone(); }, "clone()");
  refused([&] { d.fill(1.0); }, "fill(value)");
  refused([&] { d.uniform(0, 1, 7); }, "uniform(low, high, seed)");
  refused([&] { d.normal(0, 1, 7); }, "normal(mean, stddev, seed)");
  refused([&] { (void)d.permute({1, 0}).contiguous(); }, "contiguous()");
  EXPECT_TRUE(d.contiguous().same_storage(d));  // already contiguous: no copy, nothing to order
  // Host tensors need no stream.
  Tensor h = Tensor::zeros({2, 3}, DType::f32);
  h.fill(2.0);
  EXPECT_EQ(h.clone().flat(5), 2.0);
  h.uniform(-1, 1, 3);
  Tensor h2 = Tensor::empty({2, 3}, DType::f32);
  h2.uniform(-1, 1, 3, Stream::default_stream(Device::cpu()));
  EXPECT_EQ(h.to_vector(), h2.to_vector());
}
